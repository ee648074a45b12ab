#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The mount fallback order of mount.mediad (lib/fallback.c), on media the
# host kernel really refuses: each mounts the safest way that works, or
# not at all, and the record and medialist say why in the kernel's (or the
# driver's) own words.
#  - ext4 and xfs with a journal that needs replaying, on a write-protected
#    device: mounted read-only without replay (noload / norecovery);
#  - NTFS: ntfs3 (absent from this kernel) then ntfs-3g; a hibernated
#    Windows volume read-only;
#  - ext4 with a feature this kernel can only read: read-only;
#  - ext4 with a feature this kernel cannot read at all: not mounted, the
#    kernel's message in mount_error;
#  - ext4 whose superblock's default mount options hold no NUL
#    (CVE-2025-40198): refused before any mount, the reason in mount_error.
. "$(dirname "$0")/lib.sh"

export MEDIAD_CONFIG="$CONF"
ML() { "$BUILD/medialist" -c "$CONF" "$@"; }
opts_of() { findmnt -n -o OPTIONS --target "$MEDIA/auto/$1/"; }
fstype_of() { findmnt -n -o FSTYPE --target "$MEDIA/auto/$1/"; }
json_field() { # NAME KEY: the medium's KEY in medialist --json
	ML --json | python3 -c "import json,sys
for m in json.load(sys.stdin):
    if m.get('name') == sys.argv[1]: print(m.get(sys.argv[2], ''))" "$1" "$2"
}

# a filesystem left with its journal unreplayed: mounted, written to, then
# shut down as a pulled stick would be (the journal keeps the last write)
# (before.txt written and checkpointed by a clean unmount, after.txt
# committed to the journal only)
dirty_journal() { # IMG
	mkdir -p "$T/m"
	mount -o loop "$1" "$T/m" && echo before > "$T/m/before.txt" && umount "$T/m" &&
		mount -o loop "$1" "$T/m" && echo after > "$T/m/after.txt" && sync &&
		echo lost > "$T/m/lost.txt" && xfs_io -x -c shutdown "$T/m"
	umount "$T/m"
}

mkimg "$T/j.img" ext4 JOURNAL4
dirty_journal "$T/j.img"
check "the ext4 image needs journal recovery" \
	sh -c "dumpe2fs -h '$T/j.img' 2>/dev/null | grep -q needs_recovery"
mkimg "$T/x.img" xfs JOURNALX
dirty_journal "$T/x.img"
check "the xfs image needs log recovery" \
	sh -c "xfs_logprint -t '$T/x.img' 2>/dev/null | grep -q 'state: <DIRTY>'"
j_sum=$(md5sum < "$T/j.img")
x_sum=$(md5sum < "$T/x.img")

start_mediad
start_automount

attach J "$T/j.img" ro
attach X "$T/x.img" ro
check "dirty ext4 on a write-protected device published" wait_link JOURNAL4
check "dirty xfs on a write-protected device published" wait_link JOURNALX
check "offered read-only" rec_has JOURNAL4 options ro
check "ext4: readable through its link" test "$(cat "$MEDIA/list/JOURNAL4/before.txt")" = before
opts=$(opts_of JOURNAL4)
check "mounted read-only without replaying the journal ($opts)" \
	sh -c "echo '$opts' | grep -q '^ro,.*norecovery'"
check "the record says why, in the kernel's words" \
	wait_until 5 "$STATE/media" rec_has JOURNAL4 mount_note "write access unavailable"
check "and what that means" rec_has JOURNAL4 mount_note "without replaying its journal"
check "mounted_type and mounted_options in the record" \
	sh -c "[ \"\$(sed -n 's/^mounted_type=//p' '$STATE/media/JOURNAL4')\" = ext4 ] && grep -q '^mounted_options=ro,.*noload' '$STATE/media/JOURNAL4'"
json_note=$(json_field JOURNAL4 mount_note)
check "medialist --json: mount_note" sh -c "echo '$json_note' | grep -q 'without replaying'"
ML info JOURNAL4 > "$T/info" 2>&1
check "medialist info shows the note" grep -q "^mount_note .*without replaying" "$T/info"
check "xfs: readable through its link" test "$(cat "$MEDIA/list/JOURNALX/before.txt")" = before
check "xfs: what only the log held is not there (not replayed)" test ! -e "$MEDIA/list/JOURNALX/after.txt"
check "xfs mounted read-only, norecovery" \
	sh -c "findmnt -n -o OPTIONS --target '$MEDIA/auto/JOURNALX/' | grep -q '^ro,.*norecovery'"
