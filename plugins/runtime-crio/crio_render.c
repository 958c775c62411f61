#include <stdio.h>

#include "crio_render.h"

void crio_render_conf(struct rtc_buf *b, const char *pause_image)
{
        rtc_buf_printf(b, "# Written by pharos: CRI-O for the kubelet.\n"
                          "[crio.runtime]\n"
                          "cgroup_manager = \"systemd\"\n\n"
                          "[crio.image]\n"
                          "pause_image = \"");
        rtc_buf_quoted(b, pause_image);
        rtc_buf_printf(b, "\"\n");
}

void crio_render_registries(struct rtc_buf *b, const struct rtc_registry *regs, size_t n)
{
        size_t written = 0;
        for (size_t i = 0; i < n; i++) {
                if (regs[i].is_cidr)
                        continue;
                if (!written++)
                        rtc_buf_printf(b, "# Written by pharos from "
                                          "container_runtime.insecure_registries.\n");
                rtc_buf_printf(b, "\n[[registry]]\nlocation = \"");
                rtc_buf_quoted(b, regs[i].host);
                rtc_buf_printf(b, "\"\ninsecure = true\n");
        }
}

int crio_minor(const char *kube_version, char *out, size_t n)
{
        int major, minor;
        if (!kube_version || sscanf(kube_version[0] == 'v' ? kube_version + 1 : kube_version,
                                    "%d.%d", &major, &minor) != 2)
                return -1;
        snprintf(out, n, "v%d.%d", major, minor);
        return 0;
}
