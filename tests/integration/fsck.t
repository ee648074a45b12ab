#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mount.mediad runs e2fsck -p before a read-write mount of ext2/3/4, as
# automount would have (see README, "How mounting works"): on a clean
# filesystem it is a superblock read; on one marked as having errors it
# repairs what preen mode may, and the record says so; a medium mounted
# read-only is never checked nor written.
. "$(dirname "$0")/lib.sh"

write_conf "expire_timeout = 1"
mkimg "$T/e.img" ext4 HASERRORS
debugfs -w -R "ssv state 2" "$T/e.img" >/dev/null 2>&1
state_of() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Filesystem state: *//p'; }
check "the image is marked as having errors" \
	sh -c "state_of() { dumpe2fs -h \"\$1\" 2>/dev/null | sed -n 's/^Filesystem state: *//p'; }; state_of '$T/e.img' | grep -q 'with errors'"
cp "$T/e.img" "$T/r.img"
start_mediad
start_automount

attach E "$T/e.img"
check "published" wait_link HASERRORS
check "first access mounts it" ls "$MEDIA/list/HASERRORS/lost+found"
check "mount.mediad ran e2fsck -p first, and the record says it repaired" \
	wait_until 5 "$STATE/media" rec_has HASERRORS mount_note "e2fsck -p repaired errors"
check "expires" wait_until 20 "$STATE/media" rec_is HASERRORS mountpoint ""
check "and the filesystem is clean now (preen repaired it)" \
	test "$(state_of "$E")" = clean
detach "$E"
check "withdrawn" wait_no_link HASERRORS

sum_before=$(md5sum < "$T/r.img")
attach R "$T/r.img" ro
check "write-protected copy published" wait_link HASERRORS
# the same name again within automount's negative timeout: its cached
# answer for the first medium names that medium's device link, which is
# gone, so it fails; the fresh answer comes within a second or two
reachable() { ls "$MEDIA/list/HASERRORS/lost+found" >/dev/null 2>&1; }
check "mounts (after automount's cache of the first medium lapses)" \
	wait_until 5 "$STATE/media" reachable
check "read-only" test "$(findmnt -n -o OPTIONS --target "$MEDIA/list/HASERRORS/" | cut -d, -f1)" = ro
check "no check before a read-only mount, and nothing to note" rec_is HASERRORS mount_note ""
check "expires" wait_until 20 "$STATE/media" rec_is HASERRORS mountpoint ""
check "not one byte of it was written" test "$(md5sum < "$T/r.img")" = "$sum_before"
done_testing
