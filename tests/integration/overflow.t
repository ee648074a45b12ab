#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Lost events: with a tiny netlink receive buffer the kernel drops uevents
# (ENOBUFS); mediad re-enumerates and ends with the true state.
. "$(dirname "$0")/lib.sh"

mkimg "$T/a.img" ext4 STORM
start_mediad --rcvbuf 1
# make the daemon slow to read: stop it while the storm runs
kill -STOP "$MEDIAD_PID"
attach A "$T/a.img"
# udevd (udev pass) may still hold the device open when we reattach: the
# detach then completes a moment later and the attach must be retried
reattach_fast() {
	for try in $(seq 1 200); do
		losetup "$A" "$T/a.img" 2>/dev/null && { LOOPS="$LOOPS $A"; return 0; }
	done
	return 1
}
for i in $(seq 1 40); do
	detach "$A"; reattach_fast
done
mkimg "$T/b.img" ext4 LAST
attach B "$T/b.img"
kill -CONT "$MEDIAD_PID"
check "after the storm STORM is published" wait_link STORM 20
check "and LAST" wait_link LAST 20
check "the daemon saw the overflow and re-enumerated" \
	grep -q "overflowed: re-enumerating" "$LOG"
check "exactly our two media" test "$(our_names | tr '\n' ' ')" = "LAST STORM "
check "STORM record is for the right device" test "$(rec STORM devname)" = "$A"
done_testing
