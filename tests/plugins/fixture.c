/*
 * ABI test fixtures: one source, one variant per FIXTURE_* define (see
 * tests/plugins/CMakeLists.txt). Each variant breaks exactly one rule.
 */
#include <pharos/plugin.h>

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "good"
#endif

#ifdef FIXTURE_ABI_MAJOR_BAD
#define ABI_MAJOR (PHAROS_ABI_MAJOR + 1)
#else
#define ABI_MAJOR PHAROS_ABI_MAJOR
#endif

#ifdef FIXTURE_ABI_MINOR_NEWER
#define ABI_MINOR (PHAROS_ABI_MINOR + 1)
#else
#define ABI_MINOR PHAROS_ABI_MINOR
#endif

static int step_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)ctx;
        (void)state;
        return 0;
}

#if defined(FIXTURE_STEP_CYCLE)
static const char *const a_after[] = {"fixture.c", NULL};
static const char *const b_after[] = {"fixture.a", NULL};
static const char *const c_after[] = {"fixture.b", NULL};
static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "fixture.a",
         .phase = "network",
         .after = a_after,
         .run = step_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "fixture.b",
         .phase = "network",
         .after = b_after,
         .run = step_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "fixture.c",
         .phase = "network",
         .after = c_after,
         .run = step_run},
};
#elif defined(FIXTURE_UNKNOWN_AFTER)
static const char *const a_after[] = {"nobody.nothing", NULL};
static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "fixture.lonely",
         .phase = "addons",
         .after = a_after,
         .run = step_run},
};
#else
static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = FIXTURE_NAME ".step",
         .phase = "facts",
         .description = "fixture step",
         .run = step_run},
};
#endif

static int cmd_echo(void *state, const char *word)
{
        (void)state;
        return word[0] == 'x';
}

static const struct pharos_param echo_params[] = {
        {.name = "word", .type = PHAROS_PARAM_STRING, .help = "a word"},
};

static const struct pharos_command commands[] = {
        {.struct_size = sizeof(struct pharos_command),
         .name = FIXTURE_NAME " echo",
         .summary = "fixture command",
         .params = echo_params,
         .n_params = 1,
         .fn = (void (*)(void))cmd_echo},
};

static int fixture_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
#ifdef FIXTURE_INIT_FAILS
        /* Registers first, then fails: the core must drop both registrations. */
        host->register_step(self, &steps[0]);
        host->register_command(self, &commands[0]);
        host->set_error(self, "the fixture refuses to start");
        return -7;
#else
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return host->register_command(self, &commands[0]);
#endif
}

#ifdef FIXTURE_SIZE_BIG_NONZERO
/* A descriptor from a "future" ABI: 16 more bytes, and they are not zero. */
struct big_desc {
        struct pharos_plugin_desc base;
        uint64_t future[2];
};
static const struct big_desc big = {
        .base = {.struct_size = sizeof(struct big_desc),
                 .abi_major = ABI_MAJOR,
                 .abi_minor = ABI_MINOR,
                 .kind = PHAROS_KIND_OTHER,
                 .name = FIXTURE_NAME,
                 .version = "0.0.1",
                 .description = "fixture",
                 .init = fixture_init},
        .future = {0, 42},
};
#define desc big.base
#else
static const struct pharos_plugin_desc desc = {
        .struct_size = sizeof(struct pharos_plugin_desc),
        .abi_major = ABI_MAJOR,
        .abi_minor = ABI_MINOR,
        .kind = PHAROS_KIND_OTHER,
        .name = FIXTURE_NAME,
        .version = "0.0.1",
        .description = "test fixture",
        .init = fixture_init,
};
#endif

#ifdef FIXTURE_NO_SYMBOL
/* Exports something, but not the describe function. */
PHAROS_PLUGIN_EXPORT const struct pharos_plugin_desc *not_the_entry_point(void);
const struct pharos_plugin_desc *not_the_entry_point(void)
{
        return &desc;
}
#else
PHAROS_PLUGIN_DECLARE(good, desc)
#endif
