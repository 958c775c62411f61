#include <stdio.h>
#include <string.h>

#include "run/run.h"
#include "run/tunnel.h"
#include "ssh/ssh_bastion.h"
#include "ssh/target_cfg.h"
#include "util/log.h"

void run_tunnel_init(struct run *r, size_t host, const char *address, int port,
                     struct run_tunnel *t)
{
        struct tp_target target, bastion;
        tp_target_from_host(r->hosts[host].cfg, &target, &bastion);
        memset(t, 0, sizeof(*t));
        t->run = r;
        /* Through the bastion when the host sits behind one, else through the host. */
        t->jump = target.bastion ? bastion : target;
        t->jump.bastion = NULL;
        snprintf(t->address, sizeof(t->address), "%s", address);
        t->port = port;
}

int run_tunnel_open(void *tunnel)
{
        struct run_tunnel *t = tunnel;
        struct pharos_error err = {0};
        int fd = bastion_tunnel(&t->jump, &t->run->opts.tp, t->address, t->port, &err);
        if (fd < 0)
                log_msg(PHAROS_LOG_DEBUG, t->address, "tunnel to port %d: %s", t->port, err.msg);
        return fd;
}

void run_https_url(const char *address, int port, char *buf, size_t size)
{
        snprintf(buf, size, strchr(address, ':') ? "https://[%s]:%d" : "https://%s:%d", address,
                 port);
}
