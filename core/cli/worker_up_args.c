#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/ca_pin.h"
#include "cli/duration.h"
#include "cli/worker_up.h"
#include "config/defaults.h"

static int add(const char **list, size_t *n, const char *v, const char *what,
               struct pharos_error *err)
{
        if (*n >= WU_MAX)
                return perr_set(err, PERR_USAGE, "at most %d %s", WU_MAX, what);
        list[(*n)++] = v;
        return 0;
}

/* K=V with a non-empty key. */
static int check_kv(const char *kv, const char *opt, struct pharos_error *err)
{
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
                return perr_set(err, PERR_USAGE, "%s needs KEY=VALUE, not '%s'", opt, kv);
        return 0;
}

/*
 * The kubelet refuses to start with --node-labels in the kubernetes.io and
 * k8s.io namespaces (NodeRestriction), except these.
 */
static int kubelet_may_set(const char *key)
{
        const char *slash = strchr(key, '/');
        if (!slash)
                return 1;
        size_t plen = (size_t)(slash - key);
        const char *namespaces[] = {"kubernetes.io", "k8s.io"};
        int restricted = 0;
        for (size_t i = 0; i < 2; i++) {
                size_t n = strlen(namespaces[i]);
                if (plen >= n && strncmp(slash - n, namespaces[i], n) == 0 &&
                    (plen == n || slash[-(long)n - 1] == '.'))
                        restricted = 1;
        }
        if (!restricted)
                return 1;
        const char *allowed_prefixes[] = {"node.kubernetes.io", "kubelet.kubernetes.io"};
        for (size_t i = 0; i < 2; i++) {
                size_t n = strlen(allowed_prefixes[i]);
                if (plen >= n && strncmp(slash - n, allowed_prefixes[i], n) == 0 &&
                    (plen == n || slash[-(long)n - 1] == '.'))
                        return 1;
        }
        const char *allowed[] = {"kubernetes.io/hostname",
                                 "kubernetes.io/arch",
                                 "kubernetes.io/os",
                                 "topology.kubernetes.io/region",
                                 "topology.kubernetes.io/zone",
                                 "beta.kubernetes.io/arch",
                                 "beta.kubernetes.io/os",
                                 "beta.kubernetes.io/instance-type",
                                 "failure-domain.beta.kubernetes.io/region",
                                 "failure-domain.beta.kubernetes.io/zone"};
        size_t klen = strcspn(key, "=");
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                if (strlen(allowed[i]) == klen && strncmp(key, allowed[i], klen) == 0)
                        return 1;
        return 0;
}

/* K[=V]:EFFECT with one of the three effects. */
static int check_taint(const char *t, struct pharos_error *err)
{
        const char *colon = strrchr(t, ':');
        if (!colon || colon == t || *t == '=' ||
            (strcmp(colon + 1, "NoSchedule") != 0 && strcmp(colon + 1, "PreferNoSchedule") != 0 &&
             strcmp(colon + 1, "NoExecute") != 0))
                return perr_set(err, PERR_USAGE,
                                "--taint needs KEY[=VALUE]:EFFECT with EFFECT NoSchedule, "
                                "PreferNoSchedule or NoExecute, not '%s'",
                                t);
        return 0;
}

static int read_join_command(struct wu_args *a, struct pharos_error *err)
{
        if (!fgets(a->join_buf, sizeof(a->join_buf), stdin))
                return perr_set(err, PERR_USAGE, "JOIN_COMMAND '-': nothing on stdin");
        a->join_buf[strcspn(a->join_buf, "\r\n")] = '\0';
        a->join_command = a->join_buf;
        return 0;
}