check "xfs: the kernel's words in the note" \
	wait_until 5 "$STATE/media" rec_has JOURNALX mount_note "recovery required on read-only device"
diag "xfs note: $(rec JOURNALX mount_note)"
umount "$MEDIA/auto/JOURNAL4" "$MEDIA/auto/JOURNALX"
check "not one byte of the write-protected images was written" \
	test "$(md5sum < "$T/j.img")$(md5sum < "$T/x.img")" = "$j_sum$x_sum"
detach "$J"
detach "$X"

# NTFS: this kernel has no ntfs3, so ntfs-3g (FUSE); a volume Windows
# hibernated read-only, as ntfs-3g itself decides and says
truncate -s 16M "$T/n.img"
mkntfs -q -F -L WINDISK "$T/n.img" >/dev/null 2>&1
truncate -s 16M "$T/h.img"
mkntfs -q -F -L HIBERNATED "$T/h.img" >/dev/null 2>&1
printf 'hibr%1020s' x > "$T/hiberfil.sys"
ntfscp -q "$T/h.img" "$T/hiberfil.sys" hiberfil.sys
attach NT "$T/n.img"
attach HB "$T/h.img"
check "NTFS published" wait_link WINDISK
check "hibernated NTFS published" wait_link HIBERNATED
check "NTFS: writable through its link" sh -c "echo x > '$MEDIA/list/WINDISK/new.txt'"
check "NTFS mounted read-write by ntfs-3g (fuseblk)" \
	sh -c "[ \"\$(findmnt -n -o FSTYPE --target '$MEDIA/auto/WINDISK/')\" = fuseblk ] && findmnt -n -o OPTIONS --target '$MEDIA/auto/WINDISK/' | grep -q '^rw'"
if grep -qw ntfs3 /proc/filesystems; then
	diag "this kernel has ntfs3: the ntfs3-first step is not observed here"
else
	check "the note says ntfs3 was tried first and why it failed" \
		wait_until 5 "$STATE/media" rec_has WINDISK mount_note "ntfs3: unknown filesystem type"
fi
ML mount HIBERNATED > "$T/out" 2> "$T/err"
check "medialist mount: mounted, and says why read-only" \
	sh -c "grep -qx '$MEDIA/auto/HIBERNATED' '$T/out' && grep -q 'HIBERNATED: .*read-only on its own: Hibernated' '$T/err'"
check "hibernated: readable" test -f "$MEDIA/list/HIBERNATED/hiberfil.sys"
check "hibernated: mounted read-only" \
	sh -c "findmnt -n -o OPTIONS --target '$MEDIA/auto/HIBERNATED/' | grep -q '^ro'"
check "hibernated: the note gives ntfs-3g's reason" \
	wait_until 5 "$STATE/media" rec_has HIBERNATED mount_note "ntfs-3g mounted it read-only on its own: Hibernated"
umount "$MEDIA/auto/WINDISK" "$MEDIA/auto/HIBERNATED"
detach "$NT"
detach "$HB"

# NTFS marked dirty (Windows did not shut it down cleanly): ntfs-3g mounts
# it read-write and leaves the mark, so Windows still checks it at its
# next boot; ntfs3, where a kernel has it, refuses read-write without
# "force", and the order goes on to ntfs-3g
truncate -s 16M "$T/d.img"
mkntfs -q -F -L DIRTYNTFS "$T/d.img" >/dev/null 2>&1
python3 "$(dirname "$(readlink -f "$0")")/ntfs_dirty.py" "$T/d.img"
check "the NTFS image is marked dirty (ntfsinfo refuses it)" \
	sh -c "ntfsinfo -m '$T/d.img' 2>&1 | grep -q 'scheduled for check'"
attach DN "$T/d.img"
check "dirty NTFS published" wait_link DIRTYNTFS
check "dirty NTFS: writable through its link" sh -c "echo x > '$MEDIA/list/DIRTYNTFS/new.txt'"
fuse_rw() { [ "$(fstype_of "$1")" = fuseblk ] && opts_of "$1" | grep -q '^rw'; }
check "dirty NTFS: mounted by ntfs-3g read-write" fuse_rw DIRTYNTFS
check "dirty NTFS: the record names the driver" \
	wait_until 5 "$STATE/media" rec_has DIRTYNTFS mount_note "mounted with ntfs-3g"
