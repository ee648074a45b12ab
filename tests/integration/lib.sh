# SPDX-License-Identifier: GPL-2.0-or-later
# Shared harness for the host integration tests (TAP, run by prove).
# Each test re-executes itself in a private mount namespace, makes its own
# images with mkfs and its own loop devices, and removes all of them on
# exit, however it exits. It never touches a device it did not create.
#
# MEDIAD_TEST_SOURCE=udev|kernel selects mediad's event source; the runner
# (tests/integration/run) starts udevd for the udev pass when none runs.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
SOURCE=${MEDIAD_TEST_SOURCE:-kernel}

if [ -z "${MEDIAD_IN_NS:-}" ]; then
	MEDIAD_IN_NS=1 exec unshare -m --propagation private "$(readlink -f "$0")" "$@"
fi
# mount(8) runs /sbin/mount.mediad: in this namespace it is this build's,
# whatever another tree's test run linked there meanwhile
if [ -e /sbin/mount.mediad ] && [ -x "$BUILD/mount.mediad" ] &&
	[ "$(readlink -f /sbin/mount.mediad)" != "$(readlink -f "$BUILD/mount.mediad")" ]; then
	mount --bind "$BUILD/mount.mediad" /sbin/mount.mediad 2>/dev/null || true
fi

T=$(mktemp -d /tmp/mediad-test.XXXXXX)
STATE=$T/state
MEDIA=$T/media
CONF=$T/mediad.conf
LOG=$T/mediad.log
LOOPS=""
MEDIAD_PID=""
AUTOMOUNT_PID=""
N=0
FAILED=0

# state_dir and media_dir in the file, not only on the command line:
# auto.media finds the state directory through this file (MEDIAD_CONFIG)
# (written aside and renamed: a running mediad watches the file, and a
# reload of half of it would drop include_loop and withdraw our media)
write_conf() {
	printf 'state_dir = %s\nmedia_dir = %s\ninclude_loop = %s\nlog_level = debug\n' \
		"$STATE" "$MEDIA" "$T" > "$CONF.new"
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$CONF.new"
	mv -f "$CONF.new" "$CONF"
}
write_conf

EXTRA_PIDS=""   # helpers a test started (servers, holders): killed at exit
cleanup() {
	for p in $EXTRA_PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "$MEDIAD_PID" ] && kill -9 "$MEDIAD_PID" 2>/dev/null
	[ -n "$AUTOMOUNT_PID" ] && kill -TERM "$AUTOMOUNT_PID" 2>/dev/null &&
		wait "$AUTOMOUNT_PID" 2>/dev/null
	# mounts first (they pin the loop devices), deepest first
	grep -o " $T/[^ ]*" /proc/self/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	for l in $LOOPS; do is_ours "$l" && losetup -d "$l" 2>/dev/null; done
	# on stderr, so that prove shows it without -v
	if [ "$FAILED" -ne 0 ] && [ -f "$LOG" ]; then
		echo "# --- mediad log ($SOURCE) ---"
		sed 's/^/# /' "$LOG" | tail -60
		if [ -f "$T/automount.log" ]; then
			echo "# --- automount log ---"
			sed 's/^/# /' "$T/automount.log" | tail -150
		fi
	fi >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { N=$((N + 1)); echo "ok $N - $*"; }
# a failure is also told on stderr, which prove shows without -v
not_ok() {
	N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"
	echo "not ok $N - $* (${0##*/})" >&2
}
# check DESCRIPTION COMMAND...: one TAP line from a command's status
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
done_testing() { echo "1..$N"; [ "$FAILED" -eq 0 ]; }
diag() { echo "# $*"; }

# mkimg FILE FSTYPE LABEL [SIZE_MB]: a fresh filesystem image
mkimg() {
	f=$1 type=$2 label=$3 size=${4:-}
	case $type in
	btrfs) size=${size:-120} ;;
	xfs) size=${size:-300} ;;
	*) size=${size:-16} ;;
	esac
	rm -f "$f"
	case $type in
	squashfs)
		mkdir -p "$T/sqroot" && echo "squash content" > "$T/sqroot/hello.txt"
		mksquashfs "$T/sqroot" "$f" -quiet -noappend >/dev/null ;;
	*)
		truncate -s "${size}M" "$f"
		case $type in
		ext2|ext3|ext4) mkfs."$type" -q -F -L "$label" "$f" ;;
		btrfs) mkfs.btrfs -q -f -L "$label" "$f" >/dev/null ;;
		xfs) mkfs.xfs -q -f -L "$label" "$f" ;;
		swap) chmod 600 "$f"; mkswap -L "$label" "$f" >/dev/null 2>&1 ;;
		blank) ;;
		esac ;;
	esac
}

