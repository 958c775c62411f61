/* The files runtime-docker writes, rendered from cluster.yml values (pure). */
#ifndef PHAROS_DOCKER_RENDER_H
#define PHAROS_DOCKER_RENDER_H

#include "rtc.h"

#define DKR_DAEMON_JSON "/etc/docker/daemon.json"
#define DKR_DROPIN      "/etc/systemd/system/docker.service.d/http-proxy.conf"
#define DKR_CRI_SERVICE "/etc/systemd/system/cri-docker.service"
#define DKR_CRI_SOCKET  "/etc/systemd/system/cri-docker.socket"
#define DKR_CRI_BIN     "/usr/local/bin/cri-dockerd"
#define DKR_SOCKET      "unix:///var/run/cri-dockerd.sock"

/* daemon.json: systemd cgroups, overlay2, bounded json-file logs, insecure registries. */
void dkr_render_daemon_json(struct rtc_buf *b, const char *const *insecure, size_t n);

/*
 * cri-dockerd's units, as upstream packages them, running DKR_CRI_BIN for the
 * kubelet. The pause image is quoted for ExecStart=; -1 (nothing written)
 * when it cannot be (a control character, or longer than 480 bytes).
 */
int dkr_render_cri_service(struct rtc_buf *b, const char *pause_image);
void dkr_render_cri_socket(struct rtc_buf *b);

#endif
