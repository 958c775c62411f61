#include <stdio.h>

#include <pharos/systemd_quote.h>

#include "docker_render.h"

void dkr_render_daemon_json(struct rtc_buf *b, const char *const *insecure, size_t n)
{
        rtc_buf_printf(b, "{\n"
                          "  \"exec-opts\": [\"native.cgroupdriver=systemd\"],\n"
                          "  \"log-driver\": \"json-file\",\n"
                          "  \"log-opts\": {\"max-size\": \"20m\", \"max-file\": \"3\"},\n"
                          "  \"storage-driver\": \"overlay2\",\n"
                          "  \"insecure-registries\": [");
        for (size_t i = 0; i < n; i++) {
                rtc_buf_printf(b, "%s\"", i ? ", " : "");
                rtc_buf_quoted(b, insecure[i]);
                rtc_buf_printf(b, "\"");
        }
        rtc_buf_printf(b, "]\n}\n");
}

int dkr_render_cri_service(struct rtc_buf *b, const char *pause_image)
{
        char flag[512], arg[1100];
        int n = snprintf(flag, sizeof(flag), "--pod-infra-container-image=%s", pause_image);
        if (n < 0 || (size_t)n >= sizeof(flag) ||
            pharos_systemd_quote(flag, PHAROS_SYSTEMD_EXEC, arg, sizeof(arg)) < 0)
                return -1;
        rtc_buf_printf(b,
                       "# Written by pharos (upstream's packaging/systemd/cri-docker.service).\n"
                       "[Unit]\n"
                       "Description=CRI Interface for Docker Application Container Engine\n"
                       "Documentation=https://mirantis.github.io/cri-dockerd/\n"
                       "After=network-online.target firewalld.service docker.service\n"
                       "Wants=network-online.target\n"
                       "Requires=cri-docker.socket\n\n"
                       "[Service]\n"
                       "Type=notify\n"
                       "ExecStart=" DKR_CRI_BIN " --container-runtime-endpoint fd:// "
                       "--network-plugin=cni %s\n"
                       "ExecReload=/bin/kill -s HUP $MAINPID\n"
                       "TimeoutSec=0\n"
                       "RestartSec=2\n"
                       "Restart=always\n"
                       "StartLimitBurst=3\n"
                       "StartLimitInterval=60s\n"
                       "LimitNOFILE=infinity\n"
                       "LimitNPROC=infinity\n"
                       "LimitCORE=infinity\n"
                       "TasksMax=infinity\n"
                       "Delegate=yes\n"
                       "KillMode=process\n\n"
                       "[Install]\n"
                       "WantedBy=multi-user.target\n",
                       arg);
        return 0;
}

void dkr_render_cri_socket(struct rtc_buf *b)
{
        rtc_buf_printf(b, "# Written by pharos (upstream's packaging/systemd/cri-docker.socket).\n"
                          "[Unit]\n"
                          "Description=CRI Docker Socket for the API\n"
                          "PartOf=cri-docker.service\n\n"
                          "[Socket]\n"
                          "ListenStream=%%t/cri-dockerd.sock\n"
                          "SocketMode=0660\n"
                          "SocketUser=root\n"
                          "SocketGroup=docker\n\n"
                          "[Install]\n"
                          "WantedBy=sockets.target\n");
}
