#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/host_args.h"

enum opt_id {
        O_CONFIG,
        O_ROLE,
        O_LABEL,
        O_ADDRESS,
        O_FIRST,
        O_TRUST,
        O_CONC,
        O_CTIMEOUT,
        O_TIMEOUT
};

static const struct {
        const char *s; /* short form or NULL */
        const char *l; /* long form */
        int has_val;
} options[] = {
        [O_CONFIG] = {"-c", "--config", 1},    [O_ROLE] = {"-r", "--role", 1},
        [O_LABEL] = {"-l", "--label", 1},      [O_ADDRESS] = {"-a", "--address", 1},
        [O_FIRST] = {"-f", "--first", 0},      [O_TRUST] = {NULL, "--trust-hosts", 0},
        [O_CONC] = {NULL, "--concurrency", 1}, [O_CTIMEOUT] = {NULL, "--connect-timeout", 1},
        [O_TIMEOUT] = {NULL, "--timeout", 1},
};

/* Matches argv[*i] against option k; takes its value from the same word
 * ("-rmaster", "--role=master") or the next. Returns 1 on a match, 0 if not
 * this option, -1 when the value is missing. */
static int opt(int argc, char **argv, int *i, int k, const char **val)
{
        const char *a = argv[*i], *s = options[k].s, *l = options[k].l;
        size_t ll = strlen(l);
        *val = NULL;
        if ((s && strcmp(a, s) == 0) || strcmp(a, l) == 0) {
                if (!options[k].has_val)
                        return 1;
                if (*i + 1 >= argc)
                        return -1;
                *val = argv[++*i];
                return 1;
        }
        if (!options[k].has_val)
                return 0;
        if (s && strncmp(a, s, 2) == 0 && a[2])
                *val = a + 2;
        else if (strncmp(a, l, ll) == 0 && a[ll] == '=')
                *val = a + ll + 1;
        return *val ? 1 : 0;
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

static int apply(struct host_args *a, int k, const char *v, struct pharos_error *err)
{
        int n = 0;
        switch (k) {
        case O_CONFIG:
                a->config = v;
                return 0;
        case O_ROLE:
                a->filter.role = v;
                return 0;
        case O_LABEL:
                return hf_add_label(&a->filter, v, err);
        case O_ADDRESS:
                return hf_add_address(&a->filter, v, err);
        case O_FIRST:
                a->filter.first = 1;
                return 0;
        case O_TRUST:
                a->opts.trust_hosts = 1;
                return 0;
        case O_CONC:
                if (positive(v, "--concurrency", &n, err) < 0)
                        return PERR_USAGE;
                a->concurrency = (unsigned)n;
                return 0;
        case O_CTIMEOUT:
                if (positive(v, "--connect-timeout", &n, err) < 0)
                        return PERR_USAGE;
                a->opts.connect_timeout_ms = n * 1000;
                return 0;
        default:
                if (positive(v, "--timeout", &n, err) < 0)
                        return PERR_USAGE;
                a->opts.command_timeout_ms = n * 1000;
                return 0;
        }
}

int host_args_parse(struct cli_ctx *ctx, int argc, char **argv, struct host_args *a,
                    struct pharos_error *err)
{
        memset(a, 0, sizeof(*a));
        a->config = "cluster.yml";
        int i = 1;
        for (; i < argc; i++) {
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
                if (ctx) {
                        int g = cli_take_global(ctx, argc, argv, &i, err);
                        if (g < 0)
                                return PERR_USAGE;
                        if (g > 0)
                                continue;
                }
                const char *v = NULL, *word = argv[i];
                int k = 0, r = 0;
                for (; k < (int)(sizeof(options) / sizeof(options[0])) && r == 0; k++)
                        r = opt(argc, argv, &i, k, &v);
                if (r == 0)
                        return perr_set(err, PERR_USAGE, "unknown option '%s'", word);
                if (r < 0)
                        return perr_set(err, PERR_USAGE, "%s needs a value", word);
                if (apply(a, k - 1, v, err) < 0)
                        return PERR_USAGE;
        }
        a->cmd_index = i;
        return 0;
}
