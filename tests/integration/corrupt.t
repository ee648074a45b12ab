#!/bin/sh
# Damaged media are listed with a reason, never offered, and never crash
# the daemon: random bytes over a superblock, a truncated image, a blank
# device, and a filesystem claiming more blocks than its device has.
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
	wait_until 10 "$STATE/ignored" grep -q '^reason=no filesystem found' \
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

check "daemon still alive after all of it" kill -0 "$MEDIAD_PID"
check "no link points outside the autofs directory" \
	sh -c "! find '$MEDIA/list' -type l ! -lname '../auto/*' | grep -q ."
done_testing
