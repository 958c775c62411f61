/*
 * What the steps' prefetch() asked a host (include/pharos/host.h), asked in
 * one round trip and kept for their applies(): an answer serves a call with
 * the same arguments until a step's run() starts (the run's generation
 * moves on), so a run where nothing changes asks each host once.
 */
#ifndef PHAROS_CORE_RUN_PREFETCH_H
#define PHAROS_CORE_RUN_PREFETCH_H

#include <stddef.h>

#include <pharos/host.h>

#include "ssh/transport.h"
#include "util/error.h"

struct pf_entry;

/* One host's requests and answers. Zero-initialised is empty. */
struct pf_cache {
        struct pf_entry *e;
        size_t n, cap;
        unsigned long gen; /* the run's generation when the answers came */
        int sent;          /* pf_send ran (answers, or none after a failure) */
};

/* Adds a request (copied; the same one twice is kept once). <0: out of memory. */
int pf_record(struct pf_cache *c, enum tp_batch_kind kind, const char *text,
              const struct pharos_env *env, size_t n_env);

/* Asks the host every request in one round trip (tp_batch) and keeps the
 * answers under generation gen. A failure leaves no answers (err says why):
 * the calls then go to the host one by one, as without prefetch. */
int pf_send(struct pf_cache *c, struct transport *tp, unsigned long gen, struct pharos_error *err);

/* The answer to a request equal to the arguments, or NULL when there is none,
 * it is older than generation gen, or it exited PHAROS_EXIT_TRANSIENT (the
 * retry asks the host). Owned by the cache. */
const struct tp_result *pf_answer(const struct pf_cache *c, unsigned long gen,
                                  enum tp_batch_kind kind, const char *text,
                                  const struct pharos_env *env, size_t n_env);

/* Frees everything the cache holds (it is empty afterwards). */
void pf_free(struct pf_cache *c);

#endif
