/* Steps that prepare masters: the secrets encryption key and the files kubeadm reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

/* One file the config step keeps on a master. */
struct kfile {
        const char *path;
        struct kbuf text;
        int differs;
        int existed; /* the host had the file (readable) before */
        int mode;
        char path_buf[128]; /* path's copy: some paths are the input's, freed first */
};

struct kfiles {
        struct kfile f[KADM_MAX_FILES + 6];
        size_t n;
};

static void files_free(struct kfiles *fs)
{
        for (size_t i = 0; i < fs->n; i++) {
                if (fs->f[i].text.p)
                        memset(fs->f[i].text.p, 0, fs->f[i].text.len);
                kb_free(&fs->f[i].text);
        }
        fs->n = 0;
}

/* Files are root's alone (0600) unless they hold nothing secret (mode). */
static struct kbuf *add_mode(struct kfiles *fs, const char *path, int mode)
{
        struct kfile *f = &fs->f[fs->n++];
        *f = (struct kfile){.mode = mode};
        snprintf(f->path_buf, sizeof(f->path_buf), "%s", path);
        f->path = f->path_buf;
        return &f->text;
}

static struct kbuf *add(struct kfiles *fs, const char *path)
{
        return add_mode(fs, path, 0600);
}

static int read_local(const char *local, struct kbuf *b, char *why, size_t why_len)
{
        FILE *f = fopen(local, "rb");
        if (!f) {
                snprintf(why, why_len, "cannot read %s", local);
                return -1;
        }
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                kb_printf(b, "%.*s", (int)n, chunk);
        int bad = ferror(f);
        fclose(f);
        if (bad) {
                snprintf(why, why_len, "cannot read %s", local);
                return -1;
        }
        return 0;
}

/* Every file the master should have; the encryption file only once the key is known. */
static int render_all(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kfiles *fs)
{
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        kadm_render_kubeadm(&in, NULL, add(fs, KADM_CONFIG));
        pthread_mutex_lock(&st->mu);
        if (st->enc_key[0])
                kadm_render_encryption(st->enc_key, add(fs, KADM_ENCRYPTION));
        pthread_mutex_unlock(&st->mu);
        if (in.audit_path || in.audit_webhook_server)
                kadm_render_audit_policy(add(fs, KADM_AUDIT_POLICY));
        if (in.admission_path)
                kadm_render_admission(&in, add_mode(fs, in.admission_path, 0644));
        if (in.audit_webhook_server)
                kadm_render_webhook_kubeconfig("audit", in.audit_webhook_server, NULL, "apiserver",
                                               NULL, NULL, add(fs, KADM_AUDIT_WEBHOOK));
        if (in.token_webhook)
                kadm_render_webhook_kubeconfig(
                        in.token_webhook_cluster, in.token_webhook_server,
                        in.token_webhook_ca ? KADM_DIR "/token-webhook-ca.crt" : NULL,
                        in.token_webhook_user,
                        in.token_webhook_cert ? KADM_DIR "/token-webhook.crt" : NULL,
                        in.token_webhook_cert ? KADM_DIR "/token-webhook.key" : NULL,
                        add(fs, KADM_TOKEN_WEBHOOK));
        int rc = 0;
        char why[300];
        for (size_t i = 0; i < in.n_copies && rc == 0; i++) {
                if (read_local(in.copies[i].local, add(fs, in.copies[i].remote), why, sizeof(why)) <
                    0) {
                        st->host->step_fail(ctx, "%s", why);
                        rc = -1;
                }
        }
        kadm_input_free(&in);
        for (size_t i = 0; i < fs->n && rc == 0; i++)
                if (fs->f[i].text.oom) {
                        st->host->step_fail(ctx, "out of memory");
                        rc = -1;
                }
        return rc;
}

/* Whether an encryption config this plugin wrote holds a key at all (the
 * caller knows it is not the cluster's). */
