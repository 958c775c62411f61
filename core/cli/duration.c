#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "cli/duration.h"

int duration_parse_ms(const char *text, long *ms)
{
        static const struct {
                const char *unit;
                long ms;
        } units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
        const char *p = text;
        long total = 0;
        if (!*p)
                return -1;
        while (*p) {
                if (!isdigit((unsigned char)*p))
                        return -1;
                long n = 0;
                while (isdigit((unsigned char)*p)) {
                        if (n > LONG_MAX / 10 - 10)
                                return -1;
                        n = n * 10 + (*p++ - '0');
                }
                long scale = 0;
                if (!*p && p != text && total == 0 && strspn(text, "0123456789") == strlen(text))
                        scale = 1000; /* a bare number counts seconds */
                for (size_t u = 0; !scale && u < sizeof(units) / sizeof(units[0]); u++) {
                        size_t len = strlen(units[u].unit);
                        if (strncmp(p, units[u].unit, len) == 0) {
                                scale = units[u].ms;
                                p += len;
                        }
                }
                if (!scale || n > (LONG_MAX - total) / scale)
                        return -1;
                total += n * scale;
        }
        *ms = total;
        return 0;
}
