/* Loading cluster.yml and picking the hosts (kept apart from the parsing so
 * the option parser can be tested without a config loader). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/host_args.h"

int host_args_select(struct cli_ctx *ctx, const struct host_args *a, struct cluster_config **cfg,
                     size_t **idx, size_t *n, struct pharos_error *err)
{
        cli_load_plugins(ctx);
        if (cfg_load(a->config, &ctx->reg, cfg, err) < 0)
                return PERR_USAGE;
        *idx = malloc(((*cfg)->n_hosts ? (*cfg)->n_hosts : 1) * sizeof(**idx));
        if (!*idx) {
                cfg_free(*cfg);
                *cfg = NULL;
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        *n = hf_select(&a->filter, (*cfg)->hosts, (*cfg)->n_hosts, *idx);
        if (*n == 0) {
                char what[512];
                hf_describe(&a->filter, what, sizeof(what));
                perr_set(err, PERR_USAGE, "no host in %s matches (%s)", a->config, what);
                free(*idx);
                *idx = NULL;
                cfg_free(*cfg);
                *cfg = NULL;
                return PERR_USAGE;
        }
        return 0;
}
