#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# change events: relabelling a filesystem, making a new one, and attaching
# another image to the same loop device all update what is published.
. "$(dirname "$0")/lib.sh"

start_mediad
mkimg "$T/a.img" ext4 BEFORE
attach A "$T/a.img"
check "medium appears under its label" wait_link BEFORE

e2label "$A" AFTER
check "relabel with e2label publishes the new name" wait_link AFTER
check "and withdraws the old one" wait_no_link BEFORE

tune2fs -L TUNED "$A" >/dev/null
check "relabel with tune2fs is seen too" wait_link TUNED

# the same loop device, another image: a different medium
mkimg "$T/b.img" btrfs OTHERIMG
detach "$A"
check "detach withdraws it" wait_no_link TUNED
reattach "$A" "$T/b.img"
check "another image on the same loop device appears" wait_link OTHERIMG
check "with its own filesystem type" test "$(rec OTHERIMG fstype)" = btrfs

# a new filesystem made over a published one
# with udevd, wait until its workers let go of the device: mkfs opens it
# exclusively and fails while a worker still probes it
[ "$SOURCE" = udev ] && udevadm settle -t 10
mkfs.ext4 -q -F -L REMADE "$A" 2>/dev/null ||
	{ udevadm settle -t 10 2>/dev/null; mkfs.ext4 -q -F -L REMADE "$A"; }
check "mkfs over a published medium republishes it" wait_link REMADE
check "old name gone after mkfs" wait_no_link OTHERIMG
check "new record has the new type" test "$(rec REMADE fstype)" = ext4

# wiping the filesystem away leaves an ignored device with a reason
wipefs -q -a "$A"
check "wiped medium is withdrawn" wait_no_link REMADE
check "and listed as ignored" wait_ignored "$(basename "$A")"
check "with a reason" \
	grep -q '^reason=no filesystem found' "$STATE/ignored/$(basename "$A")"
done_testing
