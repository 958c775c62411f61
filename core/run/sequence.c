#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executor.h"
#include "plugin/step_order.h"
#include "run/interrupt.h"
#include "run/retry.h"
#include "run/run.h"
#include "run/step_ctx.h"
#include "seq/phases.h"
#include "util/log.h"

/* One step being run over its hosts. */
struct step_job {
        struct run *r;
        const struct reg_step *rs;
        const char *phase;
        size_t *hosts; /* indexes into r->hosts */
        size_t n;
        int refused;        /* a host's failure was a refusal (step_refuse) */
        char refusal[1100]; /* the first refusal, whole: it says what to do instead */
};

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One attempt of a step on a host: applies(), then run() unless planning.
 * Returns 0 or PERR_FAIL (ctx->error says why, ctx->transient whether it may pass). */
static int step_attempt(struct step_job *j, struct run_host *h, struct pharos_step_ctx *ctx)
{
        struct run *r = j->r;
        const struct pharos_step *s = &j->rs->step;
        int applies = s->applies ? s->applies(ctx, j->rs->owner->state) : 1;
        if (applies > 0 && j->rs->owner->desc.kind == PHAROS_KIND_OS) {
                h->os_claimed = 1;
                h->os = j->rs->owner;
        }
        /* Validation is read-only by contract, so it runs under --plan too. */
        int validating = strcmp(j->phase, "validate") == 0;
        if (applies < 0)
                return PERR_FAIL;
        if (applies == 0) {
                log_msg(PHAROS_LOG_DEBUG, h->cfg->address, "%s: nothing to do", s->id);
                return 0;
        }
        if (r->opts.plan && !validating) {
                __atomic_add_fetch(&r->would_run, 1, __ATOMIC_SEQ_CST);
                run_event(r, j->phase, h->cfg->address, s->id, "would-run", 0,
                          ctx->reason[0] ? ctx->reason : s->description);
                return 0;
        }
        /* What it changes may be what a prefetched answer says: its host's,
         * through the step services, which act on that host alone; the whole
         * cluster's for a ONCE step, which acts on the cluster. Other hosts
         * change through the API only as they would have between two reads
         * anyway. Validation only reads. */
        if (!validating)
                run_pf_stale(r, s->flags & PHAROS_STEP_ONCE ? NULL : h);
        if (s->run(ctx, j->rs->owner->state) < 0)
                return PERR_FAIL;
        ctx->ran = 1;
        return 0;
}

static int step_on_host(void *ud, size_t k, struct pharos_error *err)
{
        struct step_job *j = ud;
        struct run *r = j->r;
        struct run_host *h = &r->hosts[j->hosts[k]];
        const struct pharos_step *s = &j->rs->step;
        double t0 = now_s();
        /* What a failed attempt changed still counts when a later one succeeds. */
        char change[sizeof(((struct pharos_step_ctx *)0)->change)] = "";
        int changed = 0, rc;
        char gave_up[160] = "";
        for (unsigned attempt = 1;; attempt++) {
                /* Once interrupted, no step starts on another host, nor again. */
                if (run_interrupted()) {
                        rc = perr_set(err, PERR_FAIL, "phase %s, host %s, step %s: not started: %s",
                                      j->phase, h->cfg->address, s->id, run_interrupt_reason());
                        break;
                }
                struct pharos_step_ctx ctx = {.run = r, .host = h, .rs = j->rs};
                double ta = now_s();
                rc = step_attempt(j, h, &ctx);
                if (ctx.changed) {
                        changed = 1;
                        memcpy(change, ctx.change, sizeof(change));
                }
                if (rc == 0) {
                        if (ctx.ran) {
                                if (changed) {
                                        __atomic_add_fetch(&r->changes, 1, __ATOMIC_SEQ_CST);
                                        h->changes++;
                                }
                                run_event(r, j->phase, h->cfg->address, s->id,
                                          changed ? "changed" : "ok", now_s() - t0,
                                          changed && change[0] ? change : NULL);
                        }
                        step_ctx_release(&ctx);
                        break;
                }
                const char *why = ctx.error[0] ? ctx.error : "failed";
                if (ctx.transient && run_retry(r, h, j->phase, s->id, attempt, now_s() - ta, why,
                                               gave_up, sizeof(gave_up))) {
                        step_ctx_release(&ctx);
                        continue;
                }
                perr_set(err, PERR_FAIL, "phase %s, host %s, step %s: %s%s%s%s", j->phase,
                         h->cfg->address, s->id, why, gave_up[0] ? " (" : "", gave_up,
                         gave_up[0] ? ")" : "");
                if (ctx.refused && !__atomic_exchange_n(&j->refused, 1, __ATOMIC_SEQ_CST))
                        snprintf(j->refusal, sizeof(j->refusal), "%s", err->msg);
                run_event(r, j->phase, h->cfg->address, s->id, "failed", now_s() - t0, why);
                step_ctx_release(&ctx);
                break;
        }
        return rc;
}

