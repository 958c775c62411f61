#include "seq/phases.h"

/*
 * Mirrors the original's up order (validate, configure host, firewall,
 * etcd/control plane, kubelet, join, network, addons, store config) with
 * kubeadm-managed stacked etcd; reset validates (quorum), runs the node
 * removal, then the wipe.
 */
const char *const phase_names[] = {
        "validate",      "facts",         "prepare-host", "firewall",   "runtime",
        "kube-packages", "control-plane", "join",         "network",    "addons",
        "labels",        "store-state",   "reset-node",   "reset-host", NULL,
};

size_t phase_count(void)
{
        size_t n = 0;
        while (phase_names[n])
                n++;
        return n;
}

static const char *const up_phases[] = {
        "validate",      "facts",         "prepare-host", "firewall", "runtime",
        "kube-packages", "control-plane", "join",         "network",  "addons",
        "labels",        "store-state",   NULL,
};
static const char *const worker_up_phases[] = {
        "validate", "facts", "prepare-host", "runtime", "kube-packages", "join", NULL,
};
static const char *const reset_phases[] = {"validate", "reset-node", "reset-host", NULL};

const struct phase_sequence phase_sequences[] = {
        {"up", up_phases},
        {"worker-up", worker_up_phases},
        {"reset", reset_phases},
        {NULL, NULL},
};
