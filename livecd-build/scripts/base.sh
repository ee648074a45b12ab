#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# base.sh OUT: debootstrap Debian (minbase) once into the cache, then reuse it.
# The cached tarball is keyed by suite and variant; downloaded .debs are kept
# in the cache too, so even a new key downloads little. Never writes in git.
. "$(dirname "$0")/lib.sh"
lib_init
out=$1
mirror=$(host_mirror)
key="$SUITE-minbase-amd64"
tarball="$LIVECD_CACHE/base-$key.tar"
mkdir -p "$LIVECD_CACHE/debs"

if [ ! -s "$tarball" ]; then
	log "debootstrap $SUITE minbase from $mirror (cold cache)"
	tmp="$LIVECD_CACHE/base-$key.tmp"
	unmount_below "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
	debootstrap --variant=minbase --arch=amd64 --cache-dir="$LIVECD_CACHE/debs" \
		"$SUITE" "$tmp" "$mirror"
	# debootstrap left its own apt lists and caches; they go stale, drop them.
	rm -rf "$tmp/var/lib/apt/lists/"* "$tmp/var/cache/apt/"*.bin
	tar -C "$tmp" --numeric-owner --xattrs --acls -cf "$tarball.part" .
	mv "$tarball.part" "$tarball"
	rm -rf "$tmp"
else
	log "base from cache: $tarball"
fi
ln -sf "$tarball" "$out"