int wu_parse_args(int argc, char **argv, struct wu_args *a, struct pharos_error *err)
{
        static const struct option longopts[] = {
                {"container-runtime", required_argument, NULL, 'R'},
                {"label", required_argument, NULL, 'l'},
                {"taint", required_argument, NULL, 't'},
                {"insecure-registry", required_argument, NULL, 'I'},
                {"image-repository", required_argument, NULL, 'r'},
                {"env", required_argument, NULL, 'e'},
                {"address", required_argument, NULL, 'a'},
                {"control-plane-proxy", no_argument, NULL, 'P'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"master-wait", required_argument, NULL, 'W'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        memset(a, 0, sizeof(*a));
        a->runtime = PHAROS_DEFAULT_CONTAINER_RUNTIME;
        a->master_wait_ms = WU_MASTER_WAIT_MS;
        if (argc < 2 || strcmp(argv[1], "up") != 0) {
                if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                        a->help = 1;
                        return 0;
                }
                if (argc < 2)
                        return perr_set(err, PERR_USAGE, "missing subcommand (pharos worker up)");
                return perr_set(err, PERR_USAGE, "unknown subcommand '%s' (only: worker up)",
                                argv[1]);
        }
        /* getopt starts after "worker up" and may permute: options go anywhere. */
        argc--;
        argv++;
        optind = 0;
        opterr = 0;
        int c, rc = 0;
        while (rc == 0 && (c = getopt_long(argc, argv, "l:e:a:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'R':
                        a->runtime = optarg;
                        break;
                case 'l':
                        rc = check_kv(optarg, "--label", err);
                        if (rc == 0 && !kubelet_may_set(optarg))
                                rc = perr_set(err, PERR_USAGE,
                                              "--label %s: the kubelet may not set labels in the "
                                              "kubernetes.io or k8s.io namespaces",
                                              optarg);
                        if (rc == 0)
                                rc = add(a->labels, &a->n_labels, optarg, "labels", err);
                        break;
                case 't':
                        rc = check_taint(optarg, err);
                        if (rc == 0)
                                rc = add(a->taints, &a->n_taints, optarg, "taints", err);
                        break;
                case 'I':
                        rc = add(a->registries, &a->n_registries, optarg, "registries", err);
                        break;
                case 'r':
                        a->image_repository = optarg;
                        break;
                case 'e':
                        rc = check_kv(optarg, "--env", err);
                        if (rc == 0)
                                rc = add(a->env, &a->n_env, optarg, "variables", err);
                        break;
                case 'a':
                        a->address = optarg;
                        break;
                case 'P':
                        a->control_plane_proxy = 1;
                        break;
                case 'T':
                        a->trust_hosts = 1;
                        break;
                case 'W':
                        if (duration_parse_ms(optarg, &a->master_wait_ms) < 0)
                                rc = perr_set(
                                        err, PERR_USAGE,
                                        "--master-wait '%s' is not a duration (e.g. 2m, 30s, 0)",
                                        optarg);
                        break;
                case 'h':
                        a->help = 1;
                        return 0;
                default:
                        return perr_set(err, PERR_USAGE, "unknown or incomplete option '%s'",
                                        argv[optind - 1]);
                }
        }
        if (rc < 0)
                return rc;
        if (optind >= argc)
                return perr_set(err, PERR_USAGE, "missing JOIN_COMMAND and MASTER_ADDRESS");
        a->join_command = argv[optind++];
        /* "-": read from stdin, so the token stays out of the process list. */
        if (strcmp(a->join_command, "-") == 0 && read_join_command(a, err) < 0)
                return err->code;
        if (!strstr(a->join_command, "kubeadm join ") || !strstr(a->join_command, " --token ") ||
            !strstr(a->join_command, " --discovery-token-ca-cert-hash "))
                return perr_set(err, PERR_USAGE,
                                "JOIN_COMMAND must be the line `kubeadm token create "
                                "--print-join-command` prints (kubeadm join ENDPOINT --token ... "
                                "--discovery-token-ca-cert-hash ...)");
        struct ca_pins pins;
        if ((rc = ca_pins_parse(a->join_command, &pins, err)) < 0)
                return rc;
        while (optind < argc)
                if ((rc = add(a->masters, &a->n_masters, argv[optind++], "masters", err)) < 0)
                        return rc;
        if (!a->n_masters)
                return perr_set(err, PERR_USAGE, "missing MASTER_ADDRESS (at least one master)");
        return 0;
}
