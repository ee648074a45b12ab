#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# On-demand mounts through Debian's automount and auto.media: first access
# mounts with the policy's options, files read and write, the record
# follows the mount, idle media are unmounted after expire_timeout, and
# listing /media/list mounts nothing.
. "$(dirname "$0")/lib.sh"

write_conf "expire_timeout = 2"
mkimg "$T/a.img" ext4 KEYCHAIN
debugfs -w -R "write /etc/hostname hello.txt" "$T/a.img" >/dev/null 2>&1
mkimg "$T/s.img" squashfs ""
mkimg "$T/r.img" xfs ROSTICK
start_mediad
start_automount
check "automount serves the autofs directory" is_autofs
attach A "$T/a.img"
check "medium published" wait_link KEYCHAIN
ino0=$(stat -c %i "$MEDIA/list/KEYCHAIN")

ls -l --color=always "$MEDIA/list" >/dev/null
ls -F "$MEDIA/list" >/dev/null
check "listing /media/list (ls -l --color, ls -F) mounts nothing" \
	not_mounted "$MEDIA/auto/KEYCHAIN"

check "a file reads through /media/list/NAME/" \
	cmp -s "$MEDIA/list/KEYCHAIN/hello.txt" /etc/hostname
check "first access mounted it on <media_dir>/auto/NAME" is_mounted "$MEDIA/auto/KEYCHAIN"
opts=$(mount_of "$MEDIA/auto/KEYCHAIN" | awk '{print $6}')
check "mounted nosuid" sh -c "echo '$opts' | grep -q nosuid"
check "mounted nodev" sh -c "echo '$opts' | grep -q nodev"
check "mounted read-write (a removable medium)" sh -c "echo '$opts' | grep -q '^rw'"
echo "written through mediad" > "$MEDIA/list/KEYCHAIN/new.txt"
check "a file writes through /media/list/NAME/" \
	grep -q "written through mediad" "$MEDIA/auto/KEYCHAIN/new.txt"
check "the record's mountpoint follows the mount" \
	wait_until 10 "$STATE/media" rec_is KEYCHAIN mountpoint "$MEDIA/auto/KEYCHAIN"
# a record rewrite leaves an unchanged link alone (no rename under a
# reader walking the list)
check "the list link is the same file after the record was rewritten" \
	test "$(stat -c %i "$MEDIA/list/KEYCHAIN")" = "$ino0"
check "after expire_timeout idle, automount unmounts it" \
	wait_until 20 "$STATE/media" rec_is KEYCHAIN mountpoint ""
check "and it is really unmounted" not_mounted "$MEDIA/auto/KEYCHAIN"
e2fsck -n "$A" > "$T/fsck.out" 2>&1; fsck_st=$?
debugfs -R 'cat new.txt' "$A" > "$T/debugfs.out" 2>&1
fsck_ok() { [ "$fsck_st" -eq 0 ] && grep -q 'written through' "$T/debugfs.out"; }
check "the written file is on the medium (fsck clean, file present)" fsck_ok
fsck_ok || diag "e2fsck -n exit $fsck_st: $(tr '\n' ' ' < "$T/fsck.out") debugfs: $(tr '\n' ' ' < "$T/debugfs.out") mountinfo lines for $A: $(grep -c "$A" /proc/self/mountinfo)"

# read-only media: squashfs by type, a write-protected device by sysfs ro
attach S "$T/s.img"
sname=$(basename "$S")
check "squashfs published" wait_link "$sname"
check "squashfs content readable" grep -q "squash content" "$MEDIA/list/$sname/hello.txt"
check "squashfs mounted ro" sh -c "mount_of() { awk -v d=\"\$1\" '\$5 == d' /proc/self/mountinfo; }; mount_of '$MEDIA/auto/$sname' | awk '{print \$6}' | grep -q '^ro'"
attach R "$T/r.img" ro
check "write-protected xfs published" wait_link ROSTICK
check "its record says readonly" rec_is ROSTICK readonly 1
ls "$MEDIA/list/ROSTICK/" >/dev/null
check "write-protected device mounted ro" \
	sh -c "awk -v d='$MEDIA/auto/ROSTICK' '\$5 == d {print \$6}' /proc/self/mountinfo | grep -q '^ro'"
check "writing to it fails" sh -c "! touch '$MEDIA/list/ROSTICK/x' 2>/dev/null"

# what is not offered cannot be mounted: ENOENT, no mount
mkimg "$T/z.img" blank ""
attach Z "$T/z.img"
zname=$(basename "$Z")
check "a blank device is listed with a reason" wait_ignored "$zname"
check "looking it up by kernel name gives ENOENT" \
	sh -c "! ls '$MEDIA/auto/$zname' 2>/dev/null"
check "and mounts nothing" not_mounted "$MEDIA/auto/$zname"
check "an unknown name gives ENOENT" sh -c "! ls '$MEDIA/auto/NOSUCH' 2>/dev/null"
check "a bad key through autofs gives ENOENT" sh -c "! ls '$MEDIA/auto/..x' 2>/dev/null"
check "a key with a leading dash through autofs gives ENOENT" \
	sh -c "! ls -- '$MEDIA/auto/-o' 2>/dev/null"
check "nothing stray mounted under auto/" \
	test "$(awk -v d="$MEDIA/auto/" 'index($5, d) == 1' /proc/self/mountinfo | wc -l)" -le 3
done_testing
