#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian 12's own amd64 kernel package and unpack it into a cache
# outside the git tree, keyed by package name and version; reuse it when there.
# Prints the cache directory (holding boot/vmlinuz-* and lib/modules/*) on stdout.
# Never writes into the source tree.
set -eu

CACHE=${E2E_CACHE:-/var/cache/mediad/e2e}

log() { echo "fetch-kernel: $*" >&2; }

# The newest kernel already in the cache, for when apt cannot help.
cached() {
	ls -d "$CACHE"/kernel/linux-image-*/.complete 2>/dev/null |
		sed 's|/\.complete$||' | sort -V | tail -n 1
}

# The package linux-image-amd64 depends on is Debian's current 6.1 ABI;
# fall back to the newest linux-image-6.1.0-N-amd64 apt knows about.
resolve() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' |
		head -n 1)
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
			awk '{print $1}' | sort -V | tail -n 1)
	fi
}
resolve
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	log "apt knows no 6.1 kernel: apt-get update"
	apt-get update -qq >&2 || true
	resolve
fi
if [ -z "$pkg" ]; then
	old=$(cached)
	[ -n "$old" ] || { log "no linux-image-6.1.0-*-amd64 known to apt and none cached"; exit 1; }
	log "apt knows no 6.1 kernel; using cached $old"
	echo "$old"
	exit 0
fi
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { log "$pkg has no candidate version"; exit 1; }

dir="$CACHE/kernel/${pkg}_${ver}"
if [ -f "$dir/.complete" ]; then
	log "cached: $dir"
	echo "$dir"
	exit 0
fi

mkdir -p "$CACHE/kernel"
tmp=$(mktemp -d "$CACHE/kernel/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
log "downloading $pkg $ver"
# apt-get download writes into the current directory; run it in the temp dir.
# _apt cannot write into a root-only mktemp dir, so download as root there.
if ! (cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
	old=$(cached)
	[ -n "$old" ] || { log "download of $pkg $ver failed, none cached"; exit 1; }
	log "download of $pkg $ver failed; using cached $old"
	echo "$old"
	exit 0
fi
deb=$(ls "$tmp"/*.deb)
log "unpacking $(basename "$deb")"
mkdir "$tmp/root"
dpkg-deb -x "$deb" "$tmp/root"
ls "$tmp"/root/boot/vmlinuz-* >/dev/null
rm -f "$deb"
touch "$tmp/root/.complete"
rm -rf "$dir"
mv "$tmp/root" "$dir"
echo "$dir"
