#!/bin/sh
# Fetch Debian 12's own amd64 kernel package and unpack it into a cache
# outside the git tree, keyed by package name and version; reuse it when there.
# Prints the cache directory (holding boot/vmlinuz-* and lib/modules/*) on stdout.
# Never writes into the source tree.
set -eu

CACHE=${E2E_CACHE:-/var/cache/mediad/e2e}

log() { echo "fetch-kernel: $*" >&2; }

# The package linux-image-amd64 depends on is Debian's current 6.1 ABI;
# fall back to the newest linux-image-6.1.0-N-amd64 apt knows about.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
		awk '{print $1}' | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || { log "no linux-image-6.1.0-*-amd64 known to apt (apt-get update?)"; exit 1; }
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
(cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$pkg=$ver" >&2)
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
