#include <curl/curl.h>
#include <cyaml/cyaml.h>
#include <libssh2.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_version.h>
#include <yaml.h>

#include <pharos/plugin.h>
#include <pharos/version.h>

#include "cli/cli.h"

extern const struct cli_command cmd_version;

/* The libraries in the order both outputs list them. */
struct lib_version {
        const char *name;
        char version[32];
};

static void lib_versions(struct lib_version libs[6])
{
        int yv = yajl_version();
        libs[0] = (struct lib_version){.name = "libssh2"};
        snprintf(libs[0].version, sizeof(libs[0].version), "%s", libssh2_version(0));
        libs[1] = (struct lib_version){.name = "libcurl"};
        snprintf(libs[1].version, sizeof(libs[1].version), "%s",
                 curl_version_info(CURLVERSION_NOW)->version);
        libs[2] = (struct lib_version){.name = "yajl"};
        snprintf(libs[2].version, sizeof(libs[2].version), "%d.%d.%d", yv / 10000, yv / 100 % 100,
                 yv % 100);
        libs[3] = (struct lib_version){.name = "libcyaml"};
        snprintf(libs[3].version, sizeof(libs[3].version), "%s", cyaml_version_str);
        libs[4] = (struct lib_version){.name = "libyaml"};
        snprintf(libs[4].version, sizeof(libs[4].version), "%s", yaml_get_version_string());
        /* libffi has no run-time version query: this is the version built against. */
        libs[5] = (struct lib_version){.name = "libffi"};
        snprintf(libs[5].version, sizeof(libs[5].version), "%s", PHAROS_LIBFFI_VERSION);
}

static void gen_str(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void print_json(const char *abi, const struct lib_version libs[6])
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return;
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_map_open(g);
        gen_str(g, "pharos");
        gen_str(g, PHAROS_VERSION);
        gen_str(g, "plugin_abi");
        gen_str(g, abi);
        gen_str(g, "libraries");
        yajl_gen_map_open(g);
        for (int i = 0; i < 6; i++) {
                gen_str(g, libs[i].name);
                gen_str(g, libs[i].version);
        }
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, stdout);
        yajl_gen_free(g);
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        const char *output = "text";
        for (int i = 1; i < argc; i++) {
                if (cli_is_help(argv[i])) {
                        cli_usage(&cmd_version, stdout);
                        return 0;
                }
                if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
                        if (i + 1 >= argc)
                                return cli_usage_error(&cmd_version, "%s needs text or json",
                                                       argv[i]);
                        output = argv[++i];
                } else if (!strncmp(argv[i], "--output=", 9)) {
                        output = argv[i] + 9;
                } else {
                        return cli_usage_error(&cmd_version, "unexpected argument '%s'", argv[i]);
                }
        }
        int json = strcmp(output, "json") == 0;
        if (!json && strcmp(output, "text") != 0)
                return cli_usage_error(&cmd_version, "--output must be text or json, not '%s'",
                                       output);
        char abi[32];
        snprintf(abi, sizeof(abi), "%d.%d", PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR);
        struct lib_version libs[6];
        lib_versions(libs);
        if (json) {
                print_json(abi, libs);
                return 0;
        }
        printf("pharos %s\nplugin ABI %s\n", PHAROS_VERSION, abi);
        for (int i = 0; i < 6; i++)
                printf("%s %s\n", libs[i].name, libs[i].version);
        return 0;
}

const struct cli_command cmd_version = {
        .name = "version",
        .summary = "Print the versions of pharos, its plugin ABI and its libraries",
        .usage = "usage: pharos version [--output text|json]\n"
                 "\n"
                 "Prints the pharos version, the plugin ABI version and the versions of the\n"
                 "libraries it runs with (libssh2, libcurl, yajl, libcyaml, libyaml, libffi).\n"
                 "\n"
                 "Options:\n"
                 "  -o, --output FORMAT   text (default) or json: {\"pharos\", \"plugin_abi\",\n"
                 "                        \"libraries\": {NAME: VERSION}}\n",
        .run = run,
};
