#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Media present before mediad starts are published during start-up, with
# records that say what they are; a clean stop withdraws everything.
. "$(dirname "$0")/lib.sh"

mkimg "$T/a.img" ext4 KEYCHAIN
mkimg "$T/b.img" btrfs "My Disk"
attach A "$T/a.img"
attach B "$T/b.img"
[ "$SOURCE" = udev ] && udevadm settle -t 10

start_mediad
check "coldplug publishes the ext4 stick" has_link KEYCHAIN
check "coldplug publishes the btrfs disk (label with a space)" has_link "My Disk"
check "link points into the autofs directory" \
	test "$(readlink "$MEDIA/list/KEYCHAIN")" = "../auto/KEYCHAIN"
check "record names the device" test "$(rec KEYCHAIN devname)" = "$A"
majmin=$(printf '%d:%d' "0x$(stat -c %t "$A")" "0x$(stat -c %T "$A")")
check "record has the device number" test "$(rec KEYCHAIN devnum)" = "$majmin"
check "record has fstype ext4" test "$(rec KEYCHAIN fstype)" = ext4
check "record has fstype btrfs" test "$(rec "My Disk" fstype)" = btrfs
check "record has the label" test "$(rec "My Disk" label)" = "My Disk"
check "record has the UUID blkid sees" \
	test "$(rec KEYCHAIN uuid)" = "$(blkid -o value -s UUID "$T/a.img")"
check "record has the size" test "$(rec KEYCHAIN size)" = $((16 * 1024 * 1024))
dseq=$(cat "/sys/class/block/$(basename "$A")/diskseq" 2>/dev/null || echo 0)
check "record has the diskseq" test "$(rec KEYCHAIN diskseq)" = "$dseq"
check "record has mount options with nosuid,nodev" \
	sh -c "grep -q '^options=nosuid,nodev' '$STATE/media/KEYCHAIN'"
check "no temp files left behind" \
	test -z "$(find "$STATE" "$MEDIA/list" -name '.tmp-*')"
check "state directory is not writable by others" \
	test "$(stat -c %a "$STATE/media")" = 755

stop_mediad TERM
check "clean stop withdraws the links" test -z "$(ls "$MEDIA/list")"
check "clean stop withdraws the records" test -z "$(ls "$STATE/media")"
check "clean stop withdraws ignored records" test -z "$(ls "$STATE/ignored")"
done_testing
