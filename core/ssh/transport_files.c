/* Scripts and files, built on commands so SSH and local hosts share them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/shquote.h"
#include "ssh/transport_impl.h"

static int valid_env_name(const char *n)
{
        if (!n || !(isalpha((unsigned char)*n) || *n == '_'))
                return 0;
        for (; *n; n++)
                if (!(isalnum((unsigned char)*n) || *n == '_'))
                        return 0;
        return 1;
}

char *tp_put_quoted(char *p, const char *s)
{
        *p++ = '\'';
        for (; *s; s++) {
                if (*s == '\'') {
                        for (const char *e = "'\\''"; *e; e++)
                                *p++ = *e;
                } else {
                        *p++ = *s;
                }
        }
        *p++ = '\'';
        return p;
}

int tp_script_payload(struct transport *t, const char *script, const struct tp_env *env,
                      size_t n_env, char **out, size_t *len, struct pharos_error *err)
{
        size_t script_len = strlen(script), cap = script_len + 1;
        for (size_t i = 0; i < n_env; i++) {
                if (!valid_env_name(env[i].name)) {
                        perr_set(err, PERR_USAGE, "%s: invalid environment variable name '%s'",
                                 t->name, env[i].name ? env[i].name : "");
                        return PERR_USAGE;
                }
                cap += strlen(env[i].name) * 2 + strlen(env[i].value) * 4 + 16;
        }
        /* The variables are assignments ahead of the script on stdin: on a
         * command line, /proc/PID/cmdline and sudo's log would show their values
         * (proxy passwords), and ARG_MAX would bound their size. */
        char *in = malloc(cap);
        if (!in) {
                perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
                return PERR_NOMEM;
        }
        char *p = in;
        for (size_t i = 0; i < n_env; i++) {
                size_t n = strlen(env[i].name);
                memcpy(p, env[i].name, n);
                p += n;
                *p++ = '=';
                p = tp_put_quoted(p, env[i].value);
                memcpy(p, "; export ", 9);
                p += 9;
                memcpy(p, env[i].name, n);
                p += n;
                *p++ = '\n';
        }
        memcpy(p, script, script_len);
        p += script_len;
        *p = '\0';
        *out = in;
        *len = (size_t)(p - in);
        return 0;
}

int tp_script(struct transport *t, const char *script, const struct tp_env *env, size_t n_env,
              int sudo, const struct tp_cmd *io, struct tp_result *res, struct pharos_error *err)
{
        char *in = NULL;
        size_t in_len = 0;
        int rc = tp_script_payload(t, script, env, n_env, &in, &in_len, err);
        if (rc < 0)
                return rc;
        /* $PATH is expanded after sudo, so a script gets root's PATH (sudo's
         * secure_path) as `sudo CMD` would; a non-root login's PATH on
         * Debian and Ubuntu lacks the sbin directories (modprobe, sysctl,
         * iptables), which are appended for hosts whose sudo keeps the
         * caller's PATH. */
        const char *line = sudo && !t->is_root
                                   ? "sudo -n sh -c 'exec env -i "
                                     "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin\" "
                                     "sh -s'"
                                   : "sh -c 'exec env -i "
                                     "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin\" sh -s'";
        struct tp_cmd c = io ? *io : (struct tp_cmd){0};
        c.cmd = line;
        c.in = in;
        c.in_len = in_len;
        rc = tp_run_line(t, line, "a script", sudo && !t->is_root, &c, res, err);
        memset(in, 0, in_len);
        free(in);
        return rc;
}

/* The first line of a command's stderr, for messages. */
static const char *first_line(const struct tp_result *r, char *buf, size_t cap)
{
        snprintf(buf, cap, "%s", r->err && r->err_len ? r->err : "no error output");
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

int tp_upload(struct transport *t, const char *path, const void *data, size_t len, mode_t mode,
              const char *owner, struct pharos_error *err)
{
        char *qp = shq_word(path);
        char *qo = owner ? shq_word(owner) : NULL;
        if (!qp || (owner && !qo)) {
                free(qp);
                free(qo);
                return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
        }
        /* The temporary file sits next to the target so rename() is atomic. */
        size_t cap = strlen(qp) * 3 + (qo ? strlen(qo) : 0) + 512;
        char *script = malloc(cap);
        if (script)
                snprintf(
                        script, cap,
                        "set -e; p=%s; t=$(mktemp \"$(dirname -- \"$p\")/.pharos-upload.XXXXXX\"); "
                        "trap 'rm -f -- \"$t\"' EXIT; cat > \"$t\"; chmod %04o \"$t\"; "
                        "%s%s%s mv -f -- \"$t\" \"$p\"; trap - EXIT",
                        qp, (unsigned)(mode & 07777), qo ? "chown " : "", qo ? qo : "",
                        qo ? " \"$t\";" : "");
        free(qp);
        free(qo);
        if (!script)
                return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
        struct tp_cmd c = {.cmd = script, .sudo = 1, .in = data, .in_len = len, .capture = 1};
        struct tp_result r;
        int rc = tp_exec(t, &c, &r, err);
        free(script);
        if (rc < 0)
                return rc;
        if (r.status != 0) {
                char line[512];
                rc = perr_set(err, PERR_FAIL, "%s: cannot write %s: %s", t->name, path,
                              first_line(&r, line, sizeof(line)));
        }
        tp_result_free(&r);
        return rc;
}

int tp_read_file(struct transport *t, const char *path, char **data, size_t *len,
                 struct pharos_error *err)
{
        char *qp = shq_word(path);
        char *cmd = qp ? malloc(strlen(qp) + 16) : NULL;
        if (!cmd) {
                free(qp);
                return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
        }
        sprintf(cmd, "cat -- %s", qp);
        free(qp);
        struct tp_cmd c = {.cmd = cmd, .sudo = 1, .capture = 1, .quiet = 1};
        struct tp_result r;
        int rc = tp_exec(t, &c, &r, err);
        free(cmd);
        if (rc < 0)
                return rc;
        if (r.status != 0) {
                char line[512];
                rc = perr_set(err, PERR_FAIL, "%s: cannot read %s: %s", t->name, path,
                              first_line(&r, line, sizeof(line)));
                tp_result_free(&r);
                return rc;
        }
        *len = r.out_len;
        *data = r.out ? r.out : calloc(1, 1);
        r.out = NULL;
        tp_result_free(&r);
        return *data ? 0 : perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
}
