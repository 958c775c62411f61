#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/host_args.h"

/* Matches argv[*i] against -s/--long; sets *val for options with a value
 * (from the same word or the next). Returns 1 on a match, 0 if not this
 * option, -1 when the value is missing. */
static int opt(int argc, char **argv, int *i, const char *s, const char *l, const char **val)
{
        const char *a = argv[*i];
        size_t ll = l ? strlen(l) : 0;
        const char *inline_val = NULL;
        if (s && strcmp(a, s) == 0) {
        } else if (l && strcmp(a, l) == 0) {
        } else if (val && s && strncmp(a, s, 2) == 0 && a[2] && a[1] != '-') {
                inline_val = a + 2;
        } else if (val && l && strncmp(a, l, ll) == 0 && a[ll] == '=') {
                inline_val = a + ll + 1;
        } else {
                return 0;
        }
        if (!val)
                return 1;
        if (inline_val) {
                *val = inline_val;
                return 1;
        }
        if (*i + 1 >= argc)
                return -1;
        *val = argv[++*i];
        return 1;
}

static int positive(const char *v, const char *name, int *out, struct pharos_error *err)
{
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > 100000)
                return perr_set(err, PERR_USAGE, "%s needs a positive number, not '%s'", name, v);
        *out = (int)n;
        return 0;
}

int host_args_parse(int argc, char **argv, struct host_args *a, struct pharos_error *err)
{
        memset(a, 0, sizeof(*a));
        a->config = "cluster.yml";
        int i = 1;
        for (; i < argc; i++) {
                const char *v = NULL;
                int r, n;
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (argv[i][0] != '-' || argv[i][1] == '\0')
                        break;
                if (cli_is_help(argv[i])) {
                        a->help = 1;
                        continue;
                }
                if ((r = opt(argc, argv, &i, "-c", "--config", &v))) {
                        a->config = v;
                } else if ((r = opt(argc, argv, &i, "-r", "--role", &v))) {
                        a->filter.role = v;
                } else if ((r = opt(argc, argv, &i, "-l", "--label", &v))) {
                        if (r > 0 && hf_add_label(&a->filter, v, err) < 0)
                                return PERR_USAGE;
                } else if ((r = opt(argc, argv, &i, "-a", "--address", &v))) {
                        if (r > 0 && hf_add_address(&a->filter, v, err) < 0)
                                return PERR_USAGE;
                } else if ((r = opt(argc, argv, &i, "-f", "--first", NULL))) {
                        a->filter.first = 1;
                } else if ((r = opt(argc, argv, &i, NULL, "--trust-hosts", NULL))) {
                        a->opts.trust_hosts = 1;
                } else if ((r = opt(argc, argv, &i, NULL, "--concurrency", &v))) {
                        if (r > 0 && positive(v, "--concurrency", &n, err) < 0)
                                return PERR_USAGE;
                        a->concurrency = r > 0 ? (unsigned)n : 0;
                } else if ((r = opt(argc, argv, &i, NULL, "--connect-timeout", &v))) {
                        if (r > 0 && positive(v, "--connect-timeout", &n, err) < 0)
                                return PERR_USAGE;
                        a->opts.connect_timeout_ms = r > 0 ? n * 1000 : 0;
                } else if ((r = opt(argc, argv, &i, NULL, "--timeout", &v))) {
                        if (r > 0 && positive(v, "--timeout", &n, err) < 0)
                                return PERR_USAGE;
                        a->opts.command_timeout_ms = r > 0 ? n * 1000 : 0;
                } else {
                        return perr_set(err, PERR_USAGE, "unknown option '%s'", argv[i]);
                }
                if (r < 0)
                        return perr_set(err, PERR_USAGE, "%s needs a value", argv[i]);
        }
        a->cmd_index = i;
        return 0;
}
