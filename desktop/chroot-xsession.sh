#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# chroot-xsession.sh TREE STREAM OUT.png (`make -C livecd-build xsession`):
# the desktop session of a built desktop tree (/etc/mediad-desktop/xsession
# as the live user: jwm, mediad-notify, xterm, xfe) in a chroot against
# Xvfb on the host, its indicator fed a recorded `medialist watch --json`
# STREAM (no mediad runs in a chroot), and a screenshot once the file
# manager and the card are up. The chroot is an overlay: the tree itself
# is never written. Root; needs Xvfb on the host.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=livecd-build/scripts/lib.sh
. "$here/../livecd-build/scripts/lib.sh"
tree=$(readlink -f "$1") stream=$2 png=$3
[ -x "$tree/etc/mediad-desktop/xsession" ] || die "$tree: not a desktop tree (make FLAVOUR=desktop tree)"
command -v Xvfb > /dev/null || die "no Xvfb on the host (apt-get install xvfb)"
w=$(mktemp -d /tmp/mediad-xsession.XXXXXX)
ROOT=$w/root
XVFB=""
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
	DISPLAY="$DISPLAY" "$@"; }
finish() {
	frc=$?
	# what runs in the chroot is the session's: ours to end
	t=$(date +%s)
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	[ -z "$XVFB" ] || kill "$XVFB" 2>/dev/null || true
	sleep 0.5
	log "xsession: ended in $(($(date +%s) - t)) s"
	cleanup_mounts
	log "xsession: unmounted in $(($(date +%s) - t)) s"
	[ $frc -eq 0 ] || cat "$w/xvfb.log" "$w/session.log" 2>/dev/null | sed 's/^/[xsession] /' >&2
	rm -rf "$w"
	exit $frc
}
trap finish EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

mkdir -p "$w/upper" "$w/work" "$w/fb" "$(dirname "$png")"
mnt "$ROOT" -t overlay overlay -o "lowerdir=$tree,upperdir=$w/upper,workdir=$w/work"
# lib.sh's chroot_mount would unmount the overlay itself first: the same
# mounts here (a private /dev with a few nodes, never the host's)
mnt "$ROOT/proc" -t proc proc
mnt "$ROOT/sys" -t sysfs -o ro sysfs
mnt "$ROOT/dev" -t tmpfs -o mode=0755,size=1m tmpfs
for n in null:1:3 zero:1:5 random:1:8 urandom:1:9 tty:5:0; do
	mknod -m 666 "$ROOT/dev/${n%%:*}" c "$(echo "$n" | cut -d: -f2)" "${n##*:}"
done
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mnt "$ROOT/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts
mnt "$ROOT/run" -t tmpfs -o mode=0755 tmpfs
mnt "$ROOT/tmp" -t tmpfs -o mode=1777 tmpfs
mkdir -p "$ROOT/media/list"
cp "$stream" "$ROOT/tmp/stream.jsonl"
chmod 644 "$ROOT/tmp/stream.jsonl"

# Xvfb picks a free display and says which (-displayfd); its socket is
# shown to the chroot (the abstract one is reached anyway)
Xvfb -displayfd 5 -screen 0 1024x768x24 -fbdir "$w/fb" -nolisten tcp 5> "$w/display" \
	2> "$w/xvfb.log" &
XVFB=$!
i=0
while [ ! -s "$w/display" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || die "Xvfb did not start: $(cat "$w/xvfb.log")"
	sleep 0.1
done
DISPLAY=":$(cat "$w/display")"
mnt "$ROOT/tmp/.X11-unix" --bind /tmp/.X11-unix
log "xsession: Xvfb on $DISPLAY, the session of $tree as the live user (on an overlay)"

t0=$(date +%s.%N)
setsid chroot "$ROOT" /usr/bin/env -i HOME=/home/live USER=live LOGNAME=live \
	PATH=/usr/local/bin:/usr/bin:/bin DISPLAY="$DISPLAY" \
	MEDIAD_NOTIFY_ARGS="--no-open -i /tmp/stream.jsonl" \
	setpriv --reuid=live --regid=live --init-groups sh /etc/mediad-desktop/xsession \
	> "$w/session.log" 2>&1 < /dev/null &
up() { in_root xdotool search --name '^Xfe - /media/list$' > /dev/null 2>&1 &&
	in_root xdotool search --classname mediad-notify getwindowname 2>/dev/null | grep -q KEYCHAIN &&
	in_root xdotool search --classname '^xterm$' > /dev/null 2>&1; }
end=$(($(date +%s) + 60))
until up; do
	[ "$(date +%s)" -lt "$end" ] || die "no file manager, card and terminal after 60 s; windows: $(in_root \
		xdotool search --name . getwindowname %@ 2>&1 | paste -sd'|')"
	sleep 0.2
done
log "xsession: file manager, terminal and card up after $(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s; the card says: $(in_root xdotool search --classname mediad-notify getwindowname | head -n1)"
sleep 1
python3 "$here/topng.py" "$w/fb/Xvfb_screen0" "$png"
log "xsession: screenshot $png"