umount "$MEDIA/auto/DIRTYNTFS"
check "dirty NTFS: still marked for Windows's check afterwards" \
	sh -c "ntfsinfo -m '$T/d.img' 2>&1 | grep -q 'scheduled for check'"
detach "$DN"

# features: one this kernel can only read (ro_compat), one it cannot
# read at all (incompat)
add_feature() { # IMG FIELD OFFSET BIT: sets an unknown feature bit
	cur=$(od -An -tu4 -j $((1024 + $3)) -N4 "$1" | tr -d ' ')
	debugfs -w -R "ssv $2 $(( cur | $4 ))" "$1" >/dev/null 2>&1
}
mkimg "$T/r.img" ext4 ROFEATURE
add_feature "$T/r.img" feature_ro_compat 0x64 0x40000000
mkimg "$T/u.img" ext4 NOFEATURE
add_feature "$T/u.img" feature_incompat 0x60 0x100000
attach R "$T/r.img"
attach U "$T/u.img"
check "ro-feature ext4 published" wait_link ROFEATURE
check "unknown-feature ext4 published" wait_link NOFEATURE
check "ro-feature: offered read-write" sh -c "! grep -Eq '^options=(.*,)?ro(,|\$)' '$STATE/media/ROFEATURE'"
check "ro-feature: readable" ls "$MEDIA/list/ROFEATURE/lost+found"
check "ro-feature: mounted read-only" \
	sh -c "findmnt -n -o OPTIONS --target '$MEDIA/auto/ROFEATURE/' | grep -q '^ro'"
check "ro-feature: the note says why not read-write" \
	wait_until 5 "$STATE/media" rec_has ROFEATURE mount_note "so not read-write"
check "unknown feature: access fails" sh -c "! ls '$MEDIA/list/NOFEATURE/' >/dev/null 2>&1"
check "unknown feature: not mounted" rec_is NOFEATURE mountpoint ""
check "unknown feature: mount_error gives the kernel's reason" \
	wait_until 5 "$STATE/media" rec_has NOFEATURE mount_error "unsupported optional features"
check "medialist --json: mount_error" \
	sh -c "'$BUILD/medialist' -c '$CONF' --json | grep -q 'unsupported optional features'"
ML mount NOFEATURE > "$T/out" 2> "$T/err"; st=$?
check "medialist mount fails (1) with the kernel's reason" \
	sh -c "[ $st -eq 1 ] && grep -q 'cannot mount NOFEATURE .*unsupported optional features' '$T/err'"
ML info NOFEATURE > "$T/info" 2>&1
check "medialist info shows the error" grep -q "^mount_error .*unsupported optional features" "$T/info"

# a hostile stick: the superblock's default mount options fill their 64
# bytes with no NUL, which ext4 before the fix of CVE-2025-40198 reads
# past (a fixed kernel, like this host's, refuses it with E2BIG). Its
# checksum is made right again (debugfs's dirty, checksums not verified
# on open), as an attacker's would be. mount.mediad refuses it before any
# mount, with its reason.
mkimg "$T/o.img" ext4 LONGOPTS
printf '%064d' 0 | tr 0 a | dd of="$T/o.img" bs=1 seek=$((1024 + 512)) conv=notrunc 2>/dev/null
debugfs -w -n -R dirty "$T/o.img" >/dev/null 2>&1
check "the crafted superblock's checksum is right" \
	sh -c "! dumpe2fs -h '$T/o.img' 2>&1 | grep -qi 'checksum does not match'"
attach O "$T/o.img"
check "unterminated mount options: published" wait_link LONGOPTS
check "unterminated mount options: access fails" sh -c "! ls '$MEDIA/list/LONGOPTS/' >/dev/null 2>&1"
check "unterminated mount options: mount_error names the CVE" \
	wait_until 5 "$STATE/media" rec_has LONGOPTS mount_error "CVE-2025-40198"
check "unterminated mount options: never mounted" \
	sh -c "! grep -q ' $MEDIA/auto/LONGOPTS ' /proc/self/mountinfo"
done_testing
