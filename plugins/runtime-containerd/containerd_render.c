#include "containerd_render.h"

#define CRI "plugins.\"io.containerd.grpc.v1.cri\""

void ctd_render_config(struct rtc_buf *b, const char *sandbox_image, int restrict_oom)
{
        rtc_buf_printf(b, "# Written by pharos: containerd as the kubelet's CRI runtime.\n"
                          "version = 2\n\n"
                          "[" CRI "]\n"
                          "  sandbox_image = \"");
        rtc_buf_quoted(b, sandbox_image);
        rtc_buf_printf(b, "\"\n");
        /* The kubelet asks for negative scores (-997 for node-critical pods),
         * which runc cannot set without CAP_SYS_RESOURCE: containerd then
         * keeps every container's score at or above its own. */
        if (restrict_oom)
                rtc_buf_printf(b, "  restrict_oom_score_adj = true\n");
        rtc_buf_printf(b, "\n"
                          "  [" CRI ".containerd]\n"
                          "    default_runtime_name = \"runc\"\n\n"
                          "    [" CRI ".containerd.runtimes.runc]\n"
                          "      runtime_type = \"io.containerd.runc.v2\"\n\n"
                          "      [" CRI ".containerd.runtimes.runc.options]\n"
                          "        SystemdCgroup = true\n\n"
                          "  [" CRI ".registry]\n"
                          "    config_path = \"" CTD_CERTS_DIR "\"\n");
}

static void host_entry(struct rtc_buf *b, const char *scheme, const char *host, int skip_verify)
{
        rtc_buf_printf(b,
                       "\n[host.\"%s://%s\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n",
                       scheme, host);
        if (skip_verify)
                rtc_buf_printf(b, "  skip_verify = true\n");
}

void ctd_render_hosts(struct rtc_buf *b, const struct rtc_registry *reg)
{
        rtc_buf_printf(b, CTD_HOSTS_MARKER "\n");
        if (reg->scheme[0]) {
                rtc_buf_printf(b, "server = \"%s://%s\"\n", reg->scheme, reg->host);
                host_entry(b, reg->scheme, reg->host, 1);
                return;
        }
        /* Like Docker's insecure-registries: HTTPS without verification, then plain HTTP. */
        rtc_buf_printf(b, "server = \"https://%s\"\n", reg->host);
        host_entry(b, "https", reg->host, 1);
        host_entry(b, "http", reg->host, 0);
}