static int other_key(const char *data, size_t len)
{
        char *text = strndup(data, len);
        if (!text)
                return 1;
        char *key = kadm_parse_encryption_key(text);
        memset(text, 0, len);
        free(text);
        int found = key != NULL;
        if (key) {
                memset(key, 0, strlen(key));
                free(key);
        }
        return found;
}

/* Marks the files whose content on the host differs; returns how many, with
 * their names, or (size_t)-1 after failing the step. */
static size_t compare(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kfiles *fs,
                      int key_known, char *names, size_t names_len)
{
        size_t n = 0;
        names[0] = '\0';
        for (size_t i = 0; i < fs->n; i++) {
                const char *data = NULL;
                size_t len = 0;
                struct kfile *f = &fs->f[i];
                int readable = st->host->step_read_file(ctx, f->path, &data, &len) == 0;
                f->existed = readable;
                f->differs = !readable || len != f->text.len || memcmp(data, f->text.p, len) != 0;
                if (f->differs && readable && !strcmp(f->path, KADM_ENCRYPTION) &&
                    other_key(data, len)) {
                        st->host->step_fail(ctx, KADM_ENCRYPTION
                                            " holds another secrets encryption key "
                                            "than the first master's: refusing to "
                                            "replace it (the secrets stored with it "
                                            "would become unreadable)");
                        return (size_t)-1;
                }
                if (f->differs) {
                        const char *base = strrchr(f->path, '/') + 1;
                        size_t used = strlen(names);
                        snprintf(names + used, names_len - used, "%s%s", n ? ", " : "", base);
                        n++;
                }
        }
        if (!key_known) {
                size_t used = strlen(names);
                snprintf(names + used, names_len - used, "%sencryption.yaml", n ? ", " : "");
                n++;
        }
        return n;
}

static int config_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!kadm_is_master(st, ctx))
                return 0;
        struct kfiles fs = {0};
        if (render_all(st, ctx, &fs) < 0) {
                files_free(&fs);
                return -1;
        }
        pthread_mutex_lock(&st->mu);
        int key_known = st->enc_key[0] != '\0';
        pthread_mutex_unlock(&st->mu);
        char names[400];
        size_t n = compare(st, ctx, &fs, key_known, names, sizeof(names));
        files_free(&fs);
        if (n == (size_t)-1)
                return -1;
        if (n)
                st->host->step_reason(ctx, "%s missing or out of date in " KADM_DIR, names);
        return n > 0;
}

static int config_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        struct kfiles fs = {0};
        if (render_all(st, ctx, &fs) < 0) {
                files_free(&fs);
                return -1;
        }
        char names[400];
        size_t n = compare(st, ctx, &fs, 1, names, sizeof(names));
        int rc = n == (size_t)-1 ? -1 : 0;
        if (rc == 0 && n &&
            st->host->step_exec(ctx, "mkdir -p -m 0700 " KADM_DIR " " KADM_DIR "/etcd",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                rc = -1;
        /* kubeadm.reconfigure applies a change on a master already in the cluster;
         * it needs the configuration in effect, kept once until it is done. */
        if (rc == 0 && fs.f[0].differs && fs.f[0].existed && kadm_joined(st, ctx) &&
            st->host->step_exec(ctx,
                                "test -e " KADM_PREVIOUS " || cp -p " KADM_CONFIG " " KADM_PREVIOUS,
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                rc = -1;
        for (size_t i = 0; i < fs.n && rc == 0; i++)
                if (fs.f[i].differs &&
                    st->host->step_upload(ctx, fs.f[i].path, fs.f[i].text.p, fs.f[i].text.len,
                                          fs.f[i].mode, NULL) < 0)
                        rc = -1;
        files_free(&fs);
        if (rc == 0 && n)
                st->host->step_changed(ctx, "wrote %s", names);
        return rc;
}

/* prefetch(): the files config_applies() compares, and the encryption key,
 * which it compares too once kubeadm.encryption-key has read it. */
static void config_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const char *data;
        size_t len;
        (void)config_applies(ctx, state);
        if (kadm_is_master(st, ctx))
                (void)st->host->step_read_file(ctx, KADM_ENCRYPTION, &data, &len);
}

const struct pharos_step kadm_step_config = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.config",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.encryption-key", NULL},
        .description = "write the kubeadm configuration and the API server's files on masters",
        .applies = config_applies,
        .run = config_run,
        .prefetch = config_prefetch,
};

