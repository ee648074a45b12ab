#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What the mount side enforces whatever a stick says or mount.mediad is
# handed (issue 14, findings 3 and 7). An ext4 stick whose superblock asks
# the kernel to panic on an error (tune2fs -e panic) is offered and mounted
# through automount with errors=remount-ro: the record, the mount report and
# /proc/self/mountinfo say so; its superblock also turns the device's cache
# flushes off (tune2fs -o nobarrier, and mount_opts=nobarrier), and the
# mount has barrier all the same. The panic is never triggered: nothing here
# corrupts the filesystem. mount.mediad run by hand refuses a device mediad
# has no link for (not offered, or a newer generation than the link's),
# and options asking for errors=panic, suid or dev; its ntfs-3g branch adds
# nosuid,nodev itself.
. "$(dirname "$0")/lib.sh"

export MEDIAD_CONFIG="$CONF"
write_conf "ignore = LABEL=NOTOFFERED" "expire_timeout = 30"
errors_of() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Errors behavior: *//p'; }
# super_opts DIR: the superblock options of what is mounted on DIR
super_opts() { mount_of "$1" | sed 's/.* - //' | awk '{print $3}'; }
has_word() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }
MM() { "$BUILD/mount.mediad" "$@"; }

mkimg "$T/p.img" ext4 PANICKY
tune2fs -e panic -o nobarrier -E mount_opts=nobarrier "$T/p.img" >/dev/null
check "the image asks the kernel to panic on errors" test "$(errors_of "$T/p.img")" = Panic
check "and to mount without cache flushes" \
	sh -c "dumpe2fs -h '$T/p.img' 2>/dev/null | grep -Eq '^(Default mount|Mount) options: .*nobarrier'"

mkimg "$T/n.img" ext4 NOTOFFERED
truncate -s 16M "$T/w.img"
mkntfs -q -F -L NTFSKEY "$T/w.img" >/dev/null 2>&1
start_mediad
start_automount

# -- finding 3: the error policy is ours, not the stick's --
attach P "$T/p.img"
check "published" wait_link PANICKY
opts=$(rec PANICKY options)
check "the record's options hold errors=remount-ro ($opts)" has_word "$opts" errors=remount-ro
check "and no other error policy" sh -c "test \$(echo '$opts' | grep -o 'errors=' | wc -l) -eq 1"
out=$("$BUILD/auto.media" PANICKY)
check "auto.media hands automount errors=remount-ro" \
	has_word "${out%% *}" errors=remount-ro
check "a lookup through automount mounts it" ls "$MEDIA/list/PANICKY/lost+found"
check "mounted on <media_dir>/auto/PANICKY" is_mounted "$MEDIA/auto/PANICKY"
sopts=$(super_opts "$MEDIA/auto/PANICKY")
# ext4 shows errors= in mountinfo only where it differs from the
# superblock's own policy: this line is the proof the mount overrode it
check "mountinfo: the mount has errors=remount-ro ($sopts)" has_word "$sopts" errors=remount-ro
check "mountinfo: not errors=panic" sh -c "! echo '$sopts' | grep -q 'errors=panic'"
check "the record's options hold barrier" has_word "$opts" barrier
# (mountinfo shows barrier only where it differs from the superblock's
# default; the kernel's full list for the filesystem says it either way)
check "mountinfo: barrier, though the superblock says nobarrier ($sopts)" has_word "$sopts" barrier
check "the kernel's options for it: barrier, not nobarrier" \
	sh -c "grep -qx barrier /proc/fs/ext4/$(basename "$P")/options && ! grep -qx nobarrier /proc/fs/ext4/$(basename "$P")/options"
check "mountinfo: nosuid,nodev" \
	sh -c "mo=\$(awk -v d='$MEDIA/auto/PANICKY' '\$5 == d {print \$6}' /proc/self/mountinfo)
	case \",\$mo,\" in *,nosuid,*nodev,*|*,nodev,*nosuid,*) ;; *) exit 1 ;; esac"
