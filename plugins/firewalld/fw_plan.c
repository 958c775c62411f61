#include <string.h>

#include "fw_plan.h"

int fw_word_ok(const char *s)
{
        if (!s || !*s)
                return 0;
        for (; *s; s++) {
                char c = *s;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == ':' || c == '/'))
                        return 0;
        }
        return 1;
}

int fw_add_word(char *out, size_t cap, const char *word)
{
        size_t wl = strlen(word);
        for (const char *p = out; *p;) {
                size_t l = strcspn(p, " ");
                if (l == wl && !strncmp(p, word, wl))
                        return 0;
                p += l + (p[l] == ' ');
        }
        size_t len = strlen(out);
        if (len + (len ? 1 : 0) + wl + 1 > cap)
                return -1;
        if (len)
                out[len++] = ' ';
        memcpy(out + len, word, wl + 1);
        return 0;
}

int fw_ports_for_role(const struct fw_port *ports, size_t n, const char *role, char *out,
                      size_t cap)
{
        for (size_t i = 0; i < n; i++) {
                int match = 0;
                for (size_t r = 0; r < ports[i].n_roles && !match; r++)
                        match = !strcmp(ports[i].roles[r], "*") || !strcmp(ports[i].roles[r], role);
                if (!match)
                        continue;
                char word[128];
                size_t pl = strlen(ports[i].port), tl = strlen(ports[i].protocol);
                if (pl + tl + 2 > sizeof(word))
                        return -1;
                memcpy(word, ports[i].port, pl);
                word[pl] = '/';
                memcpy(word + pl + 1, ports[i].protocol, tl + 1);
                if (fw_add_word(out, cap, word) < 0)
                        return -1;
        }
        return 0;
}
