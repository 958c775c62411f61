#!/usr/bin/env bash
# The addon plugins on a testbed cluster (1 master, 1 worker, kubeadm; the
# hosts prepared as in the kubeadm test): every addon enabled and its
# objects in the cluster (host-upgrades: a timer on each host), a second run
# that writes nothing, dependencies on disabled addons refused before any
# change, one option changed (only that addon's objects written), two
# addons disabled and another dropped from cluster.yml (their objects gone,
# the others untouched), every addon changed and then disabled, and
# `pharos reset` removing host-upgrades' timer.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
version=1.37.2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../kubeadm/prepare_by_hand.sh
. "$here/../kubeadm/prepare_by_hand.sh"
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$here/../../lib/admin_pem.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
for p in kubeadm addon-ingress-nginx addon-cert-manager addon-metrics-server addon-kured \
        addon-helm addon-host-upgrades; do
        cp "$PLUGINS/$p.so" "$dir/plugins/"
done
"$TESTBED" start --hosts 2 --masters 1 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
prepare_by_hand "$dir" 2 "${version%.*}"
cp "$dir/cluster.yml" "$dir/hosts.yml"

# write_cfg EDIT: cluster.yml = the testbed's hosts + every addon, then the python EDIT on `a`.
write_cfg() {
        python3 - "$dir/hosts.yml" "$dir/cluster.yml" "$version" "$1" <<'PY'
import sys, yaml
src, dst, version, edit = sys.argv[1:]
doc = yaml.safe_load(open(src))
doc["kubernetes"] = {"version": version}
a = doc["addons"] = {
    "ingress-nginx": {"enabled": True, "kind": "Deployment", "deployment": {"replicas": 1},
                      "configmap": {"use-forwarded-headers": "true"},
                      "node_selector": {"kubernetes.io/hostname": "host-2"},
                      "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
                      "default_backend": {"image": "registry.k8s.io/defaultbackend-amd64:1.5"},
                      "extra_args": ["--enable-ssl-passthrough"], "admission_webhook": {"enabled": True}},
    "cert-manager": {"enabled": True, "ca_issuer": {"enabled": True},
                     "issuers": [{"name": "letsencrypt", "spec": {"acme": {
                         "server": "https://acme-v02.api.letsencrypt.org/directory",
                         "email": "ops@example.com", "privateKeySecretRef": {"name": "letsencrypt"},
                         "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]}}}]},
    "metrics-server": {"enabled": True},
    "kured": {"enabled": True, "reboot_days": ["sa", "su"], "start_time": "2am", "end_time": "5am"},
    "helm": {"enabled": True, "charts": [{"name": "podinfo", "repo": "https://stefanprodan.github.io/podinfo",
                                          "version": "6.7.1", "namespace": "web",
                                          "values": {"replicaCount": 2, "ui": {"message": "hi"}},
                                          "set": {"service.type": "ClusterIP"}}]},
    "host-upgrades": {"enabled": True, "schedule": "30 4 * * 1-5", "schedule_window": "1h30m",
                      "reboot": True, "drain": True},
}
exec(edit)
yaml.safe_dump(doc, open(dst, "w"))
PY
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" "$@"; }

write_cfg "pass"
up --output json
expect_rc 0 "first up with every addon"
[[ $rc -eq 0 ]] || { echo "$out" | tail -20; echo "$err" | tail -20; finish; exit 1; }
for s in ingress-nginx cert-manager metrics-server kured helm host-upgrades; do
        expect_contains "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "addon-$s." \
                "$s changed something"
done
# Ordering: ingress-nginx (webhook certificate from cert-manager) after
# cert-manager, host-upgrades (drain through kured) after kured.
expect_eq "$(jq -r 'select(.phase == "addons" and .step != null) | .step' <<<"$out" | head -n 1)" \
        "addon-cert-manager.apply" "cert-manager first"
order=$(jq -r 'select(.phase == "addons" and .step != null) | .step' <<<"$out" | uniq)
expect_eq "$(grep -n 'addon-kured.apply' <<<"$order" | cut -d: -f1)" "$(($(grep -n 'addon-host-upgrades.host' <<<"$order" | head -n 1 | cut -d: -f1) - 1))" \
        "host-upgrades right after kured"

on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
exists() { curl -sk -o /dev/null -w '%{http_code}' --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
# gone PATH: 404 once the object is gone. A deleted CRD goes only when the API
# server's finalizer (customresourcecleanup) has removed its objects: a
# request right after the DELETE may still find it.
gone() {
        local code
        for _ in $(seq 60); do
                code=$(exists "$1")
                [[ $code == 404 ]] && break
                sleep 0.5
        done
        echo "$code"
}

# ingress-nginx
d=$(api /apis/apps/v1/namespaces/ingress-nginx/deployments/ingress-nginx-controller)
expect_eq "$(jq -r .spec.replicas <<<"$d")" "1" "ingress replicas"
expect_eq "$(jq -cS .spec.template.spec.nodeSelector <<<"$d")" '{"kubernetes.io/hostname":"host-2","kubernetes.io/os":"linux"}' \
        "ingress node selector"
expect_eq "$(jq -c '.spec.template.spec.tolerations' <<<"$d")" '[{"effect":"NoSchedule","key":"dedicated","operator":"Exists"}]' \
        "ingress tolerations"
# shellcheck disable=SC2016 # $(POD_NAMESPACE) is for the kubelet to expand
expect_contains "$(jq -c '.spec.template.spec.containers[0].args' <<<"$d")" \
        '"--default-backend-service=$(POD_NAMESPACE)/default-http-backend","--validating-webhook=:8443",' "ingress args"
expect_contains "$(jq -c '.spec.template.spec.containers[0].args' <<<"$d")" '"--enable-ssl-passthrough"]' "ingress extra args last"
expect_eq "$(api /api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller | jq -c .data)" \
        '{"use-forwarded-headers":"true"}' "ingress configmap"
expect_eq "$(exists /apis/networking.k8s.io/v1/ingressclasses/nginx)" "200" "IngressClass nginx"
expect_eq "$(api /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/ingress-nginx-admission |
        jq -r '.metadata.annotations."cert-manager.io/inject-ca-from"')" "ingress-nginx/ingress-nginx-admission" \
        "ingress admission webhook"
expect_eq "$(api /apis/cert-manager.io/v1/namespaces/ingress-nginx/certificates/ingress-nginx-admission | jq -r .spec.secretName)" \
        "ingress-nginx-admission" "webhook certificate from cert-manager"
expect_eq "$(api /apis/apps/v1/namespaces/ingress-nginx/deployments/default-http-backend | jq -r '.spec.template.spec.containers[0].image')" \
        "registry.k8s.io/defaultbackend-amd64:1.5" "default backend image"
# cert-manager, its issuers and the CA issuer
expect_eq "$(api /apis/apiextensions.k8s.io/v1/customresourcedefinitions | jq -r '[.items[].metadata.name | select(endswith("cert-manager.io"))] | sort | join(" ")')" \
        "certificaterequests.cert-manager.io certificates.cert-manager.io challenges.acme.cert-manager.io clusterissuers.cert-manager.io issuers.cert-manager.io orders.acme.cert-manager.io" \
        "cert-manager CRDs"
expect_eq "$(api /apis/apps/v1/namespaces/cert-manager/deployments | jq -r '[.items[].metadata.name] | sort | join(" ")')" \
        "cert-manager cert-manager-cainjector cert-manager-webhook" "cert-manager deployments"
expect_eq "$(api /apis/cert-manager.io/v1/clusterissuers | jq -r '[.items[].metadata.name] | sort | join(" ")')" \
        "letsencrypt pharos-ca pharos-selfsigned" "cluster issuers"
expect_eq "$(api /apis/cert-manager.io/v1/clusterissuers/letsencrypt | jq -r .spec.acme.email)" "ops@example.com" "issuer spec"
expect_eq "$(api /apis/cert-manager.io/v1/namespaces/cert-manager/certificates/pharos-ca | jq -r '.spec.isCA')" "true" "CA certificate"
# metrics-server
expect_eq "$(api /apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io | jq -r .spec.service.name)" \
        "metrics-server" "metrics APIService"
expect_contains "$(api /apis/apps/v1/namespaces/kube-system/deployments/metrics-server | jq -c '.spec.template.spec.containers[0].args')" \
        '"--kubelet-insecure-tls"' "metrics-server args"
# kured
expect_contains "$(api /apis/apps/v1/namespaces/kube-system/daemonsets/kured | jq -c '.spec.template.spec.containers[0].args')" \
        '"--start-time=2am","--end-time=5am","--reboot-days=sa,su"' "kured args"
# helm
hc=$(api /apis/helm.cattle.io/v1/namespaces/kube-system/helmcharts/podinfo)
expect_eq "$(jq -c '[.spec.chart, .spec.repo, .spec.version, .spec.targetNamespace, .spec.set]' <<<"$hc")" \
        '["podinfo","https://stefanprodan.github.io/podinfo","6.7.1","web",{"service.type":"ClusterIP"}]' "HelmChart spec"
expect_eq "$(jq -r .spec.valuesContent <<<"$hc" | python3 -c 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin), sort_keys=True))')" \
        '{"replicaCount": 2, "ui": {"message": "hi"}}' "HelmChart values"
expect_eq "$(exists /apis/apps/v1/namespaces/kube-system/deployments/helm-controller)" "200" "helm-controller"
# host-upgrades: a timer on every host
for i in 1 2; do
        expect_contains "$(on "$i" cat /etc/systemd/system/pharos-host-upgrades.timer)" \
                $'OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 04:30:00\nRandomizedDelaySec=5400s' "host-$i timer"
        run on "$i" /usr/local/lib/pharos-testbed/bin/systemctl is-active pharos-host-upgrades.timer
        expect_eq "$out" "active" "host-$i timer active"
        expect_eq "$(on "$i" cat /etc/pharos/host-upgrades.env)" $'REBOOT=true\nDRAIN=true' "host-$i settings"
done

# What a run writes: objects of the stacks that no controller updates, and the inventories.
snapshot() {
        local q='labelSelector=pharos.kontena.io%2Fstack'
        {
                for p in /api/v1/configmaps /api/v1/serviceaccounts /api/v1/services \
                        /apis/rbac.authorization.k8s.io/v1/clusterroles \
                        /apis/rbac.authorization.k8s.io/v1/rolebindings \
                        /apis/networking.k8s.io/v1/ingressclasses /apis/cert-manager.io/v1/clusterissuers \
                        /apis/helm.cattle.io/v1/helmcharts /apis/cert-manager.io/v1/certificates \
                        /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations \
                        /apis/apiregistration.k8s.io/v1/apiservices; do
                        api "$p?$q" | jq -r '.items[] | "\(.kind) \(.metadata.namespace) \(.metadata.name) \(.metadata.resourceVersion)"'
                done
                api /api/v1/namespaces/kube-system/configmaps |
                        jq -r '.items[] | select(.metadata.name | startswith("pharos-stack-")) | "\(.metadata.name) \(.metadata.resourceVersion)"'
        } | sort
}
journal_changes() {
        local total=0 c
        for i in 1 2; do
                c=$(on "$i" cat /var/log/pharos-testbed/journal.jsonl | jq -s '[.[] | select(.changed)] | length')
                total=$((total + c))
        done
        echo "$total"
}

before=$(snapshot)
journal=$(journal_changes)
up --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up: no changes"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "" "second up: no step changed"
expect_eq "$(snapshot)" "$before" "second up: no object written"
expect_eq "$(journal_changes)" "$journal" "second up: no mutating command on a host"

# A dependency on an addon that is not enabled: refused while validating.
write_cfg 'a["kured"]["enabled"] = False'
up
expect_rc 2 "host-upgrades draining without kured"
expect_contains "$err" "addons.host-upgrades.drain" "the key is named"
expect_contains "$err" "addons.kured" "the missing addon is named"
expect_eq "$(exists /apis/apps/v1/namespaces/kube-system/daemonsets/kured)" "200" "nothing removed"

write_cfg 'a["cert-manager"]["enabled"] = False'
up
expect_rc 2 "ingress webhook without cert-manager"
expect_contains "$err" "addons.ingress-nginx.admission_webhook" "the webhook key is named"
expect_contains "$err" "addons.cert-manager" "cert-manager is named"
expect_eq "$(exists /apis/apps/v1/namespaces/cert-manager/deployments/cert-manager)" "200" "cert-manager kept"

# One option changed: only that addon's objects are written.
write_cfg 'a["ingress-nginx"]["configmap"]["proxy-body-size"] = "8m"'
before=$(snapshot)
up --output json
expect_rc 0 "ingress configmap changed"
expect_eq "$(jq -r 'select(.status == "changed") | "\(.step): \(.detail)"' <<<"$out")" \
        "addon-ingress-nginx.apply: stack ingress-nginx: 0 created, 1 updated, 0 pruned" "only the ConfigMap written"
expect_eq "$(api /api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller | jq -cS .data)" \
        '{"proxy-body-size":"8m","use-forwarded-headers":"true"}' "new configmap"
expect_eq "$(snapshot | grep -v ingress-nginx-controller | grep -v '^ConfigMap ingress-nginx ')" \
        "$(grep -v ingress-nginx-controller <<<"$before" | grep -v '^ConfigMap ingress-nginx ')" "nothing else written"

# Every other addon changed at once: each one's step reports its own change
# and nothing else is written (ingress-nginx keeps its new ConfigMap).
changed_all='a["ingress-nginx"]["configmap"]["proxy-body-size"] = "8m"; a["cert-manager"]["issuers"][0]["spec"]["acme"]["email"] = "sre@example.com"; a["metrics-server"]["replicas"] = 2; a["kured"]["reboot_days"] = ["su"]; a["helm"]["charts"][0]["version"] = "6.7.2"; a["host-upgrades"]["schedule"] = "0 5 * * *"'
write_cfg "$changed_all"
up --output json
expect_rc 0 "every addon changed"
changed=$(jq -r 'select(.status == "changed") | .step' <<<"$out" | sort | uniq -c | awk '{ print $2 " x" $1 }')
expect_eq "$changed" $'addon-cert-manager.apply x1\naddon-helm.apply x1\naddon-host-upgrades.host x2\naddon-kured.apply x1\naddon-metrics-server.apply x1' \
        "each changed addon's step, nothing else"
expect_eq "$(api /apis/cert-manager.io/v1/clusterissuers/letsencrypt | jq -r .spec.acme.email)" "sre@example.com" "issuer changed"
expect_eq "$(api /apis/apps/v1/namespaces/kube-system/deployments/metrics-server | jq -r .spec.replicas)" "2" \
        "metrics-server replicas changed"
expect_contains "$(api /apis/apps/v1/namespaces/kube-system/daemonsets/kured | jq -c '.spec.template.spec.containers[0].args')" \
        '"--reboot-days=su"' "kured reboot days changed"
expect_eq "$(api /apis/helm.cattle.io/v1/namespaces/kube-system/helmcharts/podinfo | jq -r .spec.version)" "6.7.2" \
        "chart version changed"
for i in 1 2; do
        expect_contains "$(on "$i" cat /etc/systemd/system/pharos-host-upgrades.timer)" \
                'OnCalendar=*-*-* 05:00:00' "host-$i timer changed"
done
expect_eq "$(api /api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller | jq -cS .data)" \
        '{"proxy-body-size":"8m","use-forwarded-headers":"true"}' "ingress untouched"

# metrics-server and helm disabled, host-upgrades dropped from cluster.yml:
# their objects gone (helm's charts before its controller), the rest untouched.
write_cfg "$changed_all"'; a["metrics-server"]["enabled"] = False; a["helm"]["enabled"] = False; del a["host-upgrades"]'
before=$(snapshot)
up --output json
expect_rc 0 "metrics-server and helm disabled, host-upgrades removed"
changed=$(jq -r 'select(.status == "changed") | "\(.host) \(.step): \(.detail)"' <<<"$out" | sort)
expect_contains "$changed" "addon-metrics-server.apply: stack metrics-server: 0 created, 0 updated, 9 pruned" \
        "metrics-server stack pruned"
expect_contains "$changed" "addon-helm.apply: stack helm-controller: 0 created, 0 updated, 5 pruned" \
        "helm-controller pruned last"
expect_eq "$(grep -c 'addon-host-upgrades.host' <<<"$changed")" "2" "timer removed on both hosts"
expect_eq "$(grep -vc 'addon-host-upgrades.host\|addon-metrics-server.apply\|addon-helm.apply' <<<"$changed")" "0" \
        "nothing else changed"
expect_eq "$(exists /apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io)" "404" "APIService gone"
expect_eq "$(exists /apis/apps/v1/namespaces/kube-system/deployments/metrics-server)" "404" "metrics-server gone"
expect_eq "$(exists /api/v1/namespaces/kube-system/configmaps/pharos-stack-metrics-server)" "404" "inventory gone"
expect_eq "$(exists /apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmcharts.helm.cattle.io)" "404" \
        "HelmChart CRD gone"
expect_eq "$(exists /api/v1/namespaces/kube-system/configmaps/pharos-stack-helm-charts)" "404" "charts inventory gone"
for i in 1 2; do
        run on "$i" test -e /etc/systemd/system/pharos-host-upgrades.timer -o -e /usr/local/libexec/pharos-host-upgrades
        expect_rc 1 "host-$i timer and program removed"
        run on "$i" /usr/local/lib/pharos-testbed/bin/systemctl is-active pharos-host-upgrades.timer
        expect_eq "$out" "inactive" "host-$i timer stopped"
done
expect_eq "$(snapshot | grep -v 'metrics\|helm\|HelmChart')" "$(grep -v 'metrics\|helm\|HelmChart' <<<"$before")" \
        "the other addons untouched"

# Disabled and gone stay so without a write.
before=$(snapshot)
journal=$(journal_changes)
up --output json
expect_rc 0 "up after removal"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "" "no step changed after removal"
expect_eq "$(snapshot)" "$before" "no object written after removal"
expect_eq "$(journal_changes)" "$journal" "no mutating command after removal"

# The other three disabled too: every addon object gone.
off='; a["metrics-server"]["enabled"] = False; a["helm"]["enabled"] = False; a["ingress-nginx"]["enabled"] = False; a["cert-manager"]["enabled"] = False; a["kured"]["enabled"] = False'
write_cfg "$changed_all$off"'; del a["host-upgrades"]'
up --output json
expect_rc 0 "every addon disabled"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out" | sort | tr '\n' ' ')" \
        "addon-cert-manager.apply addon-ingress-nginx.apply addon-kured.apply " "only the three disabled addons changed"
expect_eq "$(exists /apis/apps/v1/namespaces/ingress-nginx/deployments/ingress-nginx-controller)" "404" "ingress gone"
expect_eq "$(exists /apis/apps/v1/namespaces/cert-manager/deployments/cert-manager)" "404" "cert-manager gone"
expect_eq "$(gone /apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io)" "404" \
        "cert-manager CRDs gone"
expect_eq "$(exists /apis/apps/v1/namespaces/kube-system/daemonsets/kured)" "404" "kured gone"
expect_eq "$(api /api/v1/namespaces/kube-system/configmaps | jq -r '[.items[].metadata.name | select(startswith("pharos-stack-"))] | map(select(test("ingress|cert-manager|kured|metrics|helm"))) | length')" \
        "0" "no addon inventory left"

# host-upgrades leaves a timer on the hosts: `pharos reset` takes it away
# with everything else.
write_cfg "$changed_all$off"'; a["host-upgrades"]["drain"] = False'
up
expect_rc 0 "host-upgrades back"
expect_eq "$(on 2 cat /etc/pharos/host-upgrades.env)" $'REBOOT=true\nDRAIN=false' "host-2 timer back"
run "$PHAROS" --plugin-path "$dir/plugins" reset -c "$dir/cluster.yml" -y
expect_rc 0 "full reset"
expect_contains "$out" "addon-host-upgrades.reset" "the addon's reset step ran"
for i in 1 2; do
        run on "$i" test -e /etc/systemd/system/pharos-host-upgrades.timer -o -e /etc/pharos/host-upgrades.env
        expect_rc 1 "host-$i: no timer after reset"
done
finish
