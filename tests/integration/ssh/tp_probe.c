/*
 * Drives the transport directly, for the integration tests:
 *   tp_probe [OPTIONS] ADDRESS ACTION ARGS...   (--debug: log at debug level)
 * ACTION: exec CMD | logged CMD | upload LOCAL REMOTE MODE [OWNER] | read REMOTE |
 *         script FILE [NAME=VALUE...] | repeat N CMD | drop-then CMD | lost CMD
 * exec prints the command's stdout and stderr unchanged and exits with its
 * status; errors go to stderr as "tp_probe: MESSAGE" with exit 255.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssh/transport.h"
#include "ssh/transport_impl.h"
#include "util/log.h"

static void sink(void *ud, int stream, const char *buf, size_t n)
{
        (void)ud;
        fwrite(buf, 1, n, stream == 1 ? stdout : stderr);
}

static int die(const struct pharos_error *err)
{
        fflush(stdout);
        fprintf(stderr, "tp_probe: %s\n", err->msg);
        return 255;
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        struct stat st;
        fstat(fileno(f), &st);
        char *buf = malloc((size_t)st.st_size + 1);
        *len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        if (buf)
                buf[*len] = '\0';
        fclose(f);
        return buf;
}

int main(int argc, char **argv)
{
        struct tp_target t = {0}, b = {0};
        struct tp_opts o = {0};
        int sudo = 0, i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
                if (strcmp(a, "--user") == 0)
                        t.user = v, i++;
                else if (strcmp(a, "--key") == 0)
                        t.key_path = v, i++;
                else if (strcmp(a, "--port") == 0)
                        t.port = atoi(v), i++;
                else if (strcmp(a, "--proxy") == 0)
                        t.proxy_command = v, i++;
                else if (strcmp(a, "--bastion") == 0)
                        b.address = v, t.bastion = &b, i++;
                else if (strcmp(a, "--known-hosts") == 0)
                        o.known_hosts = v, i++;
                else if (strcmp(a, "--connect-timeout") == 0)
                        o.connect_timeout_ms = atoi(v), i++;
                else if (strcmp(a, "--timeout") == 0)
                        o.command_timeout_ms = atoi(v), i++;
                else if (strcmp(a, "--trust-hosts") == 0)
                        o.trust_hosts = 1;
                else if (strcmp(a, "--sudo") == 0)
                        sudo = 1;
                else if (strcmp(a, "--local") == 0)
                        t.local = 1;
                else if (strcmp(a, "--debug") == 0)
                        log_set_level(PHAROS_LOG_DEBUG);
                else {
                        fprintf(stderr, "tp_probe: unknown option %s\n", a);
                        return 254;
                }
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: tp_probe [OPTIONS] ADDRESS ACTION ARGS...\n");
                return 254;
        }
        t.address = argv[i++];
        b.user = t.user;
        b.key_path = t.key_path;
        const char *action = argv[i++];
        struct pharos_error err = {0};
        struct transport *tp = NULL;
        if (tp_open(&t, &o, &tp, &err) < 0)
                return die(&err);
        int rc = 0;
        struct tp_result r = {0};
        if (strcmp(action, "exec") == 0 && i < argc) {
                struct tp_cmd c = {.cmd = argv[i], .sudo = sudo, .sink = sink};
                rc = tp_exec(tp, &c, &r, &err) < 0 ? die(&err) : r.status;
        } else if (strcmp(action, "logged") == 0 && i < argc) {
                /* no sink: output reaches the debug log */
                log_set_level(PHAROS_LOG_DEBUG);
                struct tp_cmd c = {.cmd = argv[i], .sudo = sudo};
                rc = tp_exec(tp, &c, &r, &err) < 0 ? die(&err) : r.status;
        } else if (strcmp(action, "repeat") == 0 && i + 1 < argc) {
                /* the same session for every command */
                for (int k = atoi(argv[i]); k > 0 && rc == 0; k--) {
                        struct tp_cmd c = {.cmd = argv[i + 1], .sudo = sudo, .sink = sink};
                        rc = tp_exec(tp, &c, &r, &err) < 0 ? die(&err) : r.status;
                }
        } else if (strcmp(action, "drop-then") == 0 && i < argc) {
                /* breaks the session under the transport, then runs a command */
                shutdown(tp->conn.sock, SHUT_RDWR);
                struct tp_cmd c = {.cmd = argv[i], .sudo = sudo, .sink = sink};
                rc = tp_exec(tp, &c, &r, &err) < 0 ? die(&err) : r.status;
        } else if (strcmp(action, "lost") == 0 && i < argc) {
                /* breaks the session, then runs the command once per line read on stdin
                 * (the test stops and starts the host's sshd in between), printing each
                 * outcome; a lost host must never bring the transport down */
                shutdown(tp->conn.sock, SHUT_RDWR);
                printf("connected\n");
                fflush(stdout);
                char line[64];
                while (fgets(line, sizeof(line), stdin)) {
                        struct tp_cmd c = {.cmd = argv[i], .sudo = sudo, .sink = sink};
                        if (tp_exec(tp, &c, &r, &err) < 0)
                                printf("error: %s\n", err.msg);
                        else
                                printf("status %d\n", r.status);
                        tp_result_free(&r);
                        fflush(stdout);
                }
        } else if (strcmp(action, "upload") == 0 && i + 2 < argc) {
                size_t len = 0;
                char *data = slurp(argv[i], &len);
                if (!data) {
                        perror(argv[i]);
                        rc = 254;
                } else if (tp_upload(tp, argv[i + 1], data, len,
                                     (mode_t)strtol(argv[i + 2], NULL, 8),
                                     i + 3 < argc ? argv[i + 3] : NULL, &err) < 0) {
                        rc = die(&err);
                }
                free(data);
        } else if (strcmp(action, "read") == 0 && i < argc) {
                char *data = NULL;
                size_t len = 0;
                if (tp_read_file(tp, argv[i], &data, &len, &err) < 0)
                        rc = die(&err);
                else
                        fwrite(data, 1, len, stdout);
                free(data);
        } else if (strcmp(action, "script") == 0 && i < argc) {
                size_t len = 0, n_env = 0;
                char *script = slurp(argv[i], &len);
                struct tp_env env[16];
                for (int k = i + 1; k < argc && n_env < 16; k++) {
                        char *eq = strchr(argv[k], '=');
                        if (!eq)
                                continue;
                        *eq = '\0';
                        env[n_env++] = (struct tp_env){argv[k], eq + 1};
                }
                struct tp_cmd io = {.sink = sink};
                if (!script)
                        rc = 254;
                else
                        rc = tp_script(tp, script, env, n_env, sudo, &io, &r, &err) < 0 ? die(&err)
                                                                                        : r.status;
                free(script);
        } else {
                fprintf(stderr, "tp_probe: bad action %s\n", action);
                rc = 254;
        }
        tp_result_free(&r);
        tp_close(tp);
        tp_global_cleanup();
        return rc;
}