/* The key is read back from the first master, so it survives every later run. */
static int key_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const char *data = NULL;
        size_t len = 0;
        char *key = NULL;
        if (st->host->step_read_file(ctx, KADM_ENCRYPTION, &data, &len) == 0) {
                char *text = strndup(data, len);
                if (text) {
                        key = kadm_parse_encryption_key(text);
                        memset(text, 0, len);
                        free(text);
                }
        }
        if (!key) {
                /* A key that exists but cannot be read must never be replaced:
                 * the secrets stored with it would be lost. */
                int exists = kadm_exists(st, ctx, KADM_ENCRYPTION);
                if (exists != 0) {
                        if (exists > 0)
                                st->host->step_fail(ctx, "cannot read the secrets encryption key "
                                                         "in " KADM_ENCRYPTION);
                        return -1;
                }
                st->host->step_reason(ctx, "no secrets encryption key on the first master yet");
                return 1;
        }
        pthread_mutex_lock(&st->mu);
        snprintf(st->enc_key, sizeof(st->enc_key), "%s", key);
        pthread_mutex_unlock(&st->mu);
        memset(key, 0, strlen(key));
        free(key);
        return 0;
}

/* Only makes the key; kubeadm.config writes it to every master. */
static int key_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char key[64];
        if (kadm_random_base64(32, key, sizeof(key)) < 0) {
                st->host->step_fail(ctx, "cannot read random bytes for the encryption key");
                return -1;
        }
        pthread_mutex_lock(&st->mu);
        memcpy(st->enc_key, key, sizeof(key));
        pthread_mutex_unlock(&st->mu);
        memset(key, 0, sizeof(key));
        return 0;
}

/* prefetch(): key_applies() only reads; what it asks the host is recorded. */
static void key_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)key_applies(ctx, state);
}

const struct pharos_step kadm_step_encryption_key = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.encryption-key",
        .phase = "control-plane",
        .flags = PHAROS_STEP_ONCE,
        .description = "generate the secrets encryption key (aescbc) once for the cluster",
        .applies = key_applies,
        .prefetch = key_prefetch,
        .run = key_run,
};

/* Records whether the host already belongs to the cluster, for the ONCE join
 * steps that run on the first master and cannot look at other hosts. */
static int status_probe(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        long idx = kadm_host_index(st, ctx);
        int kubelet = kadm_exists(st, ctx, KADM_KUBELET_CONF);
        if (kubelet < 0)
                return -1;
        int admin = kadm_is_master(st, ctx) ? kadm_control_plane_exists(st, ctx) : 1;
        if (admin < 0)
                return -1;
        /* A master whose etcd member is gone is set up again, as a new one is. */
        if (kadm_rejoining(st, ctx))
                admin = 0;
        pthread_mutex_lock(&st->mu);
        size_t n = st->host->config_len(kadm_hosts(st));
        if (!st->status)
                st->status = calloc(n ? n : 1, sizeof(*st->status));
        if (st->status && idx >= 0 && (size_t)idx < n) {
                st->n_status = n;
                st->status[idx] = kubelet && admin ? KADM_JOINED : KADM_FRESH;
        }
        int ok = st->status != NULL;
        pthread_mutex_unlock(&st->mu);
        if (!ok) {
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

/* prefetch(): what status_probe() reads on the host. */
static void status_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        (void)kadm_exists(st, ctx, KADM_KUBELET_CONF);
        if (kadm_is_master(st, ctx))
                (void)kadm_control_plane_exists(st, ctx);
}

const struct pharos_step kadm_step_status = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.status",
        .phase = "facts",
        .description = "read whether the host already belongs to the cluster",
        .applies = status_probe,
        .run = status_probe,
        .prefetch = status_prefetch,
};
