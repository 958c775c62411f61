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
#elif defined(FIXTURE_WIDTH_NOT_SERIAL)
static unsigned width_two(void *state)
{
        (void)state;
        return 2;
}
/* A width says how many hosts a serial step takes at once: meaningless without SERIAL. */
static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "width-not-serial.step",
         .phase = "join",
         .run = step_run,
         .serial_width = width_two},
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

#ifdef FIXTURE_NOT_OS_PACKAGES
static int fixture_packages(struct pharos_step_ctx *ctx, void *state, const char *const *packages,
                            const char *version)
{
        (void)ctx;
        (void)state;
        (void)packages;
        (void)version;
        return 0;
}
#endif

static int fixture_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
#ifdef FIXTURE_INIT_FAILS
        /* Registers first, then fails: the core must drop both registrations. */
        host->register_step(self, &steps[0]);
        host->register_command(self, &commands[0]);
        host->set_error(self, "the fixture refuses to start");
        return -7;
#elif defined(FIXTURE_NOT_OS_PACKAGES)
        /* Offers to install packages without being an OS plugin: refused, and the
         * registrations before it dropped. */
        host->register_step(self, &steps[0]);
        host->register_command(self, &commands[0]);
        return host->register_kube_packages(self, fixture_packages);
#else
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return host->register_command(self, &commands[0]);
#endif
}

#if defined(FIXTURE_NETWORK_TESTNET)
/* A network plugin's section: every field type, defaults, a required key in an optional map. */
static const char *const testnet_modes[] = {"overlay", "routed", NULL};
static const struct pharos_config_field testnet_peer = {.type = PHAROS_CFG_STRING};
static const struct pharos_config_field testnet_health[] = {
        {.key = "endpoint", .type = PHAROS_CFG_STRING, .flags = PHAROS_CFG_REQUIRED},
        {.key = "interval", .type = PHAROS_CFG_INT, .default_value = "30", .min = 1, .max = 3600},
        {.key = NULL},
};
static const struct pharos_config_field testnet_fields[] = {
        {.key = "mode",
         .type = PHAROS_CFG_STRING,
         .enum_values = testnet_modes,
         .default_value = "overlay"},
        {.key = "mtu", .type = PHAROS_CFG_INT, .default_value = "1500", .min = 576, .max = 9000},
        {.key = "encrypt", .type = PHAROS_CFG_BOOL, .default_value = "false"},
        {.key = "ratio", .type = PHAROS_CFG_DOUBLE},
        {.key = "known_peers", .type = PHAROS_CFG_LIST, .item = &testnet_peer},
        {.key = "environment", .type = PHAROS_CFG_STRING_MAP},
        {.key = "health", .type = PHAROS_CFG_MAP, .fields = testnet_health},
        {.key = "options", .type = PHAROS_CFG_ANY},
        {.key = NULL},
};
static const struct pharos_config_schema config_schema = {
        .struct_size = sizeof(struct pharos_config_schema), .fields = testnet_fields};
#define FIXTURE_KIND    PHAROS_KIND_NETWORK
#define FIXTURE_SECTION "network.testnet"
#elif defined(FIXTURE_NETWORK_STANDIN)
/* Stands in for a real network plugin where a test only needs its provider name. */
#define FIXTURE_KIND PHAROS_KIND_NETWORK
#elif defined(FIXTURE_ADDON_INGRESS_NGINX)
/* The original's ingress-nginx addon options, as an addon plugin would declare them. */
static const char *const ingress_kinds[] = {"DaemonSet", "Deployment", NULL};
static const struct pharos_config_field ingress_deployment[] = {
        {.key = "replicas", .type = PHAROS_CFG_INT, .min = 1, .max = 100},
        {.key = NULL},
};
static const struct pharos_config_field ingress_backend[] = {
        {.key = "image", .type = PHAROS_CFG_STRING},
        {.key = NULL},
};
static const struct pharos_config_field ingress_arg = {.type = PHAROS_CFG_STRING};
static const struct pharos_config_field ingress_toleration = {.type = PHAROS_CFG_ANY};
static const struct pharos_config_field ingress_fields[] = {
        {.key = "kind",
         .type = PHAROS_CFG_STRING,
         .enum_values = ingress_kinds,
         .default_value = "DaemonSet"},
        {.key = "deployment", .type = PHAROS_CFG_MAP, .fields = ingress_deployment},
        {.key = "configmap", .type = PHAROS_CFG_STRING_MAP},
        {.key = "node_selector", .type = PHAROS_CFG_STRING_MAP},
        {.key = "default_backend", .type = PHAROS_CFG_MAP, .fields = ingress_backend},
        {.key = "tolerations", .type = PHAROS_CFG_LIST, .item = &ingress_toleration},
        {.key = "extra_args", .type = PHAROS_CFG_LIST, .item = &ingress_arg},
        {.key = NULL},
};
static const struct pharos_config_schema config_schema = {
        .struct_size = sizeof(struct pharos_config_schema), .fields = ingress_fields};
#define FIXTURE_KIND    PHAROS_KIND_ADDON
#define FIXTURE_SECTION "addons.ingress-nginx"
#endif

#ifndef FIXTURE_KIND
#define FIXTURE_KIND PHAROS_KIND_OTHER
#endif

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
        .kind = FIXTURE_KIND,
        .name = FIXTURE_NAME,
        .version = "0.0.1",
        .description = "test fixture",
#ifdef FIXTURE_SECTION
        .config_section = FIXTURE_SECTION,
        .config_schema = &config_schema,
#endif
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