# attach VAR IMG [ro]: a new loop device (its name in $VAR), removed at
# exit. Not $(attach): a subshell could not record it for the cleanup.
attach() {
	if [ "${3:-}" = ro ]; then
		l=$(losetup -f --show -r "$2")
	else
		l=$(losetup -f --show "$2")
	fi
	LOOPS="$LOOPS $l"
	eval "$1=\$l"
}
# is_ours DEV: DEV's backing file is one of our images. Tests in other
# trees run at the same time: a device number we freed may be theirs by
# now, and detaching it would pull their stick (and make their test fail
# for no fault of mediad's).
# OWN_IMAGES: images a test made outside $T (ignored.t). A backing file
# removed while attached reads "PATH (deleted)".
OWN_IMAGES=""
is_ours() {
	b=$(cat "/sys/block/${1#/dev/}/loop/backing_file" 2>/dev/null)
	b=${b% (deleted)}
	case $b in
	"$T"/*) return 0 ;;
	esac
	for i in $OWN_IMAGES; do
		[ "$b" = "$i" ] && return 0
	done
	return 1
}
# detach DEV: and forget it, so the cleanup never detaches a device number
# someone else may have taken since
detach() { is_ours "$1" && losetup -d "$1"; LOOPS=$(echo " $LOOPS " | sed "s| $1 | |"); }
# reattach DEV IMG: the same loop device again. With udevd running the
# detach completes only when udevd's workers close the device, so the
# attach is retried while the device is busy (5 s at most). Recorded for
# the cleanup only once it is ours.
reattach() {
	[ "$SOURCE" = udev ] && udevadm settle -t 5 2>/dev/null
	end=$(( $(date +%s) + 5 ))
	until losetup "$1" "$2" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			losetup "$1" "$2" || return 1
			break
		fi
		udevadm settle -t 1 2>/dev/null || true
	done
	LOOPS="$LOOPS $1"
}

# wait_until SECONDS DIR COMMAND...: runs COMMAND until it succeeds,
# waking on inotify events in DIR (never a fixed sleep).
wait_until() {
	secs=$1 dir=$2; shift 2
	end=$(( $(date +%s) + secs ))
	while ! "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		inotifywait -qq -t 1 -e create -e delete -e moved_to -e moved_from \
			-e close_write -e attrib "$dir" >/dev/null 2>&1
	done
	return 0
}
has_link() { [ -L "$MEDIA/list/$1" ]; }
no_link() { [ ! -e "$MEDIA/list/$1" ] && [ ! -L "$MEDIA/list/$1" ]; }
wait_link() { wait_until "${2:-10}" "$MEDIA/list" has_link "$1"; }
wait_no_link() { wait_until "${2:-10}" "$MEDIA/list" no_link "$1"; }
has_ignored() { [ -f "$STATE/ignored/$1" ]; }
wait_ignored() { wait_until "${2:-10}" "$STATE/ignored" has_ignored "$1"; }

# field FILE KEY: one value of a record
field() { sed -n "s/^$2=//p" "$1"; }
rec() { field "$STATE/media/$1" "$2"; }

# start_mediad [ARGS...]: foreground daemon on our config; returns once it
# has published what was present at start (its "coldplug:" log line).
start_mediad() {
	mkdir -p "$STATE" "$MEDIA"
	: > "$LOG"
	"$BUILD/mediad" --foreground --config "$CONF" --state-dir "$STATE" \
		--media-dir "$MEDIA" --source "$SOURCE" "$@" 2>>"$LOG" &
	MEDIAD_PID=$!
	wait_until 10 "$T" grep -q "coldplug:" "$LOG"
}
stop_mediad() { # SIGNAL (default TERM); waits for the exit
	[ -n "$MEDIAD_PID" ] || return 0
	kill "-${1:-TERM}" "$MEDIAD_PID" 2>/dev/null
	wait "$MEDIAD_PID" 2>/dev/null
	MEDIAD_PID=""
}
# names of our media: list entries whose record names one of our loops
our_names() {
	for f in "$STATE"/media/*; do
		[ -f "$f" ] || continue
		d=$(field "$f" devname)
		case " $LOOPS " in *" $d "*) basename "$f" ;; esac
	done | sort
}

# start_automount: Debian's automount on the master line mediad prints for
# our config, in its own session (autofs never mounts for its own process
# group), -C so that it runs beside any other automount. Returns once the
# autofs directory is mounted.
is_autofs() { grep -q " $MEDIA/auto autofs " /proc/self/mounts; }
# automount_ready N: automount has said it is ready more than N times (a
# restarted automount re-connects to the old autofs mount, which answers
# every lookup with ENOENT, catatonic, until then)
automount_ready() {
	[ "$(grep -c "st_ready(): state = 0 path $MEDIA/auto\$" "$T/automount.log" 2>/dev/null)" -gt "$1" ]
}
start_automount() {
	mkdir -p "$MEDIA/auto"
	"$BUILD/mediad" -c "$CONF" --autofs-entry="$BUILD/auto.media" > "$T/auto.master"
	ready=$(grep -c "st_ready(): state = 0 path $MEDIA/auto\$" "$T/automount.log" 2>/dev/null)
	MEDIAD_CONFIG=$CONF setsid /usr/sbin/automount -f -C -d "$T/auto.master" \
		>> "$T/automount.log" 2>&1 &
	AUTOMOUNT_PID=$!
	wait_until 10 "$MEDIA" is_autofs
	n=0
	while ! automount_ready "${ready:-0}" && [ $n -lt 200 ]; do
		sleep 0.05; n=$((n + 1))
	done
}
stop_automount() { # SIGNAL (default TERM)
	[ -n "$AUTOMOUNT_PID" ] || return 0
	kill "-${1:-TERM}" "$AUTOMOUNT_PID" 2>/dev/null
	wait "$AUTOMOUNT_PID" 2>/dev/null
	AUTOMOUNT_PID=""
}
# mount_of DIR: the mountinfo line of what is mounted exactly on DIR
mount_of() { awk -v d="$1" '$5 == d' /proc/self/mountinfo | tail -1; }
is_mounted() { [ -n "$(mount_of "$1")" ]; }
not_mounted() { [ -z "$(mount_of "$1")" ]; }
# rec_is NAME KEY VALUE: the record's KEY has VALUE (for wait_until)
rec_is() { [ "$(rec "$1" "$2" 2>/dev/null)" = "$3" ]; }
rec_has() { rec "$1" "$2" 2>/dev/null | grep -qF -- "$3"; }

# contract_checks WHAT DEV...: the hostile-media contract over what mediad
# made of our devices DEV...: names, links (all inside <media_dir>/auto)
# and options by the contract, a reason for each one not offered
# (hostile_check.py); medialist's table free of terminal controls and its
# JSON valid and complete; auto.media answering each name with the link of
# its own device; the daemon alive.
contract_checks() {
	what=$1; shift
	check "$what: names, links, options and reasons by the contract" \
		sh -c "python3 '$TOP/tests/integration/hostile_check.py' '$STATE' '$MEDIA' $* >&2"
	"$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" -a > "$T/cc.table"
	check "$what: medialist table without control bytes" \
		python3 -c 'import sys; t = open(sys.argv[1], "rb").read()
sys.exit(any(c < 0x20 and c != 10 or c == 0x7f for c in t))' "$T/cc.table"
	"$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" -a -J > "$T/cc.json"
	check "$what: medialist --json valid, each device once" \
		python3 -c 'import json, sys
l = json.load(open(sys.argv[1])); d = [m["devname"] for m in l]
sys.exit(any(d.count(x) != 1 for x in sys.argv[2:]))' "$T/cc.json" "$@"
	bad=""
	for f in "$STATE"/media/*; do
		[ -f "$f" ] || continue
		case " $* " in *" $(field "$f" devname) "*) ;; *) continue ;; esac
		nm=$(basename "$f")
		out=$(MEDIAD_CONFIG=$CONF "$BUILD/auto.media" "$nm" 2>/dev/null)
		link=${out##* :}
		[ "$out" = "-fstype=mediad.$(field "$f" mounttype),$(field "$f" options) :$link" ] &&
			[ "$(readlink "$link")" = "$(field "$f" devname)" ] || bad="$bad $nm"
	done
	check "$what: auto.media answers each name with its own device${bad:+ (not:$bad)}" \
		test -z "$bad"
	check "$what: mediad alive" kill -0 "$MEDIAD_PID"
}
