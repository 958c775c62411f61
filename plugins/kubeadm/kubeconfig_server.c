/*
 * The API server a kubeconfig names, rewritten when the control-plane
 * endpoint moves (step_endpoint.c). Text in, text out: kubeconfigs are the
 * files kubeadm and the kubelet wrote, with one `server:` per cluster entry,
 * so a line-wise rewrite keeps everything else byte for byte.
 */
#include <string.h>

#include "kadm.h"

/* The value of a `server:` line (key at any indentation), or NULL. *len its length. */
static const char *server_value(const char *line, size_t line_len, size_t *len)
{
        const char *p = line, *end = line + line_len;
        while (p < end && (*p == ' ' || *p == '-'))
                p++;
        if ((size_t)(end - p) < 7 || memcmp(p, "server:", 7) != 0)
                return NULL;
        p += 7;
        while (p < end && *p == ' ')
                p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\r'))
                end--;
        if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
                p++;
                end--;
        }
        *len = (size_t)(end - p);
        return p;
}

static int same(const char *v, size_t len, const char *s)
{
        return s && strlen(s) == len && memcmp(v, s, len) == 0;
}

static int kept(const char *v, size_t len, const char *const *keep)
{
        for (size_t i = 0; keep && keep[i]; i++)
                if (same(v, len, keep[i]))
                        return 1;
        return 0;
}

int kadm_kubeconfig_retarget(const char *text, const char *server, const char *const *keep,
                             struct kbuf *out)
{
        int differ = 0;
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t line_len = nl ? (size_t)(nl - line) : strlen(line);
                size_t len = 0;
                const char *v = server_value(line, line_len, &len);
                int replace = v && !same(v, len, server) && !kept(v, len, keep);
                differ += replace;
                if (out && replace)
                        kb_printf(out, "%.*sserver: %s%s", (int)(strstr(line, "server:") - line),
                                  line, server, nl ? "\n" : "");
                else if (out)
                        kb_printf(out, "%.*s", (int)(line_len + (nl ? 1 : 0)), line);
                line += line_len + (nl ? 1 : 0);
        }
        return out && out->oom ? -1 : differ;
}
