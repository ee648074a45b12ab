#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Probe isolation: a medium whose probe hangs (a loop device on a FUSE file
# whose reads block) never delays another medium; after probe_timeout it
# is listed with the reason, probed once more later, and no probing
# process is left behind. On the udev source udevd probes (its worker has
# its own timeout), so this is a kernel-source test.
. "$(dirname "$0")/lib.sh"

if [ "$SOURCE" != kernel ]; then
	echo "ok 1 # skip udevd probes on the udev source"; echo "1..1"; exit 0
fi
cc -O2 -Wall -o "$T/hangfs" "$(dirname "$(readlink -f "$0")")/hangfs.c" \
	$(pkg-config --cflags --libs fuse3) || { echo "Bail out! cannot build hangfs"; exit 1; }
write_conf "probe_timeout = 2"
mkimg "$T/slow.img" ext4 SLOWSTICK
mkdir -p "$T/fuse"
touch "$T/hang"
"$T/hangfs" "$T/slow.img" "$T/hang" "$T/fuse" &
HANGFS=$!
EXTRA_PIDS="$EXTRA_PIDS $HANGFS"
fused() { [ -e "$T/fuse/disk.img" ]; }
wait_until 10 "$T" fused
start_mediad
attach H "$T/fuse/disk.img"
mkimg "$T/fast.img" ext4 FASTSTICK
attach F "$T/fast.img"
check "a stick plugged while another's probe hangs appears at once" wait_link FASTSTICK 3
check "the hanging medium is listed after probe_timeout, with the reason" \
	wait_until 10 "$STATE/ignored" grep -qs '^reason=probe timed out' "$STATE/ignored/$(basename "$H")"
check "the daemon logged that it killed the probe" grep -q "probe of .* still running after .*: killed" "$LOG"
# Eight more hanging media fill every probe slot; their probes are killed
# at probe_timeout but stay in uninterruptible sleep (the loop device's
# reads wait on FUSE). Killed probes no longer hold a slot: a stick
# plugged behind them is probed and published all the same.
HUNG=""
for i in 1 2 3 4 5 6 7 8; do
	attach X "$T/fuse/disk.img"
	HUNG="$HUNG $X"
done
mkimg "$T/late.img" ext4 LATESTICK
attach L "$T/late.img"
check "a stick plugged behind eight hanging probes is published" wait_link LATESTICK 10
rm -f "$T/hang"   # the medium recovers
check "the retry probes it again and publishes it" wait_link SLOWSTICK 15
children() { ps -o pid= --ppid "$MEDIAD_PID" | wc -l; }
none_left() { [ "$(children)" -eq 0 ]; }
check "no probing process is left behind" wait_until 10 "$T" none_left
check "the daemon is alive" kill -0 "$MEDIAD_PID"
# what happened, with mediad's timestamps (seconds since boot)
grep -wE "probe|$(basename "$H")|$(basename "$F")|SLOWSTICK|FASTSTICK" "$LOG" |
	grep -v 'debug: hook' | sed 's/^/# /'
stop_mediad
for x in $H $HUNG; do detach "$x"; done
kill "$HANGFS"; wait "$HANGFS" 2>/dev/null
done_testing
