#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Damaged media are listed with a reason, never offered, and never crash
# the daemon: random bytes over a superblock (ext4, btrfs, xfs), a
# truncated image, a blank device, and filesystems claiming more blocks
# than their device has (ext4, btrfs, xfs).
. "$(dirname "$0")/lib.sh"

start_mediad
# ext4 with random bytes over its primary superblock (offset 1024)
mkimg "$T/r.img" ext4 RANDOMSB
dd if=/dev/urandom of="$T/r.img" bs=1024 seek=1 count=1 conv=notrunc 2>/dev/null
attach R "$T/r.img"
check "random superblock: listed as ignored" wait_ignored "$(basename "$R")"
check "random superblock: reason given" \
	grep -q '^reason=.\+' "$STATE/ignored/$(basename "$R")"
check "random superblock: not offered" test ! -e "$MEDIA/list/RANDOMSB"

# blank device
mkimg "$T/z.img" blank ""
attach Z "$T/z.img"
check "blank device: listed with 'no filesystem found'" \
	wait_until 10 "$STATE/ignored" grep -qs '^reason=no filesystem found' \
	"$STATE/ignored/$(basename "$Z")"

# truncated: an xfs image cut to its first 64 KiB
mkimg "$T/x.img" xfs XFSCUT
truncate -s 64K "$T/x.img"
attach X "$T/x.img"
check "truncated xfs: daemon survives and lists the device" \
	wait_until 10 "$STATE" sh -c "[ -e '$STATE/ignored/$(basename "$X")' ] || [ -L '$MEDIA/list/XFSCUT' ]"

# ext4 that claims more blocks than the loop device has
mkimg "$T/big.img" ext4 BIGCLAIM 64
truncate -s 8M "$T/big.img"
attach G "$T/big.img"
check "oversized claim: daemon lists it (offered or with a reason)" \
	wait_until 10 "$STATE" sh -c "[ -e '$STATE/ignored/$(basename "$G")' ] || [ -L '$MEDIA/list/BIGCLAIM' ]"

# two signatures at once: ext4 and a swap signature on one device
mkimg "$T/m.img" ext4 MIXED
printf 'SWAPSPACE2' | dd of="$T/m.img" bs=1 seek=$((4096 - 10)) conv=notrunc 2>/dev/null
attach M "$T/m.img"
check "ambivalent signatures: listed, not crashed" \
	wait_until 10 "$STATE" sh -c "[ -e '$STATE/ignored/$(basename "$M")' ] || [ -L '$MEDIA/list/MIXED' ]"

# btrfs and xfs with random bytes over their primary superblock (btrfs at
# 64 KiB; xfs in sector 0): no filesystem is found, and the reason says so
# (btrfs's backup superblocks are not taken for a filesystem either)
mkimg "$T/rb.img" btrfs RANDOMBT
dd if=/dev/urandom of="$T/rb.img" bs=4096 seek=16 count=1 conv=notrunc 2>/dev/null
mkimg "$T/rx.img" xfs RANDOMXFS
dd if=/dev/urandom of="$T/rx.img" bs=512 count=1 conv=notrunc 2>/dev/null
attach RB "$T/rb.img"; attach RX "$T/rx.img"
for v in RB RX; do
	eval "d=\$$v"
	check "random superblock ($v): listed with 'no filesystem found'" \
		wait_until 20 "$STATE/ignored" grep -qs '^reason=no filesystem found' \
		"$STATE/ignored/$(basename "$d")"
done
check "random superblocks: neither offered" \
	sh -c "[ ! -e '$MEDIA/list/RANDOMBT' ] && [ ! -e '$MEDIA/list/RANDOMXFS' ]"

# btrfs and xfs that claim more than their device holds (the image cut
# after mkfs): listed; if offered, following the link mounts nothing
# outside <media_dir>/auto and leaves nothing half-mounted
mkimg "$T/bb.img" btrfs BIGBT
truncate -s 60M "$T/bb.img"
mkimg "$T/bx.img" xfs BIGXFS
truncate -s 100M "$T/bx.img"
attach BB "$T/bb.img"; attach BX "$T/bx.img"
start_automount
for p in BB=BIGBT BX=BIGXFS; do
	eval "d=\$${p%%=*}"; nm=${p#*=}
	check "oversized $nm: listed (offered, or ignored with a reason)" \
		wait_until 20 "$STATE" sh -c "[ -e '$STATE/ignored/$(basename "$d")' ] || [ -L '$MEDIA/list/$nm' ]"
	if [ -L "$MEDIA/list/$nm" ]; then
		ls "$MEDIA/list/$nm/" >/dev/null 2>"$T/ls.err"; st=$?
		diag "$nm: offered; following its link: status $st $(head -1 "$T/ls.err")"
		check "oversized $nm: mounted only under auto/ if at all" \
			sh -c "! awk -v d='$d' -v a='$MEDIA/auto/' '\$1 == d && index(\$2, a) != 1' /proc/self/mounts | grep -q ."
		check "oversized $nm: a failed mount leaves no mount behind" \
			sh -c "[ $st -eq 0 ] || ! grep -q '^$d ' /proc/self/mounts"
		if [ $st -ne 0 ]; then
			check "oversized $nm: the record says why it cannot be mounted" \
				wait_until 10 "$STATE/media" sh -c "[ -n \"\$(sed -n 's/^mount_error=//p' '$STATE/media/$nm')\" ]"
			diag "$nm: mount_error=$(rec "$nm" mount_error)"
		fi
	else
		diag "$nm: $(field "$STATE/ignored/$(basename "$d")" reason)"
	fi
done

contract_checks "damaged media" "$R" "$Z" "$X" "$G" "$M" "$RB" "$RX" "$BB" "$BX"
check "daemon still alive after all of it" kill -0 "$MEDIAD_PID"
check "no link points outside the autofs directory" \
	sh -c "! find '$MEDIA/list' -type l ! -lname '../auto/*' | grep -q ."
done_testing
