/* The files runtime-crio writes, rendered from cluster.yml values (pure). */
#ifndef PHAROS_CRIO_RENDER_H
#define PHAROS_CRIO_RENDER_H

#include "rtc.h"

#define CRIO_CONF       "/etc/crio/crio.conf.d/10-pharos.conf"
#define CRIO_REGISTRIES "/etc/containers/registries.conf.d/10-pharos-insecure.conf"
#define CRIO_DROPIN     "/etc/systemd/system/crio.service.d/http-proxy.conf"
#define CRIO_SOCKET     "unix:///var/run/crio/crio.sock"

/* The crio.conf drop-in: systemd cgroup manager and kubeadm's pause image. */
void crio_render_conf(struct rtc_buf *b, const char *pause_image);

/* containers-registries.conf(5) entries marking registries insecure; empty for none. */
void crio_render_registries(struct rtc_buf *b, const struct rtc_registry *regs, size_t n);

/* "v1.37" (CRI-O's minor follows Kubernetes') from "1.37.2"; -1 if not a version. */
int crio_minor(const char *kube_version, char *out, size_t n);

#endif
