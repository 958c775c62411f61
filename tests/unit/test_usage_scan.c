/* Reading options, subcommands and values out of usage texts (completion, man). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/usage_scan.h"

static char got[2048];

static void append(const char *s)
{
        size_t n = strlen(got);
        snprintf(got + n, sizeof(got) - n, "%s%s", n ? " " : "", s);
}

/* Each option line as NAMES=ARG, names joined by commas. */
static void on_option(void *ud, const char *const *names, size_t n, const char *arg)
{
        (void)ud;
        char one[256] = "";
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(one);
                snprintf(one + len, sizeof(one) - len, "%s%s", i ? "," : "", names[i]);
        }
        size_t len = strlen(one);
        snprintf(one + len, sizeof(one) - len, "=%s", arg);
        append(one);
}

static void on_word(void *ud, const char *w)
{
        (void)ud;
        append(w);
}

static const char up_usage[] =
        "usage: pharos up [-c FILE] [--plan] [--output text|json]\n"
        "                 [--trust-hosts]\n"
        "\n"
        "Text that mentions --plan and -c FILE in passing.\n"
        "  pharos exec -r master -f sudo kubeadm\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE       cluster.yml to read\n"
        "      --connect-timeout S connect, handshake and login timeout (default 10)\n"
        "      --taint KEY[=VALUE]:EFFECT  a taint\n"
        "  -f, --first             only the first\n"
        "                          - a continuation that starts with a dash\n"
        "                          --and another one\n"
        "-o, --output FMT    yaml (default) or json\n";

static void options_from_lines_and_synopsis(void **s)
{
        (void)s;
        got[0] = '\0';
        usage_scan_options(up_usage, on_option, NULL);
        assert_string_equal(got, "-c=FILE --plan= --output=VALUE -c,--config=FILE "
                                 "--connect-timeout=S --taint=KEY[=VALUE]:EFFECT -f,--first= "
                                 "-o,--output=FMT");
}

static void values_from_the_synopsis(void **s)
{
        (void)s;
        got[0] = '\0';
        usage_scan_values(up_usage, "--output", on_word, NULL);
        assert_string_equal(got, "text json");
        got[0] = '\0';
        usage_scan_values(up_usage, "-c", on_word, NULL);
        assert_string_equal(got, "");
}

static void subcommands_of_the_synopsis_only(void **s)
{
        (void)s;
        static const char plugins[] = "usage: pharos plugins list [--output table|json]\n"
                                      "       pharos plugins check FILE\n"
                                      "       pharos plugins list\n"
                                      "\n"
                                      "  pharos plugins frob is not a synopsis line\n";
        got[0] = '\0';
        usage_scan_subcommands(plugins, "plugins", on_word, NULL);
        assert_string_equal(got, "list check");
        got[0] = '\0';
        usage_scan_subcommands("usage: pharos completion bash|zsh\n", "completion", on_word, NULL);
        assert_string_equal(got, "bash zsh");
        got[0] = '\0';
        usage_scan_subcommands("usage: pharos drain NODE [-c FILE]\n", "drain", on_word, NULL);
        usage_scan_subcommands(up_usage, "up", on_word, NULL);
        assert_string_equal(got, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(options_from_lines_and_synopsis),
                cmocka_unit_test(values_from_the_synopsis),
                cmocka_unit_test(subcommands_of_the_synopsis_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