/* The hosts a step runs on: every selected host, or the first selected master
 * for ONCE steps. Validation reads only, and sees the whole cluster: what a
 * change to some hosts does to the others is decided there. */
static size_t step_hosts(const struct run *r, const struct pharos_step *s, size_t *out)
{
        size_t n = 0;
        int all = strcmp(s->phase, "validate") == 0;
        for (size_t i = 0; i < r->n_hosts; i++) {
                if (!r->hosts[i].selected && !all)
                        continue;
                if (s->flags & PHAROS_STEP_ONCE) {
                        if (strcmp(r->hosts[i].cfg->role, "master") == 0) {
                                out[n++] = i;
                                break;
                        }
                        continue;
                }
                out[n++] = i;
        }
        return n;
}

static int in_sequence(const struct phase_sequence *seq, const char *phase)
{
        for (const char *const *p = seq->phases; *p; p++)
                if (strcmp(*p, phase) == 0)
                        return 1;
        return 0;
}

/*
 * After the validate phase: every host must be claimed by a loaded OS plugin
 * (when any is loaded), so an unsupported OS fails before anything changes.
 */
static int check_os_claimed(struct run *r, struct pharos_error *err)
{
        char supported[600] = "";
        size_t off = 0;
        for (size_t i = 0; i < r->reg->n_plugins; i++) {
                const struct pharos_plugin *p = r->reg->plugins[i];
                if (p->desc.kind == PHAROS_KIND_OS && off < sizeof(supported))
                        off += (size_t)snprintf(supported + off, sizeof(supported) - off,
                                                "%s%s (%s)", off ? "; " : "", p->desc.name,
                                                p->desc.description);
        }
        if (!off)
                return 0;
        for (size_t i = 0; i < r->n_hosts; i++) {
                const struct run_host *h = &r->hosts[i];
                if (h->os_claimed)
                        continue;
                return perr_set(err, PERR_FAIL,
                                "phase validate, host %s: %s %s is not supported by any loaded OS "
                                "plugin; supported: %s",
                                h->cfg->address, h->facts[FACT_OS_ID] ? h->facts[FACT_OS_ID] : "?",
                                h->facts[FACT_OS_VERSION_ID] ? h->facts[FACT_OS_VERSION_ID] : "",
                                supported);
        }
        return 0;
}

/* The end of validation (before the first step that may change anything):
 * hosts claimed when the sequence validates, then the command's own checks. */
static int validated(struct run *r, const struct phase_sequence *seq, struct pharos_error *err)
{
        int rc = in_sequence(seq, "validate") ? check_os_claimed(r, err) : 0;
        if (rc == 0 && r->after_validate)
                rc = r->after_validate(r, err);
        return rc;
}

/* The sequence's steps that prefetch, in order, asked on every host at once. */
static void prefetch(struct run *r, const struct phase_sequence *seq, const size_t *order)
{
        const struct reg_step **steps = calloc(r->reg->n_steps + 1, sizeof(*steps));
        size_t n = 0;
        if (!steps)
                return;
        for (size_t k = 0; k < r->reg->n_steps; k++) {
                const struct reg_step *rs = &r->reg->steps[order[k]];
                if (rs->step.prefetch && in_sequence(seq, rs->step.phase))
                        steps[n++] = rs;
        }
        step_pf_pass(r, steps, n);
        free(steps);
}

