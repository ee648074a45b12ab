#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hot add and remove: a medium attached while mediad runs appears; detached,
# it disappears with its record. Empty loop devices are not media.
. "$(dirname "$0")/lib.sh"

start_mediad
mkimg "$T/x.img" xfs XFSSTICK
mkimg "$T/s.img" squashfs ""
attach X "$T/x.img"
check "hot-added xfs appears" wait_link XFSSTICK
attach S "$T/s.img"
# squashfs has no label: the fallback is the kernel name
sname=$(basename "$S")
check "hot-added squashfs without label appears under its kernel name" wait_link "$sname"
check "squashfs is offered read-only" \
	sh -c "grep -q '^options=nosuid,nodev,ro' '$STATE/media/$sname'"
check "record is complete on first sight (fstype)" test "$(rec XFSSTICK fstype)" = xfs

detach "$X"
check "detached medium's link disappears" wait_no_link XFSSTICK
check "and its record too" test ! -e "$STATE/media/XFSSTICK"
detach "$S"
check "second detach withdraws the squashfs" wait_no_link "$sname"

# A detached loop device (size 0) is never a medium.
E=$(losetup -f)
check "an unattached loop device is not listed" \
	test ! -e "$STATE/ignored/$(basename "$E")"
check "daemon still runs" kill -0 "$MEDIAD_PID"
done_testing
