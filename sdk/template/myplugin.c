/*
 * Template pharos plugin: fill in the descriptor, register steps in init().
 * Every field is documented in <pharos/plugin.h> and <pharos/host.h>.
 */
#include <pharos/plugin.h>

/* Keep what init() receives if steps or commands need host services later. */
struct myplugin_state {
        const struct pharos_host *host;
        struct pharos_plugin *self;
};

static struct myplugin_state state_storage;

/* A step's work. Return 0, or <0 after host->set_error(self, "why"). */
static int example_run(struct pharos_step_ctx *ctx, void *state)
{
        struct myplugin_state *st = state;
        (void)ctx;
        st->host->log(st->self, PHAROS_LOG_INFO, "myplugin step ran");
        return 0;
}

/* Steps are copied at registration; ids and lists must be static. */
static const char *const example_after[] = {"?other-plugin.some-step", NULL};

static const struct pharos_step example_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "myplugin.example",
        .phase = "prepare-host", /* `pharos plugins steps` lists the phases */
        .after = example_after,  /* '?' = only if that step exists */
        .description = "what this step does, in one line",
        .run = example_run,
};

static int myplugin_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        state_storage.host = host;
        state_storage.self = self;
        *state = &state_storage;
        return host->register_step(self, &example_step);
}

static const struct pharos_plugin_desc myplugin_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OTHER,
        .name = "myplugin",
        .version = "0.1.0",
        .description = "One line about what myplugin does",
        .init = myplugin_init,
};

PHAROS_PLUGIN_DECLARE(myplugin, myplugin_desc)
