/*
 * network.node_local_dns_cache: upstream's NodeLocal DNSCache
 * (kubernetes/kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml,
 * kubernetes.io "Using NodeLocal DNSCache in Kubernetes Clusters") with its
 * __PILLAR__ placeholders filled in from cluster.yml. Pure: unit-tested.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "kadm.h"

int kadm_dns_service_ip(const char *service_cidr, char *out, size_t size)
{
        /* kubeadm's GetDNSIP: the tenth address of the service subnet. */
        char addr[INET_ADDRSTRLEN];
        const char *slash = service_cidr ? strchr(service_cidr, '/') : NULL;
        if (!slash || (size_t)(slash - service_cidr) >= sizeof(addr))
                return -1;
        memcpy(addr, service_cidr, (size_t)(slash - service_cidr));
        addr[slash - service_cidr] = 0;
        struct in_addr a;
        if (inet_pton(AF_INET, addr, &a) != 1)
                return -1;
        a.s_addr = htonl(ntohl(a.s_addr) + 10);
        return inet_ntop(AF_INET, &a, out, (socklen_t)size) ? 0 : -1;
}

int kadm_node_local_dns_kubelet(const char *proxy_mode)
{
        /* In iptables mode node-local-dns also owns the kube-dns ClusterIP on each node, so
         * the kubelet keeps it; IPVS puts every ClusterIP on kube-ipvs0, and nftables mode
         * is not one upstream documents, so there the pods are pointed at the link-local
         * address instead. */
        return proxy_mode && strcmp(proxy_mode, "iptables") != 0;
}

void kadm_node_local_dns_image(const char *repository, char *buf, size_t size)
{
        /* kubeadm's rule for its own images: a mirror holds them without the upstream path. */
        if (!repository || !*repository || !strcmp(repository, KADM_DEFAULT_IMAGE_REPOSITORY))
                snprintf(buf, size, "%s", KADM_NODE_LOCAL_DNS_IMAGE);
        else
                snprintf(buf, size, "%s/%s", repository, KADM_NODE_LOCAL_DNS_IMAGE_NAME);
}

static void zone(struct kbuf *b, const char *name, const char *bind, const char *forward, int tcp,
                 int big_cache, int health)
{
        kb_printf(b, "    %s:53 {\n        errors\n", name);
        if (big_cache)
                kb_printf(b, "        cache {\n                success 9984 30\n"
                             "                denial 9984 5\n        }\n");
        else
                kb_printf(b, "        cache 30\n");
        kb_printf(b, "        reload\n        loop\n        bind %s\n        forward . %s", bind,
                  forward);
        kb_printf(b, tcp ? " {\n                force_tcp\n        }\n" : "\n");
        kb_printf(b, "        prometheus :9253\n");
        if (health)
                kb_printf(b, "        health %s:8080\n", KADM_NODE_LOCAL_DNS_ADDRESS);
        kb_printf(b, "        }\n");
}

