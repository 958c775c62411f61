#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hu_render.h"

struct field {
        const char *what;
        int lo, hi;
        const char *const *names; /* names for lo.., or NULL */
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                     "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};
static const char *const day_out[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

static const struct field fields[5] = {
        {"minute", 0, 59, NULL},  {"hour", 0, 23, NULL},       {"day of month", 1, 31, NULL},
        {"month", 1, 12, months}, {"day of week", 0, 7, days},
};

/* A number or name of field f at *p; advances *p. -1 when there is none. */
static int value(const struct field *f, const char **p)
{
        if (isdigit((unsigned char)**p)) {
                char *end;
                long v = strtol(*p, &end, 10);
                *p = end;
                return v >= f->lo && v <= f->hi ? (int)v : -1;
        }
        for (int i = 0; f->names && f->names[i]; i++)
                if (strncasecmp(*p, f->names[i], 3) == 0) {
                        *p += 3;
                        return i + (f->names == months ? 1 : 0);
                }
        return -1;
}

/*
 * Expands one cron field into the values it selects (set[v] = 1). Returns
 * 1 for "*", 0 for a restriction, -1 when malformed; *step gets the step
 * of a plain "*" + "/n".
 */
static int expand(const struct field *f, const char *text, unsigned char *set, int *step)
{
        *step = 0;
        if (strcmp(text, "*") == 0)
                return 1;
        if (strncmp(text, "*/", 2) == 0) {
                char *end;
                long n = strtol(text + 2, &end, 10);
                if (*end || n < 1 || n > f->hi)
                        return -1;
                *step = (int)n;
                return 0;
        }
        char *copy = strdup(text), *save = NULL;
        if (!copy)
                return -1;
        int rc = 0;
        for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
             item = strtok_r(NULL, ",", &save)) {
                const char *p = item;
                int a = value(f, &p), b = a, n = 1;
                if (a >= 0 && *p == '-') {
                        p++;
                        b = value(f, &p);
                }
                if (a >= 0 && *p == '/') {
                        char *end;
                        long s = strtol(p + 1, &end, 10);
                        n = s >= 1 && s <= f->hi ? (int)s : 0;
                        p = end;
                }
                if (a < 0 || b < a || n < 1 || *p)
                        rc = -1;
                for (int v = a; rc == 0 && v <= b; v += n)
                        set[v] = 1;
        }
        free(copy);
        return rc;
}

/* Appends to out like snprintf; *len may pass size, which callers check at the end. */
static void app(char *out, size_t size, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void app(char *out, size_t size, size_t *len, const char *fmt, ...)
{
        if (*len >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(out + *len, size - *len, fmt, ap);
        va_end(ap);
        *len += n > 0 ? (size_t)n : 0;
}

/* Appends field i's systemd form: *, start/step or a list. */
static void emit(int i, int star, int step, const unsigned char *set, char *out, size_t size,
                 size_t *len)
{
        if (star) {
                app(out, size, len, "*");
        } else if (step) {
                app(out, size, len, "%02d/%d", fields[i].lo, step);
        } else {
                const char *sep = "";
                for (int v = fields[i].lo; v <= fields[i].hi; v++)
                        if (set[v]) {
                                app(out, size, len, "%s%02d", sep, v);
                                sep = ",";
                        }
        }
}

int hu_calendar(const char *cron, char *out, size_t size, char *why, size_t why_size)
{
        static const char *const macros[][2] = {
                {"@hourly", "hourly"},   {"@daily", "daily"},     {"@midnight", "daily"},
                {"@weekly", "weekly"},   {"@monthly", "monthly"}, {"@yearly", "yearly"},
                {"@annually", "yearly"},
        };
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
                if (strcmp(cron, macros[i][0]) == 0) {
                        snprintf(out, size, "%s", macros[i][1]);
                        return 0;
                }
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", cron);
        char *part[6] = {0}, *save = NULL;
        int n = 0;
        for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                if (n < 6)
                        part[n++] = t;
                else
                        n = 7;
        if (n != 5) {
                snprintf(why, why_size,
                         "'%s' is not a cron schedule (5 fields: minute hour "
                         "day-of-month month day-of-week)",
                         cron);
                return -1;
        }
        unsigned char set[5][64] = {{0}};
        int star[5], step[5];
        for (int i = 0; i < 5; i++) {
                star[i] = expand(&fields[i], part[i], set[i], &step[i]);
                if (star[i] < 0) {
                        snprintf(why, why_size, "'%s' is not a valid %s", part[i], fields[i].what);
                        return -1;
                }
        }
        if (!star[2] && !star[4]) {
                snprintf(why, why_size,
                         "'%s' restricts both day of month and day of week; cron runs when "
                         "either matches, a systemd timer only when both do",
                         cron);
                return -1;
        }
        if (step[4]) {
                snprintf(why, why_size, "'%s': a step is not supported in the day of week", cron);
                return -1;
        }
        size_t len = 0;
        out[0] = '\0';
        if (!star[4]) {
                set[4][0] |= set[4][7];
                const char *sep = "";
                for (int d = 0; d < 7; d++)
                        if (set[4][d]) {
                                app(out, size, &len, "%s%s", sep, day_out[d]);
                                sep = ",";
                        }
                app(out, size, &len, " ");
        }
        app(out, size, &len, "*-");
        emit(3, star[3], step[3], set[3], out, size, &len);
        app(out, size, &len, "-");
        emit(2, star[2], step[2], set[2], out, size, &len);
        app(out, size, &len, " ");
        emit(1, star[1], step[1], set[1], out, size, &len);
        app(out, size, &len, ":");
        emit(0, star[0], step[0], set[0], out, size, &len);
        app(out, size, &len, ":00");
        if (len >= size) {
                snprintf(why, why_size, "'%s' selects too many values", cron);
                return -1;
        }
        return 0;
}

int hu_window(const char *spec, char *out, size_t size)
{
        long long total = 0;
        const char *p = spec;
        if (!*p)
                return -1;
        while (*p) {
                if (!isdigit((unsigned char)*p))
                        return -1;
                char *end;
                long long v = strtoll(p, &end, 10);
                long long mult;
                switch (*end) {
                case 's':
                        mult = 1;
                        break;
                case 'm':
                        mult = 60;
                        break;
                case 'h':
                        mult = 3600;
                        break;
                case 'd':
                        mult = 86400;
                        break;
                case '\0':
                        mult = p == spec ? 1 : -1;
                        break;
                default:
                        mult = -1;
                }
                if (mult < 0 || v > 366LL * 86400)
                        return -1;
                total += v * mult;
                p = *end ? end + 1 : end;
        }
        if (total > 366LL * 86400)
                return -1;
        snprintf(out, size, "%llds", total);
        return 0;
}
