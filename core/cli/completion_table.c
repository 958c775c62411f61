#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/completion_table.h"
#include "cli/usage_scan.h"

static struct ct_entry *find(struct ct_list *l, const char *key)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->e[i].key, key) == 0)
                        return &l->e[i];
        return NULL;
}

/* The global options are offered after every command already. */
static int is_global(const char *name)
{
        for (const struct cli_option *o = cli_global_options; o->long_name; o++)
                if (!strcmp(name, o->long_name) || (o->short_name && !strcmp(name, o->short_name)))
                        return 1;
        return 0;
}

/* Adds word to key's words unless it is there already. */
static int add(struct ct_list *l, const char *key, const char *word)
{
        struct ct_entry *e = find(l, key);
        if (!e) {
                struct ct_entry *grown = realloc(l->e, (l->n + 1) * sizeof(*grown));
                if (!grown)
                        return -1;
                l->e = grown;
                e = &l->e[l->n];
                *e = (struct ct_entry){strdup(key), strdup("")};
                if (!e->key || !e->words) {
                        free(e->key);
                        free(e->words);
                        return -1;
                }
                l->n++;
        }
        size_t have = strlen(e->words), wl = strlen(word);
        for (const char *p = e->words; (p = strstr(p, word)); p += wl)
                if ((p == e->words || p[-1] == ' ') && (p[wl] == ' ' || !p[wl]))
                        return 0;
        char *grown = realloc(e->words, have + wl + 2);
        if (!grown)
                return -1;
        e->words = grown;
        snprintf(e->words + have, wl + 2, "%s%s", have ? " " : "", word);
        return 0;
}

/* Scanning state for one built-in command path. */
struct scan {
        struct completion_table *t;
        const char *path;
        const char *usage;
        char values[256];
        int err;
};

static void value_word(void *ud, const char *word)
{
        struct scan *s = ud;
        size_t n = strlen(s->values);
        snprintf(s->values + n, sizeof(s->values) - n, " %s", word);
}

static void option_line(void *ud, const char *const *names, size_t n, const char *arg)
{
        struct scan *s = ud;
        char kind[300] = "";
        if (*arg) {
                s->values[0] = '\0';
                for (size_t i = 0; i < n; i++)
                        usage_scan_values(s->usage, names[i], value_word, s);
                if (s->values[0])
                        snprintf(kind, sizeof(kind), "values%s", s->values);
                else
                        snprintf(kind, sizeof(kind), "%s",
                                 strstr(arg, "FILE")  ? "file"
                                 : strstr(arg, "DIR") ? "dir"
                                                      : "any");
        }
        for (size_t i = 0; i < n; i++) {
                char key[256];
                snprintf(key, sizeof(key), "%s|%s", s->path, names[i]);
                if (is_global(names[i]))
                        continue;
                if (add(&s->t->opts, s->path, names[i]) < 0 ||
                    (*kind && add(&s->t->args, key, kind) < 0))
                        s->err = -1;
        }
}

static void sub_word(void *ud, const char *word)
{
        struct scan *s = ud;
        char path[256];
        snprintf(path, sizeof(path), "%s %s", s->path, word);
        if (add(&s->t->next, s->path, word) < 0)
                s->err = -1;
        /* A subcommand takes its command's options. */
        struct scan sub = {.t = s->t, .path = path, .usage = s->usage};
        usage_scan_options(s->usage, option_line, &sub);
        if (sub.err < 0)
                s->err = -1;
}

static int add_builtin(struct completion_table *t, const struct cli_command *c)
{
        struct scan s = {.t = t, .path = c->name, .usage = c->usage};
        if (add(&t->next, "", c->name) < 0 || add(&t->next, "help", c->name) < 0)
                return -1;
        usage_scan_options(c->usage, option_line, &s);
        usage_scan_subcommands(c->usage, c->name, sub_word, &s);
        if ((c->flags & CLI_RAW_ARGS) && add(&t->raw, c->name, "") < 0)
                return -1;
        return s.err;
}

/* "etcd members": "" -> etcd, "etcd" -> members, and the parameters at "etcd members". */
static int add_plugin_command(struct completion_table *t, const struct pharos_command *c)
{
        char path[256] = "", word[128];
        for (const char *p = c->name; *p;) {
                size_t n = strcspn(p, " ");
                snprintf(word, sizeof(word), "%.*s", (int)n, p);
                if (add(&t->next, path, word) < 0 || (!*path && add(&t->next, "help", word) < 0))
                        return -1;
                size_t len = strlen(path);
                snprintf(path + len, sizeof(path) - len, "%s%s", len ? " " : "", word);
                p += n;
                p += *p == ' ';
        }
        for (uint32_t i = 0; i < c->n_params; i++) {
                const struct pharos_param *prm = &c->params[i];
                if (!(prm->flags & PHAROS_PARAM_OPTION))
                        continue;
                char opt[160], key[420];
                snprintf(opt, sizeof(opt), "--%s", prm->name);
                if (add(&t->opts, path, opt) < 0)
                        return -1;
                if (prm->type == PHAROS_PARAM_BOOL) {
                        snprintf(opt, sizeof(opt), "--no-%s", prm->name);
                        if (add(&t->opts, path, opt) < 0)
                                return -1;
                        continue;
                }
                snprintf(key, sizeof(key), "%s|%s", path, opt);
                if (add(&t->args, key, "any") < 0)
                        return -1;
        }
        return 0;
}

int ct_build(struct completion_table *t, const struct cli_ctx *ctx)
{
        *t = (struct completion_table){0};
        for (const struct cli_command *const *c = cli_commands; *c; c++)
                if (add_builtin(t, *c) < 0)
                        return -1;
        for (size_t i = 0; i < ctx->reg.n_cmds; i++)
                if (add_plugin_command(t, &ctx->reg.cmds[i].cmd) < 0)
                        return -1;
        return 0;
}

static void free_list(struct ct_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->e[i].key);
                free(l->e[i].words);
        }
        free(l->e);
}

void ct_free(struct completion_table *t)
{
        free_list(&t->next);
        free_list(&t->opts);
        free_list(&t->args);
        free_list(&t->raw);
}
