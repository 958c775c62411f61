/*
 * Test fixture: an OS plugin that claims only Ubuntu hosts, so tests can see
 * the core refuse hosts no OS plugin supports before any change.
 */
#include <string.h>

#include <pharos/plugin.h>

static const struct pharos_host *H;

static int claim_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const char *id = H->step_fact(ctx, "os.id");
        return id && strcmp(id, "ubuntu") == 0;
}

static int claim_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)ctx;
        (void)state;
        return 0;
}

static const struct pharos_step claim = {
        .struct_size = sizeof(struct pharos_step),
        .id = "os-fixture.validate",
        .phase = "validate",
        .description = "claim Ubuntu hosts",
        .applies = claim_applies,
        .run = claim_run,
};

static int init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        return host->register_step(self, &claim);
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OS,
        .name = "os-fixture",
        .version = "0.0.1",
        .description = "Ubuntu, any version",
        .init = init,
};

PHAROS_PLUGIN_DECLARE(os_fixture, desc)
