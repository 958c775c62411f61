#include <stdio.h>

#include "run/interrupt.h"
#include "run/retry.h"
#include "util/log.h"

#define FIRST_DELAY_S 1.0
#define MAX_DELAY_S   30.0

double retry_delay(unsigned failures)
{
        double d = FIRST_DELAY_S;
        for (unsigned i = 1; i < failures && d < MAX_DELAY_S; i++)
                d *= 2;
        return d < MAX_DELAY_S ? d : MAX_DELAY_S;
}

int retry_afford(double *spent, double budget_s, double attempt_s, double delay_s)
{
        if (budget_s <= 0 || *spent + attempt_s + delay_s > budget_s)
                return 0;
        *spent += attempt_s + delay_s;
        return 1;
}

double retry_budget(const struct run *r)
{
        if (r->opts.retry_budget == 0)
                return RETRY_DEFAULT_BUDGET_S;
        return r->opts.retry_budget;
}

int run_retry(struct run *r, struct run_host *h, const char *phase, const char *step,
              unsigned attempt, double attempt_s, const char *why, char *gave_up,
              size_t gave_up_size)
{
        double budget = retry_budget(r);
        double delay = retry_delay(attempt);
        if (!retry_afford(&h->retry_spent, budget, attempt_s, delay)) {
                if (budget <= 0)
                        snprintf(gave_up, gave_up_size, "transient, retries disabled");
                else
                        snprintf(gave_up, gave_up_size,
                                 "transient; gave up after %u attempt%s, %.0f s of the %.0f s "
                                 "retry budget spent",
                                 attempt, attempt == 1 ? "" : "s", h->retry_spent + attempt_s,
                                 budget);
                return 0;
        }
        log_msg(PHAROS_LOG_WARN, h->cfg->address, "%s: attempt %u failed (transient): %s", step,
                attempt, why);
        char detail[400];
        snprintf(detail, sizeof(detail), "attempt %u failed, next in %.0fs: %.300s", attempt, delay,
                 why);
        run_event(r, phase, h->cfg->address, step, "retry", attempt_s, detail);
        /* An interrupt ends the wait and the retries: no new attempt starts. */
        if (run_sleep(delay)) {
                snprintf(gave_up, gave_up_size, "%s", run_interrupt_reason());
                return 0;
        }
        return 1;
}
