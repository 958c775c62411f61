/*
 * The engine's host selection and refusals (pharos reset -a/-r/-l, quorum
 * guards): validation sees every host, later phases only the selected ones,
 * ONCE steps the first selected master; a step_refuse stops the run with a
 * usage error that keeps its whole message, before the command's hook and
 * before any later phase.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/host_services.h"
#include "plugin/registry.h"
#include "run/run.h"

#define N 3

static const struct pharos_host *H;
static int validated[N], worked[N], once[N], hook_calls, refuse_on = -1;
/* One slot per host: validation runs on every host at once, in threads of its own. */
static char seen_selected[N][32], seen_sequence[N][16];

static long idx(struct pharos_step_ctx *ctx)
{
        return strtol(H->step_fact(ctx, "index"), NULL, 10);
}

static int check_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        long i = idx(ctx);
        validated[i]++;
        const char *sel = H->step_fact(ctx, "selected");
        snprintf(seen_selected[i], sizeof(seen_selected[i]), "%s", sel ? sel : "(all)");
        snprintf(seen_sequence[i], sizeof(seen_sequence[i]), "%s", H->step_fact(ctx, "sequence"));
        if (i == refuse_on) {
                char why[600];
                memset(why, 'x', sizeof(why));
                why[sizeof(why) - 1] = '\0';
                H->step_refuse(ctx, "quorum would break; %s; END", why);
                return -1;
        }
        return 0;
}

static int work_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        worked[idx(ctx)]++;
        return 0;
}

static int once_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        once[idx(ctx)]++;
        return 0;
}

static int t_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        const struct pharos_step steps[] = {
                {.struct_size = sizeof(struct pharos_step),
                 .id = "t.check",
                 .phase = "validate",
                 .description = "check",
                 .run = check_run},
                {.struct_size = sizeof(struct pharos_step),
                 .id = "t.once",
                 .phase = "reset-node",
                 .flags = PHAROS_STEP_ONCE,
                 .description = "once",
                 .run = once_run},
                {.struct_size = sizeof(struct pharos_step),
                 .id = "t.work",
                 .phase = "reset-host",
                 .description = "work",
                 .run = work_run},
        };
        for (size_t i = 0; i < 3; i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return 0;
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OTHER,
        .name = "t",
        .version = "0",
        .description = "selection fixture",
        .init = t_init,
};

static int hook(struct run *r, struct pharos_error *err)
{
        (void)r;
        (void)err;
        hook_calls++;
        return 0;
}

struct fx {
        struct registry reg;
        struct cfg_host hosts[N];
        struct cluster_config cfg;
        struct run r;
};

static int setup(void **s)
{
        struct fx *f = calloc(1, sizeof(*f));
        registry_init(&f->reg);
        struct pharos_plugin *p = calloc(1, sizeof(*p));
        p->desc = desc;
        p->origin = strdup("builtin");
        struct pharos_error err = {0};
        assert_int_equal(registry_add(&f->reg, p, host_services(), &err), 0);
        static char *addr[N] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
        static char *role[N] = {"master", "worker", "master"};
        for (int i = 0; i < N; i++)
                f->hosts[i] = (struct cfg_host){.address = addr[i], .role = role[i]};
        f->cfg = (struct cluster_config){.hosts = f->hosts, .n_hosts = N};
        struct run_opts opts = {.concurrency = 2};
        assert_int_equal(run_init(&f->r, &f->cfg, &f->reg, &opts, &err), 0);
        f->r.after_validate = hook;
        memset(validated, 0, sizeof(validated));
        memset(worked, 0, sizeof(worked));
        memset(once, 0, sizeof(once));
        hook_calls = 0;
        refuse_on = -1;
        *s = f;
        return 0;
}

static int teardown(void **s)
{
        struct fx *f = *s;
        run_free(&f->r);
        registry_free(&f->reg);
        free(f);
        return 0;
}

static void selected_hosts_only(void **s)
{
        struct fx *f = *s;
        struct pharos_error err = {0};
        const size_t pick[] = {1, 2};
        assert_int_equal(run_select(&f->r, pick, 2, &err), 0);
        assert_int_equal(run_sequence(&f->r, "reset", &err), 0);
        /* Validation judges the whole cluster ... */
        assert_int_equal(validated[0] + validated[1] + validated[2], 3);
        for (int i = 0; i < N; i++) {
                assert_string_equal(seen_selected[i], "1,2");
                assert_string_equal(seen_sequence[i], "reset");
        }
        assert_int_equal(hook_calls, 1);
        /* ... the work happens on the selected hosts, ONCE on the first selected master. */
        assert_int_equal(worked[0], 0);
        assert_int_equal(worked[1], 1);
        assert_int_equal(worked[2], 1);
        assert_int_equal(once[0], 0);
        assert_int_equal(once[2], 1);
}

static void every_host_without_selection(void **s)
{
        struct fx *f = *s;
        struct pharos_error err = {0};
        assert_int_equal(run_sequence(&f->r, "reset", &err), 0);
        for (int i = 0; i < N; i++)
                assert_string_equal(seen_selected[i], "(all)");
        assert_int_equal(worked[0] + worked[1] + worked[2], 3);
        assert_int_equal(once[0], 1);
}

static void refusal_is_usage_error(void **s)
{
        struct fx *f = *s;
        struct pharos_error err = {0};
        refuse_on = 0;
        assert_int_equal(run_sequence(&f->r, "reset", &err), PERR_USAGE);
        assert_int_equal(perr_exit_code(err.code), 2);
        assert_non_null(strstr(err.msg, "step t.check: quorum would break"));
        /* The whole explanation, not a summary cut at a host's share. */
        assert_non_null(strstr(err.msg, "; END"));
        assert_int_equal(hook_calls, 0);
        assert_int_equal(worked[0] + worked[1] + worked[2], 0);
        assert_int_equal(once[0] + once[2], 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(selected_hosts_only, setup, teardown),
                cmocka_unit_test_setup_teardown(every_host_without_selection, setup, teardown),
                cmocka_unit_test_setup_teardown(refusal_is_usage_error, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
