#!/bin/sh
# iptables, ip6tables and their -save/-restore in the kube-proxy and flannel
# images: the image has both of Debian's variants (nft and legacy) and must
# use the one the host's own rules are in, or the node would end up with two
# rule sets. The first call picks the variant and records it; every call then
# runs that variant's program of the same name.
set -eu
mode_file=/var/lib/iptables-wrapper/mode

# Lines of a variant's rules ("-A ..."); 1000 more when the kubelet's hint
# chains are there, which tells the variant the host uses for Kubernetes.
score() {
	n=0
	for save in "iptables-$1-save" "ip6tables-$1-save"; do
		out=$("/usr/sbin/$save" 2>/dev/null) || continue
		while IFS= read -r line; do
			case $line in
			:KUBE-IPTABLES-HINT* | :KUBE-KUBELET-CANARY*) n=$((n + 1000)) ;;
			-A*) n=$((n + 1)) ;;
			esac
		done <<-DONE
			$out
		DONE
	done
	echo "$n"
}

mode=""
if [ -r "$mode_file" ]; then
	read -r mode <"$mode_file" || true
fi
case $mode in
nft | legacy) ;;
*)
	mode=nft
	if [ "$(score legacy)" -gt "$(score nft)" ]; then
		mode=legacy
	fi
	echo "$mode" >"$mode_file"
	;;
esac

name=${0##*/}
base=${name%%-*}
exec "/usr/sbin/$base-$mode${name#"$base"}" "$@"