check "the record's mount report says errors=remount-ro" \
	wait_until 5 "$STATE/media" rec_has PANICKY mounted_options errors=remount-ro
check "the stick itself was not changed: it still says Panic" test "$(errors_of "$P")" = Panic
umount "$MEDIA/auto/PANICKY" 2>/dev/null
check "unmounted again" wait_until 10 "$STATE/media" rec_is PANICKY mountpoint ""

# -- finding 7: mount.mediad by hand --
mkdir -p "$T/mnt"
attach NO "$T/n.img"
check "a medium mediad does not offer is listed as ignored" wait_ignored "$(basename "$NO")"
MM "$NO" "$T/mnt" -o nosuid,nodev -t mediad.ext4 2>"$T/mm.err"; st=$?
check "mount.mediad refuses a device with no device link: exit 32 ($st)" test "$st" -eq 32
check "and says why" grep -q "refusing to mount: no device link" "$T/mm.err"
check "and mounts nothing" not_mounted "$T/mnt"

for o in nosuid,nodev,errors=panic suid nodev,dev; do
	MM "$P" "$T/mnt" -o "$o" -t mediad.ext4 2>"$T/mm.err"; st=$?
	check "mount.mediad refuses -o $o: exit 32 ($st), nothing mounted" \
		sh -c "test $st -eq 32 && grep -q 'refusing the option' '$T/mm.err' &&
			! grep -q ' $T/mnt ' /proc/self/mountinfo"
done
MM "$P" "$T/mnt" -o noatime -t mediad.ext4 2>"$T/mm.err"; st=$?
check "offered and asked with no policy at all: mounted ($st)" test "$st" -eq 0
sopts=$(super_opts "$T/mnt")
check "and still with errors=remount-ro ($sopts)" has_word "$sopts" errors=remount-ro
check "and nosuid,nodev" sh -c "mount_of() { awk -v d=\"\$1\" '\$5 == d' /proc/self/mountinfo; }
	mount_of '$T/mnt' | awk '{print \$6}' | grep -q 'nosuid,nodev'"
umount "$T/mnt"

# the ntfs-3g branch: handed options without nosuid,nodev, it adds them
attach W "$T/w.img"
if wait_link NTFSKEY 10; then
	MM "$W" "$T/mnt" -o uid=0 -t mediad.ntfs-3g 2>"$T/mm.err"; st=$?
	check "ntfs-3g: mounted by mount.mediad ($st)" test "$st" -eq 0
	mi=$(mount_of "$T/mnt")
	check "ntfs-3g: a FUSE mount with nosuid,nodev ($(echo "$mi" | awk '{print $6}'))" \
		sh -c "echo '$mi' | grep -q 'fuseblk' &&
			echo '$mi' | awk '{print \$6}' | grep -q 'nosuid,nodev'"
	umount "$T/mnt"
else
	diag "no mkntfs here: the ntfs-3g branch is not observed"
fi

# the same device, a newer generation than the link's: mediad killed (its
# links stay), the image detached and attached again (a new diskseq); the
# link the old answer named still points at the node, mount.mediad on it
# (as mount(8) resolves it) refuses
seq=$(cat "/sys/block/$(basename "$P")/diskseq" 2>/dev/null)
if [ -n "$seq" ]; then
	old="$STATE/dev/$(rec PANICKY devnum | tr : -)-$seq"
	check "the medium's device link is there ($old)" test -L "$old"
	stop_mediad KILL
	detach "$P"
	reattach "$P" "$T/p.img"
	check "the device has a new disk sequence number" \
		test "$(cat "/sys/block/$(basename "$P")/diskseq")" != "$seq"
	MM "$old" "$T/mnt" -o "$(rec PANICKY options)" -t mediad.ext4 2>"$T/mm.err"; st=$?
	check "mount.mediad refuses the newer generation: exit 32 ($st)" test "$st" -eq 32
	check "and says the link is missing" grep -q "no device link" "$T/mm.err"
	check "and mounts nothing" not_mounted "$T/mnt"
else
	diag "this kernel gives no diskseq: the generation check is not observed"
fi
done_testing
