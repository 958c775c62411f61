/*
 * Kubernetes versions and the rules for moving a cluster between them:
 * kubeadm upgrades the control plane one minor at a time and never down
 * (a restore from backup is the way back), and a kubelet may be up to
 * KVER_KUBELET_SKEW minors older than the API server, never newer
 * (kubernetes.io, "Version Skew Policy", since 1.28).
 */
#ifndef PHAROS_CORE_KUBE_KVER_H
#define PHAROS_CORE_KUBE_KVER_H

#include <stddef.h>

/* How many minors a kubelet may lag behind the API server. */
#define KVER_KUBELET_SKEW 3

/* A release MAJOR.MINOR.PATCH. */
struct kver {
        long major, minor, patch;
};

/* Reads "1.37.2" or "v1.37.2"; what follows the patch ("-rc.1", "+k3s1") is
 * ignored, as pharos only pins releases. Returns 0, or -1 when s is no version. */
int kver_parse(const char *s, struct kver *v);

/* <0, 0 or >0 as a is older than, the same as or newer than b. */
int kver_cmp(const struct kver *a, const struct kver *b);

/* Whether a cluster at `have` may be taken to `want` by one run: 0 when want is
 * have or a newer patch or the next minor, -1 with why (naming both) when it is
 * a downgrade or skips minors or majors. */
int kver_check_upgrade(const struct kver *have, const struct kver *want, char *why, size_t n);

/* Whether a kubelet at `kubelet` may work with an API server at `apiserver`:
 * 0, or -1 with why (naming both) when it is newer or too old. */
int kver_check_kubelet(const struct kver *kubelet, const struct kver *apiserver, char *why,
                       size_t n);

#endif
