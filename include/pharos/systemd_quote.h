/*
 * One word of a systemd unit file, header-only so every plugin writing unit
 * files and drop-ins escapes the same way. systemd expands %-specifiers in
 * Environment= and Exec*= lines and $VAR in Exec*= command lines, then
 * splits the line into words with C escapes inside double quotes
 * (systemd.unit(5) "Specifiers", systemd.service(5) "Command lines").
 */
#ifndef PHAROS_SYSTEMD_QUOTE_H
#define PHAROS_SYSTEMD_QUOTE_H

#include <stddef.h>

/* Where the word goes: an Exec*= command line also expands $VAR and ${VAR}. */
enum pharos_systemd_ctx {
        PHAROS_SYSTEMD_ENV = 0,  /* Environment="K=V" and other settings */
        PHAROS_SYSTEMD_EXEC = 1, /* an argument of ExecStart= and friends */
};

/*
 * Writes value as one double-quoted word into out (n bytes): '%' becomes
 * "%%", '"' and '\' get a backslash, and in PHAROS_SYSTEMD_EXEC '$' becomes
 * "$$". Returns the length written, or -1 when the value holds a control
 * character (a line break would start a new setting, which no quoting
 * prevents) or out is too small. The caller owns out.
 */
static inline int pharos_systemd_quote(const char *value, enum pharos_systemd_ctx where, char *out,
                                       size_t n)
{
        size_t k = 0;
        if (!value || n < 3)
                return -1;
        out[k++] = '"';
        for (const char *p = value; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c < 0x20 || c == 0x7f)
                        return -1;
                const char *rep = NULL;
                if (c == '%')
                        rep = "%%";
                else if (c == '"')
                        rep = "\\\"";
                else if (c == '\\')
                        rep = "\\\\";
                else if (c == '$' && where == PHAROS_SYSTEMD_EXEC)
                        rep = "$$";
                size_t len = rep ? 2 : 1;
                if (k + len + 2 > n)
                        return -1;
                if (rep) {
                        out[k++] = rep[0];
                        out[k++] = rep[1];
                } else {
                        out[k++] = (char)c;
                }
        }
        out[k++] = '"';
        out[k] = '\0';
        return (int)k;
}

#endif
