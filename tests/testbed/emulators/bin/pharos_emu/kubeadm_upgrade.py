"""kubeadm upgrade plan | apply VERSION | node (and node phase kubelet-config), as upstream's
cmd/kubeadm/app/cmd/upgrade and cmd/kubeadm/app/phases/upgrade do them for a stacked-etcd
cluster: the version policy of phases/upgrade/policy.go (EnforceVersionPolicies), the static
Pod manifests' images moved to the new version (etcd only when kubeadm pins a newer one),
kubeadm-config and kubelet-config updated, the node's kubelet configuration rewritten, the
CoreDNS and kube-proxy images by apply. Manifests keep their flags: a changed configuration
is `kubeadm init phase control-plane`'s business, as pharos uses it.
"""
import sys
import time

import yaml

from . import catalog, host, kubeclient, pkgdb
from . import kubeadm as K

# MaximumAllowedMinorVersionUpgradeSkew, ...DowngradeSkew, ...KubeletSkew (policy.go).
UPGRADE_SKEW, DOWNGRADE_SKEW, KUBELET_SKEW = 1, 1, 3
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
APPLY_FLAGS = dict(K.COMMON, **{"yes": "bool", "y": "bool", "force": "bool", "dry-run": "bool",
                                "config": "str", "kubeconfig": "str", "etcd-upgrade": "bool",
                                "certificate-renewal": "bool", "ignore-preflight-errors": "list",
                                "allow-experimental-upgrades": "bool", "allow-release-candidate-upgrades": "bool",
                                "print-config": "bool", "patches": "str"})
NODE_FLAGS = dict(K.COMMON, **{"dry-run": "bool", "kubeconfig": "str", "etcd-upgrade": "bool",
                               "certificate-renewal": "bool", "ignore-preflight-errors": "list", "patches": "str",
                               "config": "str", "skip-phases": "list"})


def semver(v):
    p = v.lstrip("v").split("-")[0].split(".")
    return int(p[0]), int(p[1]), int(p[2])


