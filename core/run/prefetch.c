#include <stdlib.h>
#include <string.h>

#include "run/prefetch.h"

struct pf_entry {
        enum tp_batch_kind kind;
        char *text;
        struct tp_env *env; /* names and values malloc'd */
        size_t n_env;
        struct tp_result res; /* status -1 until answered */
};

static void entry_free(struct pf_entry *e)
{
        free(e->text);
        for (size_t i = 0; i < e->n_env; i++) {
                free((char *)e->env[i].name);
                /* Values may be secrets (a token passed to a check). */
                char *v = (char *)e->env[i].value;
                if (v)
                        memset(v, 0, strlen(v));
                free(v);
        }
        free(e->env);
        if (e->res.out)
                memset(e->res.out, 0, e->res.out_len);
        tp_result_free(&e->res);
}

static int same(const struct pf_entry *e, enum tp_batch_kind kind, const char *text,
                const struct pharos_env *env, size_t n_env)
{
        if (e->kind != kind || e->n_env != n_env || strcmp(e->text, text) != 0)
                return 0;
        for (size_t i = 0; i < n_env; i++)
                if (strcmp(e->env[i].name, env[i].name ? env[i].name : "") != 0 ||
                    strcmp(e->env[i].value, env[i].value ? env[i].value : "") != 0)
                        return 0;
        return 1;
}

int pf_record(struct pf_cache *c, enum tp_batch_kind kind, const char *text,
              const struct pharos_env *env, size_t n_env)
{
        for (size_t i = 0; i < c->n; i++)
                if (same(&c->e[i], kind, text, env, n_env))
                        return 0;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct pf_entry *e = realloc(c->e, cap * sizeof(*e));
                if (!e)
                        return PERR_NOMEM;
                c->e = e;
                c->cap = cap;
        }
        struct pf_entry *e = &c->e[c->n];
        *e = (struct pf_entry){.kind = kind, .res = {.status = -1}};
        e->text = strdup(text);
        e->env = n_env ? calloc(n_env, sizeof(*e->env)) : NULL;
        int ok = e->text && (!n_env || e->env);
        for (size_t i = 0; ok && i < n_env; i++) {
                e->env[i].name = strdup(env[i].name ? env[i].name : "");
                e->env[i].value = strdup(env[i].value ? env[i].value : "");
                e->n_env = i + 1;
                ok = e->env[i].name && e->env[i].value;
        }
        if (!ok) {
                entry_free(e);
                return PERR_NOMEM;
        }
        c->n++;
        return 0;
}

int pf_send(struct pf_cache *c, struct transport *tp, unsigned long gen, struct pharos_error *err)
{
        c->sent = 1;
        if (!c->n)
                return 0;
        struct tp_batch_req *reqs = calloc(c->n, sizeof(*reqs));
        struct tp_result *res = calloc(c->n, sizeof(*res));
        int rc = PERR_NOMEM;
        if (reqs && res) {
                for (size_t i = 0; i < c->n; i++)
                        reqs[i] = (struct tp_batch_req){c->e[i].kind, c->e[i].text, c->e[i].env,
                                                        c->e[i].n_env};
                rc = tp_batch(tp, reqs, c->n, res, err);
                for (size_t i = 0; rc == 0 && i < c->n; i++) {
                        c->e[i].res = res[i];
                        res[i] = (struct tp_result){0};
                }
                c->gen = gen;
        } else {
                perr_set(err, PERR_NOMEM, "out of memory");
        }
        free(reqs);
        free(res);
        return rc;
}

const struct tp_result *pf_answer(const struct pf_cache *c, unsigned long gen,
                                  enum tp_batch_kind kind, const char *text,
                                  const struct pharos_env *env, size_t n_env)
{
        if (!c->sent || c->gen != gen)
                return NULL;
        /* "Not yet, try again" is never served from here: the step would be
         * retried on the same answer until its budget ran out. */
        for (size_t i = 0; i < c->n; i++)
                if (c->e[i].res.status >= 0 && c->e[i].res.status != PHAROS_EXIT_TRANSIENT &&
                    same(&c->e[i], kind, text, env, n_env))
                        return &c->e[i].res;
        return NULL;
}

void pf_free(struct pf_cache *c)
{
        for (size_t i = 0; i < c->n; i++)
                entry_free(&c->e[i]);
        free(c->e);
        *c = (struct pf_cache){0};
}
