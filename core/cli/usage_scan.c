#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/usage_scan.h"

#define WORD_MAX 64

/* Copies the next whitespace-separated word of line [*p, end) into w. */
static int next_word(const char **p, const char *end, char w[WORD_MAX])
{
        while (*p < end && isspace((unsigned char)**p))
                (*p)++;
        size_t n = 0;
        while (*p < end && !isspace((unsigned char)**p)) {
                if (n + 1 < WORD_MAX)
                        w[n++] = **p;
                (*p)++;
        }
        w[n] = '\0';
        return n > 0;
}

/* A value placeholder: FILE, KEY=VALUE, KEY[=VALUE]:EFFECT, N (no lower case). */
static int is_placeholder(const char *w)
{
        if (!*w || *w == '-')
                return 0;
        for (; *w; w++)
                if (islower((unsigned char)*w))
                        return 0;
        return 1;
}

static int strip_comma(char *w)
{
        size_t n = strlen(w);
        if (n && w[n - 1] == ',') {
                w[n - 1] = '\0';
                return 1;
        }
        return 0;
}

/* One option line: "-c, --config FILE   text". Descriptions are never read:
 * the names end at the first word that is neither an option nor, right after
 * one, its placeholder. */
static void option_line(const char *p, const char *end, usage_option_fn fn, void *ud)
{
        char names[4][WORD_MAX], arg[WORD_MAX] = "", w[WORD_MAX];
        size_t n = 0;
        while (n < 4 && next_word(&p, end, w) && w[0] == '-' && w[1] && w[1] != ' ') {
                int more = strip_comma(w);
                snprintf(names[n++], WORD_MAX, "%s", w);
                if (more)
                        continue;
                const char *save = p;
                if (!next_word(&p, end, w) || !is_placeholder(w)) {
                        p = save;
                        break;
                }
                more = strip_comma(w);
                snprintf(arg, sizeof(arg), "%s", w);
                if (!more)
                        break;
        }
        const char *ptrs[4];
        for (size_t i = 0; i < n; i++)
                ptrs[i] = names[i];
        if (n)
                fn(ud, ptrs, n, arg);
}

static void synopsis_lines(const char *usage, void (*fn)(void *, const char *, const char *),
                           void *ud);

struct syn_opts {
        usage_option_fn fn;
        void *ud;
};

/* "[--output text|json]", "[-c FILE]", "[-y]": options a synopsis shows. */
static void synopsis_options(void *v, const char *p, const char *end)
{
        struct syn_opts *s = v;
        char w[WORD_MAX], name[WORD_MAX];
        int have = next_word(&p, end, w);
        while (have) {
                char *t = w + (w[0] == '[');
                t[strcspn(t, "]")] = '\0';
                if (t[0] != '-' || !t[1] || !strcmp(t, "--")) {
                        have = next_word(&p, end, w);
                        continue;
                }
                snprintf(name, sizeof(name), "%s", t);
                const char *names[1] = {name}, *arg = "";
                have = next_word(&p, end, w);
                if (have) {
                        t = w + (w[0] == '[');
                        t[strcspn(t, "]")] = '\0';
                        if (is_placeholder(t) && strcmp(t, "|") != 0)
                                arg = t;
                        else if (strchr(t, '|') && t[0] != '-')
                                arg = "VALUE";
                }
                s->fn(s->ud, names, 1, arg);
                if (*arg)
                        have = next_word(&p, end, w);
        }
}

void usage_scan_options(const char *usage, usage_option_fn fn, void *ud)
{
        struct syn_opts syn = {fn, ud};
        synopsis_lines(usage, synopsis_options, &syn);
        for (const char *line = usage; *line;) {
                const char *end = strchr(line, '\n');
                if (!end)
                        end = line + strlen(line);
                const char *p = line;
                while (p < end && *p == ' ')
                        p++;
                /* Option lines are indented at most 6 columns; deeper is a description's
                 * continuation, which may start with a dash too. */
                if (p - line <= 6 && p + 1 < end && p[0] == '-' &&
                    (p[1] == '-' || isalpha((unsigned char)p[1])))
                        option_line(p, end, fn, ud);
                line = *end ? end + 1 : end;
        }
}

/* Calls fn(ud, line, end) for each synopsis line: "usage: ..." and the
 * "       pharos ..." lines right after it. */
static void synopsis_lines(const char *usage, void (*fn)(void *, const char *, const char *),
                           void *ud)
{
        const char *line = usage;
        for (int first = 1; *line; first = 0) {
                const char *end = strchr(line, '\n');
                if (!end)
                        end = line + strlen(line);
                const char *p = line;
                if (first && strncmp(p, "usage: ", 7) == 0)
                        p += 7;
                else if (!first && *p == ' ')
                        while (p < end && *p == ' ')
                                p++;
                else
                        return;
                if (strncmp(p, "pharos ", 7) != 0)
                        return;
                fn(ud, p, end);
                line = *end ? end + 1 : end;
        }
}

struct sub_scan {
        const char *cmd;
        usage_word_fn fn;
        void *ud;
        char seen[8][WORD_MAX];
        size_t n_seen;
};

static void sub_line(void *v, const char *p, const char *end)
{
        struct sub_scan *s = v;
        char w[WORD_MAX];
        next_word(&p, end, w); /* "pharos" */
        if (!next_word(&p, end, w) || strcmp(w, s->cmd) != 0 || !next_word(&p, end, w))
                return;
        for (const char *c = w; *c; c++)
                if (!islower((unsigned char)*c) && *c != '-' && *c != '|')
                        return;
        /* "bash|zsh": one of several words. */
        char *save = NULL;
        for (char *t = strtok_r(w, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
                size_t i = 0;
                while (i < s->n_seen && strcmp(s->seen[i], t) != 0)
                        i++;
                if (i < s->n_seen)
                        continue;
                if (s->n_seen < 8)
                        snprintf(s->seen[s->n_seen++], WORD_MAX, "%s", t);
                s->fn(s->ud, t);
        }
}

void usage_scan_subcommands(const char *usage, const char *cmd, usage_word_fn fn, void *ud)
{
        struct sub_scan s = {.cmd = cmd, .fn = fn, .ud = ud};
        synopsis_lines(usage, sub_line, &s);
}

struct value_scan {
        const char *opt;
        usage_word_fn fn;
        void *ud;
};

static void value_line(void *v, const char *p, const char *end)
{
        struct value_scan *s = v;
        char w[WORD_MAX];
        while (next_word(&p, end, w)) {
                if (strcmp(w[0] == '[' ? w + 1 : w, s->opt) != 0 || !next_word(&p, end, w))
                        continue;
                if (!strchr(w, '|'))
                        return;
                char *save = NULL;
                for (char *t = strtok_r(w, "|]", &save); t; t = strtok_r(NULL, "|]", &save))
                        s->fn(s->ud, t);
                return;
        }
}

void usage_scan_values(const char *usage, const char *opt, usage_word_fn fn, void *ud)
{
        struct value_scan s = {.opt = opt, .fn = fn, .ud = ud};
        synopsis_lines(usage, value_line, &s);
}
