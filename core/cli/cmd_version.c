#include <curl/curl.h>
#include <cyaml/cyaml.h>
#include <libssh2.h>
#include <stdio.h>
#include <yajl/yajl_version.h>
#include <yaml.h>

#include <pharos/plugin.h>
#include <pharos/version.h>

#include "cli/cli.h"

extern const struct cli_command cmd_version;

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        if (argc > 1 && cli_is_help(argv[1])) {
                cli_usage(&cmd_version, stdout);
                return 0;
        }
        if (argc > 1)
                return cli_usage_error(&cmd_version, "unexpected argument '%s'", argv[1]);
        int yv = yajl_version();
        printf("pharos %s\n", PHAROS_VERSION);
        printf("plugin ABI %d.%d\n", PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR);
        printf("libssh2 %s\n", libssh2_version(0));
        printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
        printf("yajl %d.%d.%d\n", yv / 10000, yv / 100 % 100, yv % 100);
        printf("libcyaml %s\n", cyaml_version_str);
        printf("libyaml %s\n", yaml_get_version_string());
        /* libffi has no run-time version query: this is the version built against. */
        printf("libffi %s\n", PHAROS_LIBFFI_VERSION);
        return 0;
}

const struct cli_command cmd_version = {
        .name = "version",
        .summary = "Print the versions of pharos, its plugin ABI and its libraries",
        .usage = "usage: pharos version\n"
                 "\n"
                 "Prints the pharos version, the plugin ABI version and the versions of the\n"
                 "libraries it runs with (libssh2, libcurl, yajl, libcyaml, libyaml, libffi).\n",
        .run = run,
};
