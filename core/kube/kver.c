#include <stdio.h>
#include <stdlib.h>

#include "kube/kver.h"

static int number(const char **p, long *out)
{
        const char *s = *p;
        long v = 0;
        while (**p >= '0' && **p <= '9' && *p - s < 9)
                v = v * 10 + (*(*p)++ - '0');
        *out = v;
        return *p == s || (**p >= '0' && **p <= '9') ? -1 : 0;
}

int kver_parse(const char *s, struct kver *v)
{
        if (!s)
                return -1;
        const char *p = s + (*s == 'v');
        if (number(&p, &v->major) < 0 || *p++ != '.' || number(&p, &v->minor) < 0 || *p++ != '.' ||
            number(&p, &v->patch) < 0)
                return -1;
        return *p == '\0' || *p == '-' || *p == '+' ? 0 : -1;
}

static int sign(long d)
{
        return (d > 0) - (d < 0);
}

int kver_cmp(const struct kver *a, const struct kver *b)
{
        if (a->major != b->major)
                return sign(a->major - b->major);
        if (a->minor != b->minor)
                return sign(a->minor - b->minor);
        return sign(a->patch - b->patch);
}

int kver_check_upgrade(const struct kver *have, const struct kver *want, char *why, size_t n)
{
        if (kver_cmp(want, have) < 0) {
                snprintf(why, n,
                         "%ld.%ld.%ld is older than the cluster's %ld.%ld.%ld: Kubernetes is "
                         "not downgraded in place (kubeadm upgrades only forward; going back "
                         "is a restore of etcd from a backup)",
                         want->major, want->minor, want->patch, have->major, have->minor,
                         have->patch);
                return -1;
        }
        if (want->major != have->major || want->minor > have->minor + 1) {
                snprintf(why, n,
                         "%ld.%ld.%ld skips minors from the cluster's %ld.%ld.%ld: kubeadm "
                         "upgrades one minor at a time; go to %ld.%ld first, then on",
                         want->major, want->minor, want->patch, have->major, have->minor,
                         have->patch, have->major, have->minor + 1);
                return -1;
        }
        return 0;
}

int kver_check_kubelet(const struct kver *kubelet, const struct kver *apiserver, char *why,
                       size_t n)
{
        /* The policy counts minors only: any patch of a minor is as good as another. */
        if (kubelet->major != apiserver->major || kubelet->minor > apiserver->minor) {
                snprintf(why, n,
                         "its kubelet %ld.%ld.%ld is newer than the API server would be "
                         "(%ld.%ld.%ld); a kubelet is never newer than the control plane",
                         kubelet->major, kubelet->minor, kubelet->patch, apiserver->major,
                         apiserver->minor, apiserver->patch);
                return -1;
        }
        if (kubelet->minor + KVER_KUBELET_SKEW < apiserver->minor) {
                snprintf(why, n,
                         "its kubelet %ld.%ld.%ld is more than %d minors older than the API "
                         "server would be (%ld.%ld.%ld); upgrade the node first",
                         kubelet->major, kubelet->minor, kubelet->patch, KVER_KUBELET_SKEW,
                         apiserver->major, apiserver->minor, apiserver->patch);
                return -1;
        }
        return 0;
}
