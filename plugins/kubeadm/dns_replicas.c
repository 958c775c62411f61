/* What network.dns_replicas asks of kubeadm's CoreDNS Deployment. */
#include <stdio.h>

#include <yajl/yajl_tree.h>

#include "kadm.h"

int kadm_dns_replicas_patch(const char *deployment_json, long want, struct kbuf *patch, char *why,
                            size_t why_len)
{
        char err[200];
        yajl_val d = yajl_tree_parse(deployment_json, err, sizeof(err));
        if (!d) {
                snprintf(why, why_len, "cannot parse the Deployment: %s", err);
                return -1;
        }
        const char *path[] = {"spec", "replicas", NULL};
        yajl_val r = yajl_tree_get(d, path, yajl_t_number);
        /* The API defaults an absent replicas to 1. */
        long long have = r && YAJL_IS_INTEGER(r) ? YAJL_GET_INTEGER(r) : 1;
        yajl_tree_free(d);
        if (have == want)
                return 0;
        kb_printf(patch, "{\"spec\":{\"replicas\":%ld}}", want);
        snprintf(why, why_len, "%lld replica%s, cluster.yml wants %ld", have, have == 1 ? "" : "s",
                 want);
        return 1;
}