int kadm_render_node_local_dns(const char *service_cidr, const char *proxy_mode,
                               const char *image_repository, struct kbuf *b, char *why,
                               size_t why_len)
{
        char dns[INET_ADDRSTRLEN];
        if (kadm_dns_service_ip(service_cidr, dns, sizeof(dns)) < 0) {
                snprintf(why, why_len, "network.service_cidr is not an IPv4 range");
                return -1;
        }
        char image[300];
        kadm_node_local_dns_image(image_repository, image, sizeof(image));
        if (image[strspn(image,
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/@")]) {
                snprintf(why, why_len, "image_repository cannot name the node-local-dns image");
                return -1;
        }
        int link_local_only = kadm_node_local_dns_kubelet(proxy_mode);
        char bind[64], cluster[64];
        /* __PILLAR__CLUSTER__DNS__ and __PILLAR__UPSTREAM__SERVERS__ are left for node-cache,
         * which fills them in from the kube-dns-upstream Service and the kube-dns ConfigMap;
         * with the link-local address only, upstream's IPVS recipe names kube-dns itself. */
        snprintf(bind, sizeof(bind), link_local_only ? "%s" : "%s %s", KADM_NODE_LOCAL_DNS_ADDRESS,
                 dns);
        snprintf(cluster, sizeof(cluster), "%s",
                 link_local_only ? dns : "__PILLAR__CLUSTER__DNS__");
        kb_printf(b, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: node-local-dns\n"
                     "  namespace: kube-system\n---\n"
                     "apiVersion: v1\nkind: Service\nmetadata:\n  name: kube-dns-upstream\n"
                     "  namespace: kube-system\n  labels:\n    k8s-app: kube-dns\n"
                     "    kubernetes.io/name: KubeDNSUpstream\nspec:\n  ports:\n"
                     "  - {name: dns, port: 53, protocol: UDP, targetPort: 53}\n"
                     "  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}\n"
                     "  selector:\n    k8s-app: kube-dns\n---\n"
                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: node-local-dns\n"
                     "  namespace: kube-system\ndata:\n  Corefile: |\n");
        zone(b, KADM_CLUSTER_DOMAIN, bind, cluster, 1, 1, 1);
        zone(b, "in-addr.arpa", bind, cluster, 1, 0, 0);
        zone(b, "ip6.arpa", bind, cluster, 1, 0, 0);
        zone(b, ".", bind, "__PILLAR__UPSTREAM__SERVERS__", 0, 0, 0);
        kb_printf(
                b,
                "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-local-dns\n"
                "  namespace: kube-system\n  labels:\n    k8s-app: node-local-dns\nspec:\n"
                "  updateStrategy:\n    rollingUpdate:\n      maxUnavailable: 10%%\n"
                "  selector:\n    matchLabels:\n      k8s-app: node-local-dns\n"
                "  template:\n    metadata:\n      labels:\n        k8s-app: node-local-dns\n"
                "      annotations:\n        prometheus.io/port: \"9253\"\n"
                "        prometheus.io/scrape: \"true\"\n"
                "    spec:\n      priorityClassName: system-node-critical\n"
                "      serviceAccountName: node-local-dns\n      hostNetwork: true\n"
                "      dnsPolicy: Default\n      tolerations:\n"
                "      - {key: CriticalAddonsOnly, operator: Exists}\n"
                "      - {effect: NoExecute, operator: Exists}\n"
                "      - {effect: NoSchedule, operator: Exists}\n"
                "      containers:\n      - name: node-cache\n        image: \"%s\"\n"
                "        resources:\n          requests: {cpu: 25m, memory: 5Mi}\n"
                "        args: [\"-localip\", \"%s%s%s\", \"-conf\", \"/etc/Corefile\",\n"
                "          \"-upstreamsvc\", \"kube-dns-upstream\", \"-pidfile\", "
                "\"/tmp/node-cache.pid\"]\n"
                "        securityContext:\n          capabilities:\n            add: [NET_ADMIN]\n"
                "        ports:\n        - {containerPort: 53, name: dns, protocol: UDP}\n"
                "        - {containerPort: 53, name: dns-tcp, protocol: TCP}\n"
                "        - {containerPort: 9253, name: metrics, protocol: TCP}\n"
                "        livenessProbe:\n          httpGet: {host: %s, path: /health, port: 8080}\n"
                "          initialDelaySeconds: 60\n          timeoutSeconds: 5\n"
                "        volumeMounts:\n"
                "        - {mountPath: /run/xtables.lock, name: xtables-lock, readOnly: false}\n"
                "        - {name: config-volume, mountPath: /etc/coredns}\n"
                "        - {name: kube-dns-config, mountPath: /etc/kube-dns}\n"
                "      volumes:\n      - name: xtables-lock\n"
                "        hostPath: {path: /run/xtables.lock, type: FileOrCreate}\n"
                "      - name: kube-dns-config\n"
                "        configMap: {name: kube-dns, optional: true}\n"
                "      - name: config-volume\n        configMap:\n          name: node-local-dns\n"
                "          items:\n          - {key: Corefile, path: Corefile.base}\n"
                /* upstream's headless Service: the metrics of every node's cache */
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: node-local-dns\n"
                "  namespace: kube-system\n  labels:\n    k8s-app: node-local-dns\n"
                "  annotations:\n    prometheus.io/port: \"9253\"\n"
                "    prometheus.io/scrape: \"true\"\nspec:\n  clusterIP: None\n"
                "  ports:\n  - {name: metrics, port: 9253, targetPort: 9253}\n"
                "  selector:\n    k8s-app: node-local-dns\n",
                image, KADM_NODE_LOCAL_DNS_ADDRESS, link_local_only ? "" : ",",
                link_local_only ? "" : dns, KADM_NODE_LOCAL_DNS_ADDRESS);
        return b->oom ? (snprintf(why, why_len, "out of memory"), -1) : 0;
}
