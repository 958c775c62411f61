/* The files runtime-containerd writes, rendered from cluster.yml values (pure). */
#ifndef PHAROS_CONTAINERD_RENDER_H
#define PHAROS_CONTAINERD_RENDER_H

#include "rtc.h"

#define CTD_CONFIG     "/etc/containerd/config.toml"
#define CTD_CERTS_DIR  "/etc/containerd/certs.d"
#define CTD_HOSTS_FILE "hosts.toml"
#define CTD_DROPIN     "/etc/systemd/system/containerd.service.d/http-proxy.conf"
#define CTD_SOCKET     "unix:///run/containerd/containerd.sock"
/* First line of every hosts.toml pharos writes, so stale ones can be found again. */
#define CTD_HOSTS_MARKER "# Written by pharos from container_runtime.insecure_registries"

/* config.toml: the CRI plugin with runc under systemd cgroups, the sandbox image, certs.d;
 * restrict_oom when no process on the host may lower its oom_score_adj. */
void ctd_render_config(struct rtc_buf *b, const char *sandbox_image, int restrict_oom);

/* certs.d/<host>/hosts.toml letting containerd pull from an insecure registry. */
void ctd_render_hosts(struct rtc_buf *b, const struct rtc_registry *reg);

#endif
