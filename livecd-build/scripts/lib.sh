# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: helpers shared by the livecd-build stage scripts (sourced, never run).
# Every mount made through chroot_mount() is undone by the EXIT/INT/TERM trap
# that lib_init() installs, whatever way the script ends.

set -eu

: "${LIVECD_CACHE:=/var/cache/mediad-livecd}"
: "${SUITE:=bookworm}"

log() { printf '[livecd] %s\n' "$*" >&2; }
die() { printf '[livecd] error: %s\n' "$*" >&2; exit 1; }

# mirror: MIRROR= wins, else the first Debian URI of the host's apt sources.
host_mirror() {
	if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1)
	[ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list 2>/dev/null |
		awk '{print $2}' | grep '/debian/\?$' | head -n1)
	[ -n "$m" ] || m=http://deb.debian.org/debian
	echo "${m%/}"
}

MOUNTS=""
cleanup_mounts() {
	rc=$?
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	MOUNTS=""
	return $rc
}

lib_init() {
	trap 'cleanup_mounts' EXIT
	trap 'log "interrupted"; exit 130' INT TERM HUP
}

mnt() { # mnt TARGET mount-args...; remembered for the trap, innermost first
	t=$1; shift
	mkdir -p "$t"
	mount "$@" "$t"
	MOUNTS="$t $MOUNTS"
}

# Leftover mounts of an earlier killed run (kill -9 skips traps): unmount them
# before touching the tree, so nothing of the host is copied or deleted.
unmount_below() {
	d=$(readlink -f "$1")
	awk -v d="$d" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts |
		sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}

# chroot_mount ROOT: a private /dev (tmpfs with a few nodes, not the host's),
# proc, sys and devpts for maintainer scripts.
chroot_mount() {
	r=$1
	unmount_below "$r"
	mnt "$r/proc" -t proc proc
	mnt "$r/sys" -t sysfs -o ro sysfs
	mnt "$r/dev" -t tmpfs -o mode=0755,size=1m tmpfs
	mknod -m 666 "$r/dev/null" c 1 3
	mknod -m 666 "$r/dev/zero" c 1 5
	mknod -m 666 "$r/dev/full" c 1 7
	mknod -m 666 "$r/dev/random" c 1 8
	mknod -m 666 "$r/dev/urandom" c 1 9
	mknod -m 666 "$r/dev/tty" c 5 0
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s pts/ptmx "$r/dev/ptmx"
	mnt "$r/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts
	mnt "$r/run" -t tmpfs -o mode=0755 tmpfs
	mnt "$r/tmp" -t tmpfs -o mode=1777 tmpfs
}

in_chroot() {
	LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root chroot "$ROOT" "$@"
}
