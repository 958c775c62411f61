/*
 * libFuzzer target: any bytes through cfg_load_buffer(), with two plugins
 * owning sections so their schemas are exercised too (and a stand-in for
 * the default network provider). A document that
 * loads must also serialise, and `config show`'s YAML must load again
 * with the same result; anything else is a bug and aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/emit.h"
#include "config/load.h"
#include "plugin/host_services.h"
#include "plugin/registry.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const modes[] = {"overlay", "routed", NULL};
static const struct pharos_config_field peer = {.type = PHAROS_CFG_STRING};
static const struct pharos_config_field health[] = {
        {.key = "endpoint", .type = PHAROS_CFG_STRING, .flags = PHAROS_CFG_REQUIRED},
        {.key = "interval", .type = PHAROS_CFG_INT, .default_value = "30", .min = 1, .max = 60},
        {.key = NULL},
};
static const struct pharos_config_field net_fields[] = {
        {.key = "mode",
         .type = PHAROS_CFG_STRING,
         .enum_values = modes,
         .default_value = "overlay"},
        {.key = "mtu", .type = PHAROS_CFG_INT, .default_value = "1500", .min = 576, .max = 9000},
        {.key = "encrypt", .type = PHAROS_CFG_BOOL, .default_value = "false"},
        {.key = "ratio", .type = PHAROS_CFG_DOUBLE},
        {.key = "known_peers", .type = PHAROS_CFG_LIST, .item = &peer},
        {.key = "environment", .type = PHAROS_CFG_STRING_MAP},
        {.key = "health", .type = PHAROS_CFG_MAP, .fields = health},
        {.key = "options", .type = PHAROS_CFG_ANY},
        {.key = NULL},
};
static const struct pharos_config_schema net_schema = {sizeof(net_schema), net_fields};
static const struct pharos_config_field addon_fields[] = {
        {.key = "replicas", .type = PHAROS_CFG_INT, .default_value = "1", .min = 1, .max = 9},
        {.key = "values", .type = PHAROS_CFG_ANY},
        {.key = NULL},
};
static const struct pharos_config_schema addon_schema = {sizeof(addon_schema), addon_fields};

static int no_init(const struct pharos_host *h, struct pharos_plugin *self, void **state)
{
        (void)h;
        (void)self;
        (void)state;
        return 0;
}

/* The first one stands in for the default provider's plugin, as every real
 * build has it: `config show` writes network.provider out, and a provider
 * written in cluster.yml must be loaded. */
static const struct pharos_plugin_desc descs[] = {
        {PHAROS_PLUGIN_DESC_HEADER, .kind = PHAROS_KIND_NETWORK, .name = "network-weave",
         .version = "1", .description = "stand-in for the default provider", .init = no_init},
        {PHAROS_PLUGIN_DESC_HEADER, .kind = PHAROS_KIND_NETWORK, .name = "network-fuzznet",
         .version = "1", .description = "fuzz", .config_section = "network.fuzznet",
         .config_schema = &net_schema, .init = no_init},
        {PHAROS_PLUGIN_DESC_HEADER, .kind = PHAROS_KIND_ADDON, .name = "addon-fuzz", .version = "1",
         .description = "fuzz", .config_section = "addons.fuzz", .config_schema = &addon_schema,
         .init = no_init},
};

static struct registry reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        setenv("HOME", "/home/fuzz", 1);
        setenv("FUZZ_SET", "10.0.0.1", 1);
        setenv("FUZZ_EMPTY", "", 1);
        registry_init(&reg);
        for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
                struct pharos_plugin *p = calloc(1, sizeof(*p));
                struct pharos_error err = {0};
                if (!p || !(p->origin = strdup("builtin")))
                        abort();
                p->desc = descs[i];
                if (registry_add(&reg, p, host_services(), &err) < 0)
                        abort();
        }
        return 0;
}

static struct cluster_config *load(const char *buf, size_t len)
{
        struct cfg_diags d = {0};
        struct pharos_error err = {0};
        struct cluster_config *cfg = NULL;
        cfg_load_buffer(buf, len, "fuzz.yml", &reg, &cfg, &d, &err);
        cfg_diag_free(&d);
        return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cluster_config *cfg = load((const char *)data, size);
        if (!cfg)
                return 0;
        char *yaml = NULL, *json = NULL, *again_yaml = NULL;
        size_t ylen = 0, jlen = 0, alen = 0;
        if (cfg_emit_yaml(cfg->doc->tree, 1, &yaml, &ylen) < 0 ||
            cfg_emit_json(cfg->doc->tree, &json, &jlen) < 0)
                abort();
        struct cluster_config *again = load(yaml, ylen);
        if (!again || cfg_emit_yaml(again->doc->tree, 1, &again_yaml, &alen) < 0)
                abort(); /* config show printed something pharos itself rejects */
        if (alen != ylen || memcmp(yaml, again_yaml, ylen) != 0)
                abort(); /* not a fixed point: show | validate changes the configuration */
        free(yaml);
        free(json);
        free(again_yaml);
        cfg_free(again);
        cfg_free(cfg);
        return 0;
}
