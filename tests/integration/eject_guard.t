#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Eject and unmount touch only offered media and only the mounts made on
# <media_dir>/auto (issue 14, finding 1). A partitioned loop device, one
# partition mounted by the system, the other offered: eject of the offered
# one is refused (root, group member, root without the daemon) naming the
# system mount, and nothing is unmounted or detached; a partition that is
# not offered refuses it too; a bind mount elsewhere refuses unmount; a
# tmpfs whose source string names the device is never unmounted; with
# every partition offered, eject flushes and unmounts both, then detaches.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
jqok() { jq -e "$@" >/dev/null; } # FILTER FILE: true or not, nothing printed
GID=$(getent group plugdev | cut -d: -f3)
AS_MEMBER() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
chmod 755 "$T" # the member must reach the state directory
# automount must not expire a mount while a check looks at it
CONF_BASE="allow_group = plugdev
expire_timeout = 600"
write_conf "$CONF_BASE"

# a disk with a partition table: the host kernel reads none (no parsers),
# so partx adds the partitions (BLKPG), as the kernel would have. udevd
# may re-read the table (BLKRRPART, which here drops them) when it sees
# the new device closed after a write: settle, and add them again.
truncate -s 64M "$T/disk.img"
printf 'label: dos\n,28M,83\n,,83\n' | sfdisk -q "$T/disk.img"
has_parts() { [ -b "${1}p1" ] && [ -b "${1}p2" ]; }
add_parts() { # DEV
	for _ in 1 2 3 4 5; do
		[ "$SOURCE" = udev ] && udevadm settle -t 5 2>/dev/null
		has_parts "$1" && return 0
		partx -a "$1" 2>/dev/null
	done
	has_parts "$1"
}
D=$(losetup -f --show -P "$T/disk.img")
LOOPS="$LOOPS $D"
K=${D#/dev/}
if ! add_parts "$D"; then
	not_ok "two partitions on $D (partx -a: $(partx -a "$D" 2>&1))"
	done_testing
	exit 1
fi
ok "two partitions"
mkfs.ext4 -q -F -L SYSPART "${D}p1"
mkfs.ext4 -q -F -L OFFERED "${D}p2"
attached() { test -e "/sys/block/$K/loop/backing_file" && test -e "/sys/block/$K/${K}p2"; }

# partition 1 mounted by "the system", before mediad starts
mkdir -p "$T/sys"
mount "${D}p1" "$T/sys"
echo system > "$T/sys/data"
start_mediad
start_automount
check "the offered partition is published" wait_link OFFERED
check "the system's partition is not offered" test ! -e "$STATE/media/SYSPART"
ML mount OFFERED >/dev/null
check "mounted through the list" is_mounted "$MEDIA/auto/OFFERED"
echo offered > "$MEDIA/auto/OFFERED/data"

refused_intact() { # what must hold after each refusal
	is_mounted "$T/sys" && is_mounted "$MEDIA/auto/OFFERED" && attached &&
		test "$(cat "$T/sys/data" "$MEDIA/auto/OFFERED/data")" = "system
offered"
}
ML eject OFFERED > "$T/out" 2> "$T/err"; st=$?
diag "root: $(cat "$T/err")"
check "eject by root is refused (1)" test $st -eq 1
check "naming the partition and the system mount" \
	grep -qF "cannot eject OFFERED: ${K}p1 is mounted by the system on $T/sys: nothing unmounted, not powered off" "$T/err"
check "nothing unmounted, the loop device still attached" refused_intact
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" eject OFFERED > "$T/out" 2> "$T/err"; st=$?
check "eject by a group member is refused (1)" test $st -eq 1
check "with the same reason" grep -qF "${K}p1 is mounted by the system on $T/sys" "$T/err"
check "nothing unmounted, still attached" refused_intact
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" -J eject OFFERED > "$T/out" 2>&1
check "--json: ok false, no flush" jqok '.ok == false and .action == "eject" and .flush_seconds == null and (.message | test("mounted by the system"))' "$T/out"
check "the daemon logged the failure" grep -q "eject OFFERED for uid 65534 failed" "$LOG"

# root without the daemon: the same code, the same answer
stop_mediad KILL
ML eject OFFERED > "$T/out" 2> "$T/err"; st=$?
check "without mediad, root is refused too (1)" test $st -eq 1
check "acting directly, same reason" sh -c "grep -q 'acting directly' '$T/err' &&
	grep -qF '${K}p1 is mounted by the system on $T/sys' '$T/err'"
check "nothing unmounted, still attached" refused_intact
start_mediad
check "mediad back, the medium still offered" wait_link OFFERED

# a bind mount of the medium elsewhere: unmount refuses it, touches none
mkdir -p "$T/bind"
mount --bind "$MEDIA/auto/OFFERED" "$T/bind"
ML unmount OFFERED > "$T/out" 2> "$T/err"; st=$?
diag "bind: $(cat "$T/err")"
check "unmount with a bind mount elsewhere is refused (1)" test $st -eq 1
# (mediad refuses it; or, when an event for the device came first and
# mediad withdrew it as the system's, medialist says why it is not offered)
check "naming the foreign mount" \
	grep -qE "cannot unmount OFFERED: mounted by the system on $T/bind: not unmounted|OFFERED: not offered: ${D#/dev/}p2: mounted by the system on $T/bind\$" "$T/err"
both_mounted() { is_mounted "$T/bind" && is_mounted "$MEDIA/auto/OFFERED"; }
check "both mounts still there" both_mounted
umount "$T/bind"

# a tmpfs whose source string is the device node: not the medium's mount
mkdir -p "$T/fake"
mount -t tmpfs "${D}p2" "$T/fake"
echo tmp > "$T/fake/keep"
ML unmount OFFERED > "$T/out" 2> "$T/err"; st=$?
check "unmount exits 0" test $st -eq 0
check "it says so" grep -qx "OFFERED unmounted" "$T/out"
check "the medium is unmounted" not_mounted "$MEDIA/auto/OFFERED"
check "the tmpfs named after the device is still mounted" \
	sh -c "grep -q ' $T/fake tmpfs ' /proc/self/mounts && test -f '$T/fake/keep'"
ML unmount OFFERED > "$T/out" 2> "$T/err"
check "again: was not mounted, the tmpfs left alone" \
	sh -c "grep -qx 'OFFERED was not mounted' '$T/out' && test -f '$T/fake/keep'"

# a partition that is not offered (ignored by configuration) refuses eject
# (on the kernel source a device mounted by the system is not probed, so
# its label, and the rule, apply once it is unmounted)
write_conf "$CONF_BASE" "ignore = LABEL=SYSPART"
wait_until 10 "$T" grep -q "configuration reloaded" "$LOG"
umount "$T/sys"
cfg_ignored() { grep -q "ignored by configuration" "$STATE/ignored/${K}p1" 2>/dev/null; }
check "unmounted by the system, the partition is ignored by configuration" \
	wait_until 10 "$STATE/ignored" cfg_ignored
ML mount OFFERED >/dev/null
ML eject OFFERED > "$T/out" 2> "$T/err"; st=$?
diag "ignored: $(cat "$T/err")"
check "eject with an ignored partition on the disk is refused (1)" test $st -eq 1
check "naming it" grep -qF "cannot eject OFFERED: ${K}p1 is not an offered medium" "$T/err"
check "still attached" attached
check "the medium still mounted" is_mounted "$MEDIA/auto/OFFERED"

# every partition offered and mounted, both written: eject flushes and
# unmounts both (the tmpfs stays), then detaches the disk
write_conf "$CONF_BASE"
check "the other partition offered once the configuration allows" wait_link SYSPART
ML mount SYSPART >/dev/null
echo first > "$MEDIA/auto/SYSPART/first"
# the other partition busy: it cannot be unmounted, so nothing is powered
# off; what was written is flushed all the same
(cd "$MEDIA/auto/SYSPART" && exec sleep 300) & HOLD=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLD"
ML eject OFFERED > "$T/out" 2> "$T/err"; st=$?
diag "busy: $(cat "$T/err") / $(cat "$T/out")"
check "the other partition busy: eject refused (1)" test $st -eq 1
check "naming it and its mount" \
	grep -qF "cannot eject OFFERED: ${K}p1 stays mounted on $MEDIA/auto/SYSPART: Device or resource busy: not powered off" "$T/err"
check "having flushed first" grep -q "^flushed " "$T/out"
check "still attached, the busy partition still mounted" \
	sh -c "test -e /sys/block/$K/loop/backing_file && grep -q ' $MEDIA/auto/SYSPART ' /proc/self/mounts"
kill "$HOLD"; wait "$HOLD" 2>/dev/null
ML mount OFFERED >/dev/null
dd if=/dev/urandom of="$MEDIA/auto/SYSPART/big" bs=1M count=4 2>/dev/null
dd if=/dev/urandom of="$MEDIA/auto/OFFERED/big" bs=1M count=4 2>/dev/null
sum=$(cat "$MEDIA/auto/SYSPART/big" "$MEDIA/auto/OFFERED/big" | md5sum)
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" -J eject OFFERED > "$T/out" 2>&1; st=$?
diag "eject: $(cat "$T/out")"
check "eject by a group member now succeeds (0)" test $st -eq 0
check "the disk detached, both partitions' data flushed (8 MiB at least)" jqok ".ok == true and .message == \"$K detached\" and .flush_bytes >= 8388608" "$T/out"
check "neither partition mounted any more" \
	sh -c "! grep -q ' $MEDIA/auto/' /proc/self/mounts"
check "the tmpfs named after the device is still mounted" test -f "$T/fake/keep"
check "the loop device detached" wait_until 10 "$T" sh -c "! test -e /sys/block/$K/loop/backing_file"
withdrawn() { wait_no_link OFFERED && wait_no_link SYSPART; }
check "both media withdrawn" withdrawn

# the data reached the image: attach it again and read both files back
D2=$(losetup -f --show -P "$T/disk.img")
LOOPS="$LOOPS $D2"
add_parts "$D2"
published() { wait_link OFFERED && wait_link SYSPART; }
check "published again" published
check "both files whole (flushed before the power-off)" wait_until 10 "$T" sh -c \
	"test \"\$(cat '$MEDIA/list/SYSPART/big' '$MEDIA/list/OFFERED/big' 2>/dev/null | md5sum)\" = '$sum'"

# btrfs: mountinfo gives an anonymous device number; the mount is known
# by the filesystem's member devices
mkimg "$T/b.img" btrfs BTR
attach B "$T/b.img"
check "a btrfs medium published" wait_link BTR
ML mount BTR >/dev/null
mkdir -p "$T/bbind"
mount --bind "$MEDIA/auto/BTR" "$T/bbind"
ML eject BTR > "$T/out" 2> "$T/err"; st=$?
check "btrfs bind-mounted elsewhere: eject refused (1)" test $st -eq 1
check "naming the bind mount" \
	grep -qE "${B#/dev/} is mounted by the system on $T/bbind|BTR: not offered: ${B#/dev/}: mounted by the system on $T/bbind\$" "$T/err"
# an event for the device while the bind mount stands: mediad lists it as
# the system's, and medialist tells why BTR is not offered, not "no such
# medium"
echo change > "/sys/block/${B#/dev/}/uevent"
check "an event meanwhile lists it as the system's" wait_until 10 "$STATE/ignored" \
	sh -c "grep -qF 'reason=mounted by the system on $T/bbind' '$STATE/ignored/${B#/dev/}' 2>/dev/null"
ML eject BTR > "$T/out" 2> "$T/err"; st=$?
check "then eject says why it is not offered (1)" sh -c "test $st -eq 1 &&
	grep -qx 'medialist: BTR: not offered: ${B#/dev/}: mounted by the system on $T/bbind' '$T/err'"
umount "$T/bbind"
# while the bind mount stood, an event for the device (the eject's own
# open, udev's watch) may have found it mounted by the system and listed
# it; its end re-offers it through a new probe (udev: a round trip)
check "offered again once the bind mount is gone" \
	wait_until 10 "$STATE/media" rec_is BTR mountpoint "$MEDIA/auto/BTR"
echo data > "$MEDIA/auto/BTR/f"
ML unmount BTR > "$T/out" 2> "$T/err"; st=$?
check "btrfs: unmount (0)" sh -c "test $st -eq 0 && grep -qx 'BTR unmounted' '$T/out'"
check "btrfs: the flush reported" grep -q "^flushed " "$T/out"
check "btrfs: not mounted any more" not_mounted "$MEDIA/auto/BTR"
done_testing