static const struct phase_sequence *sequence_named(const char *name)
{
        for (const struct phase_sequence *s = phase_sequences; s->name; s++)
                if (strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

int run_sequence_ready(const struct registry *reg, const char *name, struct pharos_error *err)
{
        const struct phase_sequence *seq = sequence_named(name);
        if (!seq)
                return perr_set(err, PERR_USAGE, "unknown sequence '%s'", name);
        /* Without a step, a run would report "no changes" on hosts it never
         * looked at: a plugin directory that is missing or empty says so. */
        size_t n_in_seq = 0;
        for (size_t k = 0; k < reg->n_steps; k++)
                n_in_seq += in_sequence(seq, reg->steps[k].step.phase) != 0;
        if (!n_in_seq)
                return perr_set(err, PERR_FAIL,
                                "no loaded plugin has a step for %s (%zu plugins loaded): is the "
                                "plugin directory installed? See 'pharos plugins list' and the "
                                "plugin search path in 'pharos help'",
                                seq->name, reg->n_plugins);
        /* OS plugins without a control-plane plugin (the plugins package left
         * out) prepare the hosts and build no cluster. A warning, not a
         * refusal: preparing hosts alone is a run the OS plugins' own tests
         * make on purpose. */
        if (!in_sequence(seq, "join"))
                return 0;
        int os = 0;
        for (size_t i = 0; i < reg->n_plugins; i++) {
                uint32_t kind = reg->plugins[i]->desc.kind;
                if (kind == PHAROS_KIND_CONTROL_PLANE)
                        return 0;
                os |= kind == PHAROS_KIND_OS;
        }
        if (os)
                log_warn("no control-plane plugin is loaded: %s prepares the hosts and joins "
                         "nothing; see 'pharos plugins list' and the plugin search path in "
                         "'pharos help'",
                         seq->name);
        return 0;
}

int run_sequence(struct run *r, const char *name, struct pharos_error *err)
{
        const struct phase_sequence *seq = sequence_named(name);
        if (!seq)
                return perr_set(err, PERR_USAGE, "unknown sequence '%s'", name);
        r->sequence = seq->name;
        size_t *order = NULL;
        int rc = steps_resolve(r->reg, &order, err);
        if (rc < 0)
                return rc;
        size_t *hosts = calloc(r->n_hosts ? r->n_hosts : 1, sizeof(*hosts));
        if (!hosts) {
                free(order);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        prefetch(r, seq, order);
        const char *current = NULL;
        int checked = 0;
        for (size_t k = 0; k < r->reg->n_steps && rc == 0; k++) {
                const struct reg_step *rs = &r->reg->steps[order[k]];
                if (!in_sequence(seq, rs->step.phase))
                        continue;
                if (run_interrupted()) {
                        rc = perr_set(err, PERR_FAIL, "%s before step %s", run_interrupt_reason(),
                                      rs->step.id);
                        break;
                }
                if (!checked && strcmp(rs->step.phase, "validate") != 0) {
                        checked = 1;
                        if ((rc = validated(r, seq, err)) < 0)
                                break;
                }
                if (!current || strcmp(current, rs->step.phase) != 0) {
                        current = rs->step.phase;
                        if (r->phase_hook && (rc = r->phase_hook(r, current, err)) < 0)
                                break;
                        run_phase_start(r, current);
                }
                struct step_job job = {
                        r, rs, rs->step.phase, hosts, step_hosts(r, &rs->step, hosts), 0, ""};
                unsigned conc = r->opts.concurrency;
                int serial = (rs->step.flags & PHAROS_STEP_SERIAL) != 0;
                if (serial) {
                        conc = rs->step.serial_width ? rs->step.serial_width(rs->owner->state) : 1;
                        conc = conc ? conc : 1;
                }
                /* A serial step is a rolling change (masters joined, reconfigured or
                 * upgraded one after the other): after a failure, the next host would
                 * meet a control plane that is already short of one. */
                struct xr_report rep;
                int xrc = serial ? xr_run_until_failure(job.n, conc, step_on_host, &job, &rep)
                                 : xr_run(job.n, conc, step_on_host, &job, &rep);
                if (xrc < 0) {
                        char summary[900];
                        xr_summary(&rep, summary, sizeof(summary));
                        /* A refusal comes before any change: a usage error, exit 2. */
                        rc = job.refused ? perr_set(err, PERR_USAGE, "%s", job.refusal)
                                         : perr_set(err, PERR_FAIL, "%s", summary);
                }
        }
        if (rc == 0 && !checked)
                rc = validated(r, seq, err);
        free(hosts);
        free(order);
        return rc;
}
