#!/bin/sh
# Keeps the package repositories of the Kubernetes packages on a host:
# PHAROS_REPO_COUNT repositories, each PHAROS_REPO_<i>_FILE with the text
# PHAROS_REPO_<i>_CONTENTS, signed by the key at PHAROS_REPO_<i>_KEY_URL.
# apt (PHAROS_PKG=apt): the key is fetched with curl and dearmored with gpg
# into PHAROS_REPO_<i>_KEY_FILE, as the kubeadm install docs do, then
# `apt-get update`. dnf: the key is imported with `rpm --import` (a repo file's
# gpgkey= needs nothing). The files in PHAROS_REPO_REMOVE (one per line) are
# removed: a host's own repositories replace the default one.
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}
pkg=${PHAROS_PKG:?}
count=${PHAROS_REPO_COUNT:?}
remove=${PHAROS_REPO_REMOVE-}

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

# The value of variable PHAROS_REPO_<i>_<field> (i and field are ours, not the config's).
repo_var() {
        eval "printf '%s' \"\${PHAROS_REPO_$1_$2-}\""
}

changed=0
i=0
while [ "$i" -lt "$count" ]; do
        file=$(repo_var "$i" FILE)
        contents=$(repo_var "$i" CONTENTS)
        key_url=$(repo_var "$i" KEY_URL)
        key_file=$(repo_var "$i" KEY_FILE)
        i=$((i + 1))
        if [ "$(cat "$file" 2>/dev/null || true)" = "$contents" ] &&
                { [ -z "$key_file" ] || [ -s "$key_file" ]; }; then
                continue
        fi
        need "repository $file" || continue
        if [ -n "$key_url" ] && [ "$pkg" = apt ]; then
                # Through a file rather than a pipe: sh has no pipefail to catch curl failing.
                key_dir=$(dirname "$key_file")
                [ -d "$key_dir" ] || mkdir -m 755 "$key_dir"
                curl -fsSL "$key_url" -o "$key_file.download"
                gpg --batch --yes --dearmor -o "$key_file.new" "$key_file.download"
                rm -f "$key_file.download"
                chmod 644 "$key_file.new"
                mv -f "$key_file.new" "$key_file"
        elif [ -n "$key_url" ]; then
                rpm --import "$key_url"
        fi
        mkdir -p "$(dirname "$file")"
        printf '%s\n' "$contents" >"$file"
        changed=1
done

for f in $remove; do
        if [ -e "$f" ] && need "remove $f"; then
                rm -f "$f"
                changed=1
        fi
done

if [ "$changed" = 1 ] && [ "$pkg" = apt ]; then
        apt-get update -q >&2
fi