def client_for(flags):
    return kubeclient.Client.from_kubeconfig(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf")


def cluster_config(client):
    cm = client.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
    return yaml.safe_load((cm.get("data") or {}).get("ClusterConfiguration") or "") or {}


def kubelet_versions(client):
    out = {}
    for n in client.get("/api/v1/nodes").get("items") or []:
        v = ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")
        if v:
            out.setdefault(v, []).append(n["metadata"]["name"])
    return out


def enforce(new, cluster_v, kubeadm_v, kubelets, force):
    """EnforceVersionPolicies (phases/upgrade/policy.go) as apply's preflight phase reports it
    (cmd/phases/upgrade/apply/preflight.go, v1.37.2): mandatory errors always stop, skippable
    ones unless --force. Messages are upstream's, word for word."""
    nv, cv, kv = semver(new), semver(cluster_v), semver(kubeadm_v)
    mandatory, skippable = [], []
    if nv[1] > cv[1] + UPGRADE_SKEW:
        mandatory.append("Specified version to upgrade to \"%s\" is too high; kubeadm can upgrade only %d minor "
                         "version at a time" % (new, UPGRADE_SKEW))
    if nv[1] < cv[1] - DOWNGRADE_SKEW:
        mandatory.append("Specified version to downgrade to \"%s\" is too low; kubeadm can downgrade only %d minor "
                         "version at a time" % (new, DOWNGRADE_SKEW))
    if kv < nv:
        if nv[1] > kv[1]:
            mandatory.append("Specified version to upgrade to \"%s\" is at least one minor release higher than the "
                             "kubeadm minor release (%d > %d). Such an upgrade is not supported"
                             % (new, nv[1], kv[1]))
        else:
            skippable.append("Specified version to upgrade to \"%s\" is higher than the kubeadm version \"%s\". Upgrade "
                             "kubeadm first using the tool you used to install kubeadm" % (new, kubeadm_v))
    if kv[0] > nv[0] or kv[1] > nv[1]:
        skippable.append("Kubeadm version %s can only be used to upgrade to Kubernetes version %d.%d"
                         % (kubeadm_v, kv[0], kv[1]))
    old = sorted(v for v in kubelets if nv[1] > semver(v)[1] + KUBELET_SKEW)
    if old:
        skippable.append("There are kubelets in this cluster that are too old that have these versions [%s]"
                         % " ".join(old))
    if mandatory:
        raise K.KubeadmError("the version argument is invalid due to these fatal errors:\n\n"
                             + "".join("\t- %s\n" % m for m in mandatory)
                             + "\nPlease fix the misalignments highlighted above and try upgrading again",
                             "preflight")
    if skippable and not force:
        raise K.KubeadmError("the version argument is invalid due to these errors:\n\n"
                             + "".join("\t- %s\n" % m for m in skippable)
                             + "\nCan be bypassed if you pass the --force flag", "preflight")
    if skippable:
        K.say("[upgrade/preflight] Found %d potential version compatibility errors but skipping since the --force "
              "flag is set: \n\n%s" % (len(skippable), "".join("\t- %s\n" % m for m in skippable)))


def retag(image, tag):
    return image.rsplit(":", 1)[0] + ":" + tag


def upgrade_manifests(version, apiserver_addr, timeout=300):
    """Each component's manifest with the new image tag (the old one backed up), then the
    API server of this node awaited at the new version; True when something changed."""
    pins = catalog.KUBEADM_IMAGES.get("%d.%d" % K.minor(version)) or {}
    backup = "/etc/kubernetes/tmp/kubeadm-backup-manifests-%s" % time.strftime("%Y-%m-%d-%H-%M-%S")
    changed = False
    for name in ("etcd",) + COMPONENTS:
        path = K.MANIFESTS + "/%s.yaml" % name
        text = host.read(path)
        if text is None:
            continue
        pod = yaml.safe_load(text)
        ctr = pod["spec"]["containers"][0]
        have = ctr["image"].rsplit(":", 1)[-1]
        if name == "etcd":
            # kubeadm moves etcd only forward, to the version its constants pin
            want = pins.get("etcd") or have
            if tuple(int(x) for x in want.split("-")[0].split(".")) <= tuple(
                    int(x) for x in have.split("-")[0].split(".")):
                K.say("[upgrade/etcd] No upgrade needed: etcd is at %s" % have)
                continue
        else:
            want = version
        if have == want:
            K.say("[upgrade/staticpods] Current and new manifests of %s are equal, skipping upgrade" % name)
            continue
        host.write(backup + "/%s.yaml" % name, text, 0o600)
        K.say("[upgrade/staticpods] Moving new manifest to \"%s\" and backing up old manifest to \"%s/%s.yaml\""
              % (path, backup, name))
        ctr["image"] = retag(ctr["image"], want)
        host.write(path, yaml.safe_dump(pod, default_flow_style=False), 0o600)
        changed = True
    if changed:
        wait_version(apiserver_addr, version, timeout)
    return changed


def wait_version(addr, version, timeout):
    """Until this node's API server answers as the new version (the kubelet restarts it)."""
    ca = host.read(K.PKI + "/ca.crt")
    client = kubeclient.Client("https://%s" % addr, ca, timeout=3)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if (client.get("/version") or {}).get("gitVersion") == version:
                K.say("[upgrade/staticpods] Component \"kube-apiserver\" upgraded successfully!")
                return
        except kubeclient.APIError:
            pass
        time.sleep(0.3)
    raise K.KubeadmError("[upgrade/apply] FATAL: couldn't upgrade control plane. kubeadm has tried to recover "
                         "everything into the earlier state. Errors faced: timed out waiting for the condition")


def apiserver_endpoint():
    pod = yaml.safe_load(host.read(K.MANIFESTS + "/kube-apiserver.yaml") or "") or {}
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    return ann.get("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint")


def write_kubelet_config(client, dry_run=False):
    """The kubelet-config phase: the cluster's KubeletConfiguration into this node's file."""
    try:
        cm = client.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")
    except kubeclient.APIError as e:
        raise K.KubeadmError("failed to download the kubelet configuration from ConfigMap \"kubelet-config\": %s"
                             % e, "kubelet-config")
    text = (cm.get("data") or {}).get("kubelet") or ""
    old = host.read("/var/lib/kubelet/config.yaml")
    if dry_run:
        return False
    if old is not None:
        K.say("[upgrade] Backing up kubelet config file to /etc/kubernetes/tmp/kubeadm-kubelet-config/config.yaml")
        host.write("/etc/kubernetes/tmp/kubeadm-kubelet-config/config.yaml", old)
    K.say("[kubelet-start] Writing kubelet configuration to file \"/var/lib/kubelet/config.yaml\"")
    host.write("/var/lib/kubelet/config.yaml", text)
    return old != text


def confirm():
    sys.stdout.write("[upgrade] Are you sure you want to proceed? [y/N]: ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise K.KubeadmError("won't proceed; the user didn't answer (Y|y) in order to continue")


def cmd_plan(argv):
    flags, pos = K.parse_flags(argv, dict(K.COMMON, **{"config": "str", "kubeconfig": "str", "output": "str",
                                                       "allow-experimental-upgrades": "bool",
                                                       "allow-release-candidate-upgrades": "bool",
                                                       "ignore-preflight-errors": "list",
                                                       "print-config": "bool", "show-managed-fields": "bool"}))
    client = client_for(flags)
    cluster_v = client.get("/version")["gitVersion"]
    kubeadm_v = K.kubeadm_version()
    target = pos[0] if pos else kubeadm_v
    if not target.startswith("v"):
        target = "v" + target
    K.say("[preflight] Running pre-flight checks.")
    K.say("[upgrade/config] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace "
          "\"kube-system\"...")
    K.say("[upgrade] Running cluster health checks")
    K.say("[upgrade] Fetching available versions to upgrade to")
    K.say("[upgrade/versions] Cluster version: %s" % cluster_v)
    K.say("[upgrade/versions] kubeadm version: %s" % kubeadm_v)
    K.say("[upgrade/versions] WARNING: Couldn't fetch latest stable version from the internet: unable to get URL "
          "\"https://dl.k8s.io/release/stable.txt\"")
    K.say("[upgrade/versions] WARNING: Falling back to current kubeadm version as latest stable version")
    if semver(target) <= semver(cluster_v):
        K.say("\nAwesome, you're up-to-date! Enjoy!")
        return 0
    kubelets = kubelet_versions(client)
    K.say("\nComponents that must be upgraded manually after you have upgraded the control plane with "
          "'kubeadm upgrade apply':\nCOMPONENT   NODE      CURRENT   TARGET")
    for v, nodes in sorted(kubelets.items()):
        for n in sorted(nodes):
            K.say("kubelet     %-9s %-9s %s" % (n, v, target))
    K.say("\nUpgrade to the latest stable version:\n\nCOMPONENT                 NODE      CURRENT   TARGET")
    for c in COMPONENTS:
        K.say("%-25s %-9s %-9s %s" % (c, "", cluster_v, target))
    K.say("\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply %s\n"
          % target)
    return 0


def upgrade_checks(flags):
    """RunUpgradeChecks (preflight/checks.go, v1.37.2), run by apply and node: SystemVerification
    with isUpgrade, which validates the installed kubelet's next minor."""
    v = pkgdb.installed_version("kubelet")
    checks = []
    if v is not None:
        major, mi = K.minor("v" + v.split("-")[0])
        checks = K.system_verification("v%d.%d.0" % (major, mi + 1))
    K.preflight(checks, flags.get("ignore-preflight-errors") or [])


def cmd_apply(argv, journal):
    flags, pos = K.parse_flags(argv, APPLY_FLAGS)
    K.check_mix(flags)
    if len(pos) != 1:
        raise K.KubeadmError("[upgrade/version] FATAL: missing version argument" if not pos else
                             "unknown command \"%s\" for \"kubeadm upgrade apply\"" % pos[1])
    new = pos[0] if pos[0].startswith("v") else "v" + pos[0]
    try:
        semver(new)
    except (ValueError, IndexError):
        raise K.KubeadmError("[upgrade/version] FATAL: couldn't parse version \"%s\"" % pos[0])
    if not host.exists(K.MANIFESTS + "/kube-apiserver.yaml"):
        raise K.KubeadmError("[upgrade] FATAL: this node is not a control-plane node")
    client = client_for(flags)
    K.say("[upgrade] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"...")
    cluster = cluster_config(client)
    K.say("[upgrade] Running cluster health checks")
    cluster_v = client.get("/version")["gitVersion"]
    kubeadm_v = K.kubeadm_version()
    K.say("[upgrade/version] You have chosen to change the cluster version to \"%s\"" % new)
    K.say("[upgrade/versions] Cluster version: %s" % cluster_v)
    K.say("[upgrade/versions] kubeadm version: %s" % kubeadm_v)
    upgrade_checks(flags)
    enforce(new, cluster_v, kubeadm_v, kubelet_versions(client), flags.get("force"))
    if not (flags.get("yes") or flags.get("y") or flags.get("force")):
        confirm()
    if flags.get("dry-run"):
        K.say("[dryrun] Finished dryrunning successfully!")
        return 0
    K.say("[upgrade/apply] Upgrading your Static Pod-hosted control plane to version \"%s\" (timeout: 5m0s)..."
          % new)
    changed = upgrade_manifests(new, apiserver_endpoint() or "127.0.0.1:6443")
    cluster["kubernetesVersion"] = new
    K.upload_cluster_config(client, {"ClusterConfiguration": {"apiVersion": cluster.get("apiVersion")
                                                              or "kubeadm.k8s.io/v1beta4"}},
                            {k: v for k, v in cluster.items() if k not in ("apiVersion", "kind")})
    kc = client.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")
    changed = write_kubelet_config(client) or changed
    K.say("[upgrade/addons] Upgrading the CoreDNS and kube-proxy addons")
    server = "https://" + (cluster.get("controlPlaneEndpoint") or apiserver_endpoint() or "127.0.0.1:6443")
    K.upload_kubelet_config(client, yaml.safe_load((kc.get("data") or {}).get("kubelet") or "") or {})
    K.addons(client, cluster, set(), new, server)
    journal.changed = changed or cluster_v != new
    K.say("\n[upgrade/successful] SUCCESS! Your cluster was upgraded to \"%s\". Enjoy!\n\n[upgrade/kubelet] Now "
          "that your control plane is upgraded, please proceed with upgrading your kubelets if you haven't already "
          "done so." % new)
    return 0


def cmd_node(argv, journal):
    if argv[:2] == ["phase", "kubelet-config"]:
        flags, pos = K.parse_flags(argv[2:], dict(K.COMMON, **{"config": "str", "kubeconfig": "str",
                                                               "dry-run": "bool", "patches": "str"}))
        K.check_mix(flags)
        if flags.get("config"):
            K.load_config(flags["config"])
        if pos:
            raise K.KubeadmError('unknown command "%s" for "kubeadm upgrade node phase kubelet-config"' % pos[0])
        journal.changed = write_kubelet_config(node_client(flags), flags.get("dry-run"))
        K.say("[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!")
        return 0
    if argv[:1] == ["phase"]:
        raise K.KubeadmError("the emulator supports only the kubelet-config phase of 'kubeadm upgrade node'")
    flags, pos = K.parse_flags(argv, NODE_FLAGS)
    K.check_mix(flags)
    if pos:
        raise K.KubeadmError('unknown command "%s" for "kubeadm upgrade node"' % pos[0])
    client = node_client(flags)
    K.say("[upgrade] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"...")
    version = cluster_config(client).get("kubernetesVersion") or ""
    upgrade_checks(flags)
    changed = False
    if host.exists(K.MANIFESTS + "/kube-apiserver.yaml"):
        K.say("[upgrade/staticpods] Upgrading your Static Pod-hosted control plane instance to version \"%s\"..."
              % version)
        changed = upgrade_manifests(version, apiserver_endpoint() or "127.0.0.1:6443")
        K.say("[upgrade] The control plane instance for this node was successfully upgraded!")
    else:
        K.say("[upgrade] Skipping phase. Not a control plane node.")
    changed = write_kubelet_config(client, flags.get("dry-run")) or changed
    K.say("[upgrade] The configuration for this node was successfully upgraded!\n[upgrade] Now you should go ahead "
          "and upgrade the kubelet package using your package manager.")
    journal.changed = changed
    return 0


def node_client(flags):
    # Like kubeadm: the admin credentials on a control-plane node, the kubelet's elsewhere.
    path = flags.get("kubeconfig") or ("/etc/kubernetes/admin.conf" if host.exists("/etc/kubernetes/admin.conf")
                                       else "/etc/kubernetes/kubelet.conf")
    return kubeclient.Client.from_kubeconfig(path)


def main(argv, journal):
    sub = argv[0] if argv else ""
    if sub == "plan":
        return cmd_plan(argv[1:])
    if sub == "apply":
        return cmd_apply(argv[1:], journal)
    if sub == "node":
        return cmd_node(argv[1:], journal)
    raise K.KubeadmError("unknown command \"%s\" for \"kubeadm upgrade\"" % sub)
