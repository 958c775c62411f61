/*
 * Defaults of cluster.yml that other parts of pharos also need to know.
 * The Kubernetes version is pinned here and only here; cluster.yml can
 * override it with kubernetes.version.
 */
#ifndef PHAROS_CORE_CONFIG_DEFAULTS_H
#define PHAROS_CORE_CONFIG_DEFAULTS_H

#define PHAROS_DEFAULT_KUBE_VERSION "1.37.2"

#define PHAROS_DEFAULT_SSH_USER     "ubuntu"
#define PHAROS_DEFAULT_SSH_KEY_PATH "~/.ssh/id_rsa"
#define PHAROS_DEFAULT_SSH_PORT     "22"

/* The runtime plugin is "runtime-<name>". */
#define PHAROS_DEFAULT_CONTAINER_RUNTIME "containerd"

#define PHAROS_DEFAULT_NETWORK_PROVIDER "weave"
#define PHAROS_DEFAULT_SERVICE_CIDR     "10.96.0.0/12"
#define PHAROS_DEFAULT_POD_NETWORK_CIDR "10.32.0.0/12"

/* Where images the core deploys itself come from (kubeadm's default registry). */
#define PHAROS_DEFAULT_IMAGE_REPOSITORY "registry.k8s.io"

/* The config file used when -c is not given. */
#define PHAROS_DEFAULT_CONFIG_FILE "cluster.yml"

#endif
