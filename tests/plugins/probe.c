/*
 * Test fixture for `pharos up`: a plugin whose steps leave a marker file on
 * every host (once), so tests can check that steps run where and when they
 * should, that a second run changes nothing, and what --plan reports.
 */
#include <stdio.h>
#include <string.h>

#include <pharos/plugin.h>

#define MARKER "/etc/pharos-probe"

static const struct pharos_host *H;

static int marker_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        struct pharos_exec_result res;
        if (H->step_exec(ctx, "test -f " MARKER, 0, &res) < 0)
                return -1;
        if (res.status == 0)
                return 0;
        H->step_reason(ctx, "%s is missing", MARKER);
        return 1;
}

static int marker_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        char text[256];
        int n = snprintf(text, sizeof(text), "address=%s role=%s os=%s version=%s hostname=%s\n",
                         H->step_fact(ctx, "address"), H->step_fact(ctx, "role"),
                         H->step_fact(ctx, "os.id"), H->step_fact(ctx, "os.version_id"),
                         H->step_fact(ctx, "hostname"));
        if (H->step_upload(ctx, MARKER, text, (size_t)n, 0644, "root:root") < 0)
                return -1;
        H->step_changed(ctx, "wrote %s", MARKER);
        return 0;
}

/* Fails on purpose on hosts labelled probe-fail=yes, to test error reporting. */
static int failer_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const struct pharos_config_node *labels = H->config_get(H->step_host(ctx), "labels");
        const char *fail = H->config_string(H->config_get(labels, "probe-fail"));
        return fail && strcmp(fail, "yes") == 0;
}

static int failer_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        return H->step_exec(ctx, "echo probe refuses >&2; exit 3", PHAROS_EXEC_CHECK, NULL);
}

/*
 * On hosts labelled probe-flaky=N: fails transiently (exit 75) N times, then
 * succeeds, counting attempts on the host, to test retries and their budget.
 */
#define FLAKY_DONE  "/etc/pharos-probe-flaky"
#define FLAKY_COUNT "/var/tmp/pharos-probe-flaky.count"

static const char *flaky_label(struct pharos_step_ctx *ctx)
{
        const struct pharos_config_node *labels = H->config_get(H->step_host(ctx), "labels");
        return H->config_string(H->config_get(labels, "probe-flaky"));
}

static int flaky_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!flaky_label(ctx))
                return 0;
        struct pharos_exec_result res;
        if (H->step_exec(ctx, "test -f " FLAKY_DONE, 0, &res) < 0)
                return -1;
        return res.status != 0;
}

static const char flaky_script[] =
        "set -eu\n"
        "n=$(cat " FLAKY_COUNT " 2>/dev/null || echo 0)\n"
        "n=$((n + 1))\n"
        "echo \"$n\" >" FLAKY_COUNT "\n"
        "if [ \"$n\" -le \"$FAILS\" ]; then echo \"not ready yet (attempt $n)\" >&2; exit 75; fi\n"
        "echo \"$n\" >" FLAKY_DONE "\n";

static int flaky_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const struct pharos_env env[] = {{"FAILS", flaky_label(ctx)}};
        if (H->step_script(ctx, flaky_script, env, 1, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) <
            0)
                return -1;
        H->step_changed(ctx, "wrote %s", FLAKY_DONE);
        return 0;
}

/*
 * The prefetch contract (ABI 1.6): prefetch() makes applies()'s reads, which
 * are recorded and answered later without a round trip; everything else is
 * refused there. The step copies /etc/pharos-probe-wanted to
 * /etc/pharos-probe-done when they differ.
 */
#define WANTED "/etc/pharos-probe-wanted"
#define DONE   "/etc/pharos-probe-done"

/* What prefetch() found wrong with the contract, reported by applies(). */
static char broken[200];

static int copy_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (broken[0]) {
                H->step_fail(ctx, "prefetch contract: %s", broken);
                return -1;
        }
        struct pharos_exec_result res;
        if (H->step_exec(ctx, "cat " WANTED " 2>/dev/null || true", PHAROS_EXEC_SUDO, &res) < 0)
                return -1;
        char wanted[128];
        snprintf(wanted, sizeof(wanted), "%s", res.out);
        const char *done;
        size_t len;
        if (H->step_read_file(ctx, DONE, &done, &len) < 0)
                done = "";
        return strcmp(wanted, done) != 0;
}

static void copy_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        struct pharos_exec_result res = {.status = -1};
        const char *data = "x";
        size_t len = 1;
        long status = 0;
        const char *body;
        if (H->step_exec(ctx, "cat " WANTED " 2>/dev/null || true", PHAROS_EXEC_SUDO, &res) !=
                    PHAROS_DEFERRED ||
            res.status != 0 || res.out_len != 0)
                snprintf(broken, sizeof(broken), "step_exec did not return PHAROS_DEFERRED, empty");
        else if (H->step_read_file(ctx, DONE, &data, &len) != PHAROS_DEFERRED || len != 0)
                snprintf(broken, sizeof(broken), "step_read_file did not return PHAROS_DEFERRED");
        else if (H->step_upload(ctx, DONE, "x", 1, 0644, NULL) >= 0)
                snprintf(broken, sizeof(broken), "step_upload ran in prefetch()");
        else if (H->kube_request(ctx, "GET", "/version", NULL, &status, &body) >= 0)
                snprintf(broken, sizeof(broken), "kube_request ran in prefetch()");
}

static int copy_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (H->step_exec(ctx, "cp " WANTED " " DONE, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) <
            0)
                return -1;
        H->step_changed(ctx, "copied %s", WANTED);
        return 0;
}

static const char *const marker_after[] = {"?probe.nothing", NULL};

static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "probe.marker",
         .phase = "prepare-host",
         .after = marker_after,
         .description = "write the probe marker",
         .applies = marker_applies,
         .run = marker_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "probe.failer",
         .phase = "runtime",
         .description = "fail where labelled",
         .applies = failer_applies,
         .run = failer_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "probe.flaky",
         .phase = "firewall",
         .description = "succeed after transient failures where labelled",
         .applies = flaky_applies,
         .run = flaky_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "probe.copy",
         .phase = "addons",
         .description = "copy the wanted file where it differs",
         .applies = copy_applies,
         .run = copy_run,
         .prefetch = copy_prefetch},
};

static int probe_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return 0;
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OTHER,
        .name = "probe",
        .version = "0.0.1",
        .description = "test fixture: a marker file per host",
        .init = probe_init,
};

PHAROS_PLUGIN_DECLARE(probe, desc)
