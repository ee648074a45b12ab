#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Storms and crashes. (1) STORM_CYCLES detach/attach cycles (default 200,
# as `make check-quick` runs it; `make check` and `make stress` run 2,000)
# over three sticks, with auto.media and medialist lookups running all the
# while, and a fourth mounted read-write and written (the dirty poll and
# mediad's own flushes), mediad under valgrind memcheck: no invalid
# access, no leak, no growth of its open file descriptors, and the final
# state equals the loop devices really attached. (2) kill -9 of mediad, then of automount,
# in the middle of a storm, and restart: no stale entry, no duplicate, the
# name of a stick plugged in throughout kept, its mount untouched.
. "$(dirname "$0")/lib.sh"

CYCLES=${STORM_CYCLES:-200}
export MEDIAD_CONFIG="$CONF"
ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
nfds() { ls "/proc/$MEDIAD_PID/fd" | wc -l; }
# fds: what each descriptor is (for the diagnostics)
fds() { ls -l "/proc/$MEDIAD_PID/fd" | awk 'NR > 1 {print $9, $11}'; }
# settled N: no more than N descriptors open. A probe child's pipe or a
# client's socket may be open at the moment of counting: those close
# within a second or two; a leak stays.
settled() { [ "$(nfds)" -le "$1" ]; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$MEDIAD_PID/status"; }
# start_vg: start_mediad under valgrind (slower to reach coldplug)
start_vg() {
	mkdir -p "$STATE" "$MEDIA"
	: > "$LOG"
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$T/vg.log" "$BUILD/mediad" --foreground --config "$CONF" \
		--state-dir "$STATE" --media-dir "$MEDIA" --source "$SOURCE" 2>>"$LOG" &
	MEDIAD_PID=$!
	wait_until 60 "$T" grep -q "coldplug:" "$LOG"
}
# storm N: N cycles, each detaching one of A B C in turn and attaching its
# image again on a new loop device (losetup -f: a freed device number may
# be taken at once by someone else's test, so it is never reused). A
# device is detached only while it still holds our image: tests in other
# trees run at the same time, and detaching a number one of them took
# since would pull their stick and leave ours attached twice. The devices
# in use at the end are written to $T/devs, for a storm run in the
# background (a subshell).
storm() {
	for k in $(seq 1 "$1"); do
		case $((k % 3)) in
		0) v=A i=a ;; 1) v=B i=b ;; *) v=C i=c ;;
		esac
		eval "old=\$$v"
		if [ "$(cat "/sys/block/${old#/dev/}/loop/backing_file" 2>/dev/null)" = "$T/$i.img" ]; then
			losetup -d "$old" 2>/dev/null
		else
			echo "cycle $k: $old no longer holds $i.img; not detached" >&2
		fi
		new=$(losetup -f --show "$T/$i.img") || { echo "attach of $i failed" >&2; break; }
		LOOPS=$(echo " $LOOPS " | sed "s| $old | $new |")
		eval "$v=\$new"
		echo "$k" >> "$T/progress"
	done
	echo "A=$A B=$B C=$C LOOPS='$LOOPS'" > "$T/devs"
	[ "$k" = "$1" ] && [ -n "$new" ]
}
# lookups until $T/stop exists
lookups() {
	while [ ! -e "$T/stop" ]; do
		"$BUILD/auto.media" STA >/dev/null 2>&1
		"$BUILD/auto.media" STAY >/dev/null 2>&1
		ML -J -a >/dev/null 2>&1
	done
}
# true_state DEV=NAME...: each of our attached loop devices is published
# exactly once, under NAME or NAME_N, and nothing else of ours is
true_state() {
	python3 - "$STATE" "$@" <<'PY'
import os, sys
state, want = sys.argv[1], dict(a.split('=') for a in sys.argv[2:])  # dev=name
seen = {}
for fn in os.listdir(os.path.join(state, 'media')):
    if fn.startswith('.'):
        continue
    rec = dict(l.split('=', 1) for l in open(os.path.join(state, 'media', fn)).read().splitlines())
    if rec['devname'] in want:
        seen.setdefault(rec['devname'], []).append(fn)
import re
# a stick re-attached before its old device's removal is processed may
# rightly get NAME_2 (both existed for a moment); the name is then kept
ok = all(len(seen.get(d, [])) == 1 and re.fullmatch(re.escape(n) + r'(_[0-9]+)?', seen[d][0])
         for d, n in want.items()) and len(seen) == len(want)
if not ok:
    print('# state:', seen, 'want:', want)
sys.exit(0 if ok else 1)
PY
}
# no_stale: every link in <media_dir>/list and <state_dir>/dev belongs to a
# record, every record has both links, and each of our devices has one
# record: nothing left behind by a crash, nothing twice
no_stale() {
	python3 - "$STATE" "$MEDIA" $LOOPS <<'PY'
import os, sys
state, media, ours = sys.argv[1], sys.argv[2], set(sys.argv[3:])
recs = {}
for fn in os.listdir(os.path.join(state, 'media')):
    if not fn.startswith('.'):
        recs[fn] = dict(l.split('=', 1) for l in
                        open(os.path.join(state, 'media', fn)).read().splitlines())
links = {f for f in os.listdir(os.path.join(media, 'list')) if not f.startswith('.')}
devlinks = {f: os.readlink(os.path.join(state, 'dev', f))
            for f in os.listdir(os.path.join(state, 'dev')) if not f.startswith('.')}
bad = []
if links != set(recs):
    bad.append('list links %s != records %s' % (sorted(links), sorted(recs)))
if sorted(devlinks.values()) != sorted(r['devname'] for r in recs.values()):
    bad.append('dev links %s != records %s' % (devlinks, {n: r['devname'] for n, r in recs.items()}))
# include_loop: the only loop devices offered are those of our images
mine = sorted(r['devname'] for r in recs.values() if r['devname'].startswith('/dev/loop'))
if mine != sorted(ours):
    bad.append('our devices %s, loop devices published %s' % (sorted(ours), mine))
for b in bad:
    print('#', b)
sys.exit(1 if bad else 0)
PY
}
# name_of DEV: the name of the record for DEV
name_of() { grep -lx "devname=$1" "$STATE"/media/* 2>/dev/null | head -1 | xargs -r basename; }

for i in a b c; do mkimg "$T/$i.img" ext4 "ST$(echo $i | tr abc ABC)"; done
mkimg "$T/stay.img" ext4 STAY
attach A "$T/a.img"; attach B "$T/b.img"; attach C "$T/c.img"; attach S "$T/stay.img"

# ---- (1) valgrind storm --------------------------------------------------
# STAY stays mounted read-write and is written before and after the storm,
# so that the dirty poll and mediad's own flushes (a child each) run under
# valgrind too; debugfs (this namespace's own) gives per-device counters,
# which other writers on the machine do not disturb
DBG=$T/debug
mkdir -p "$DBG"
mount -t debugfs none "$DBG" 2>/dev/null && write_conf "debugfs_dir = $DBG"
start_vg
check "under valgrind: the four sticks published" \
	wait_until 60 "$STATE/media" true_state "$A=STA" "$B=STB" "$C=STC" "$S=STAY"
start_automount
(cd "$MEDIA/list/STAY/" && exec sleep 900) & HOLDV=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLDV"
check "STAY mounted read-write through the list" \
	wait_until 20 "$STATE/media" rec_is STAY mountpoint "$MEDIA/auto/STAY"
flushes() { grep -c "STAY ($S): flushed" "$LOG"; }
dd if=/dev/urandom of="$MEDIA/list/STAY/before" bs=1M count=4 2>/dev/null
fd0=$(nfds); rss0=$(rss); fds > "$T/fds0"
lookups & LOOKUPS=$!
t0=$(date +%s)
storm "$CYCLES" 2>"$T/storm.err"; st=$?
[ $st -eq 0 ] || sed 's/^/# /' "$T/storm.err"
rm -f "$T/stop"; touch "$T/stop"; wait "$LOOKUPS"; rm -f "$T/stop"
t1=$(date +%s)
check "$CYCLES detach/attach cycles done (in $((t1 - t0)) s)" test $st -eq 0
check "after the storm the state equals the devices attached" \
	wait_until 120 "$STATE/media" true_state "$A=STA" "$B=STB" "$C=STC" "$S=STAY"
check "no stale record or link after the storm either" wait_until 30 "$STATE/media" no_stale
check "names of the stick plugged in throughout kept" test "$(rec STAY devname)" = "$S"
n=$(flushes)
dd if=/dev/urandom of="$MEDIA/list/STAY/after" bs=1M count=4 2>/dev/null
flushed_again() { [ "$(flushes)" -gt "$n" ] && rec_is STAY safe 1; }
check "STAY written before and after: mediad flushed it ($n, then more) and says safe" \
	wait_until 30 "$STATE/media" flushed_again
wait_until 10 "$T" settled "$fd0"
fd1=$(nfds); rss1=$(rss); fds > "$T/fds1"
[ "$fd1" -le "$fd0" ] || diff "$T/fds0" "$T/fds1" | sed 's/^/# /'
diag "VmRSS (valgrind's, shadow memory included) before and after: $rss0 kB, $rss1 kB"
check "open descriptors before and after the storm: $fd0 and $fd1" test "$fd1" -le "$fd0"
diag "events handled: $(grep -c 'event ' "$LOG") log lines with an event"
kill -TERM "$MEDIAD_PID"; wait "$MEDIAD_PID"; vst=$?; MEDIAD_PID=""
check "valgrind: clean exit, no error, no leak (status $vst)" test $vst -eq 0
# (valgrind's notes on ioctls it has no wrapper for are not errors)
grep -v -e 'unhandled ioctl' -e 'spurious value errors' -e 'README_MISSING_SYSCALL' \
	"$T/vg.log" > "$T/vg.errors"
check "valgrind: nothing else in its log" test ! -s "$T/vg.errors"
sed 's/^/# /' "$T/vg.errors" | head -40

# ---- (2) kill -9 of mediad, then of automount, in a storm ----------------
# (automount from (1) still serves, STAY still mounted)
start_mediad
check "restarted: all published" \
	wait_until 20 "$STATE/media" true_state "$A=STA" "$B=STB" "$C=STC" "$S=STAY"
ls "$MEDIA/list/STAY/" >/dev/null
echo kept > "$MEDIA/list/STAY/file"
(cd "$MEDIA/auto/STAY" && exec sleep 600) & HOLD=$!
mnt0=$(mount_of "$MEDIA/auto/STAY" | cut -d' ' -f1)
check "STAY is mounted and held open" test -n "$mnt0"
: > "$T/progress"
storm 300 2>"$T/storm.err" & STORM=$!
progressed() { [ "$(wc -l < "$T/progress")" -ge "$1" ]; }
wait_until 30 "$T" progressed 60  # well inside the storm
stop_mediad KILL
start_mediad
wait_until 30 "$T" progressed 150
stop_automount KILL
start_automount
wait "$STORM"; st=$?
. "$T/devs"
check "storm around the crashes finished" test $st -eq 0
check "after the crashes the state equals the devices attached" \
	wait_until 30 "$STATE/media" true_state "$A=STA" "$B=STB" "$C=STC" "$S=STAY"
check "no stale record or link, none twice: our four, each with its links" \
	wait_until 30 "$STATE/media" no_stale
[ -s "$T/storm.err" ] && sed 's/^/# /' "$T/storm.err"
check "the held mount of STAY is untouched (same mount id)" \
	test "$(mount_of "$MEDIA/auto/STAY" | cut -d' ' -f1)" = "$mnt0"
check "and its file is readable" grep -qx kept "$MEDIA/auto/STAY/file"
kill "$HOLD"; wait "$HOLD" 2>/dev/null
nb=$(name_of "$B")
check "after the restarts another stick ($nb) mounts on demand" \
	sh -c "ls '$MEDIA/list/$nb/' >/dev/null && grep -q ' $MEDIA/auto/$nb ' /proc/self/mounts"
check "mediad alive" kill -0 "$MEDIAD_PID"
done_testing
