/* Which hosts a family claims and supports: pure functions of the host's facts. */
#include <stdio.h>
#include <string.h>

#include "os_family.h"

/* 1 when word is one of the space-separated words of list. */
static int has_word(const char *list, const char *word)
{
        size_t n = strlen(word);
        for (const char *p = list; p && *p;) {
                while (*p == ' ')
                        p++;
                size_t len = strcspn(p, " ");
                if (len == n && len > 0 && strncmp(p, word, n) == 0)
                        return 1;
                p += len;
        }
        return 0;
}

static int any_word(const char *const *words, const char *id, const char *id_like)
{
        for (const char *const *w = words; w && *w; w++)
                if (has_word(id, *w) || has_word(id_like, *w))
                        return 1;
        return 0;
}

int os_claims(const struct os_family *fam, const char *id, const char *id_like)
{
        return any_word(fam->ids, id, id_like) && !any_word(fam->not_ids, id, id_like);
}

int os_version_supported(const struct os_family *fam, const char *version_id)
{
        if (!version_id)
                return 0;
        for (const char *const *v = fam->versions; *v; v++) {
                size_t n = strlen(*v);
                if (strncmp(version_id, *v, n) == 0 &&
                    (version_id[n] == '\0' || version_id[n] == '.'))
                        return 1;
        }
        return 0;
}

void os_supported_list(const struct os_family *fam, char *buf, size_t n)
{
        size_t used = 0;
        buf[0] = '\0';
        for (const char *const *v = fam->versions; *v && used < n; v++) {
                int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", *v);
                if (w < 0)
                        return;
                used += (size_t)w;
        }
}

int os_arch_supported(const char *arch)
{
        return arch && (strcmp(arch, "x86_64") == 0 || strcmp(arch, "aarch64") == 0);
}

int os_kube_minor(const char *version, char *out, size_t n)
{
        unsigned major, minor, patch;
        char extra;
        if (!version || sscanf(version, "%u.%u.%u%c", &major, &minor, &patch, &extra) != 3)
                return -1;
        int w = snprintf(out, n, "%u.%u", major, minor);
        return w < 0 || (size_t)w >= n ? -1 : 0;
}
