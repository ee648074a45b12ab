#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What mediad lists but never offers, each with its reason; what it does
# not look at; config ignore entries.
. "$(dirname "$0")/lib.sh"

printf 'ignore = LABEL=HIDEME\n' >> "$CONF"
start_mediad
mkimg "$T/s.img" swap SWAPPY 2>/dev/null
attach S "$T/s.img"
check "swap: ignored" wait_ignored "$(basename "$S")"
check "swap: reason 'swap space'" grep -q '^reason=swap space$' "$STATE/ignored/$(basename "$S")"

# a swap area holding a suspended system's memory: the signature the
# kernel's swsusp writes over "SWAPSPACE2", which libblkid reports as
# TYPE="swsuspend" (and udev as ID_FS_TYPE); resuming needs it untouched
mkimg "$T/z.img" swap HIBER 2>/dev/null
printf 'S1SUSPEND' | dd of="$T/z.img" bs=1 seek=$(($(getconf PAGESIZE) - 10)) \
	conv=notrunc 2>/dev/null
attach Z "$T/z.img"
check "hibernation image: ignored" wait_ignored "$(basename "$Z")"
check "reason 'hibernation image'" grep -q "^reason=hibernation image (a suspended system's swap)$" \
	"$STATE/ignored/$(basename "$Z")"

# an ext4 external journal: blkid's usage "other", not a filesystem
truncate -s 16M "$T/j.img"
mke2fs -q -F -O journal_dev -L JOURNAL "$T/j.img"
attach J "$T/j.img"
check "external journal: ignored" wait_ignored "$(basename "$J")"
check "reason 'not a filesystem (jbd)'" \
	grep -q '^reason=not a filesystem (jbd)$' "$STATE/ignored/$(basename "$J")"

# a LUKS header as cryptsetup writes it: magic, version 1
mkimg "$T/l.img" blank ""
printf 'LUKS\272\276\000\001aes\000' | dd of="$T/l.img" conv=notrunc 2>/dev/null
attach L "$T/l.img"
check "LUKS: ignored" wait_ignored "$(basename "$L")"
check "LUKS: reason names the encrypted container" \
	grep -q "^reason=encrypted container (crypto_LUKS): medialist unlock $(basename "$L")\$" \
	"$STATE/ignored/$(basename "$L")"

mkimg "$T/h.img" ext4 HIDEME
attach H "$T/h.img"
check "config ignore by label: listed with the reason" wait_ignored "$(basename "$H")"
check "reason names the config entry" \
	grep -q '^reason=ignored by configuration (LABEL=HIDEME)$' "$STATE/ignored/$(basename "$H")"
check "never offered" test ! -e "$MEDIA/list/HIDEME"
check "ignored records have no mount options" \
	grep -q '^options=$' "$STATE/ignored/$(basename "$H")"

# mounted by the system elsewhere: listed, not offered
mkimg "$T/m.img" ext4 SYSMOUNT
attach M "$T/m.img"
check "medium appears" wait_link SYSMOUNT
stop_mediad
mkdir -p "$T/sysmnt" && mount "$M" "$T/sysmnt"
start_mediad
check "already mounted by the system at start: not offered" test ! -e "$MEDIA/list/SYSMOUNT"
check "listed as mounted by the system" \
	grep -q "^reason=mounted by the system on $T/sysmnt$" "$STATE/ignored/$(basename "$M")"
umount "$T/sysmnt"
check "once the system unmounts it, it is offered again" wait_link SYSMOUNT
stop_mediad

# include_loop = DIR: only loop devices backed by files under DIR (the
# harness's default, $T); an image elsewhere is not looked at
start_mediad
OUTSIDE=$(mktemp /var/tmp/mediad-outside.XXXXXX)
OWN_IMAGES=$OUTSIDE # outside $T: the cleanup must still know it is ours
mkimg "$OUTSIDE" ext4 OUTSIDER
attach OL "$OUTSIDE"
rm -f "$OUTSIDE"
mkimg "$T/in.img" ext4 INSIDER
attach IL "$T/in.img"
check "include_loop = DIR: an image under DIR is published" wait_link INSIDER
check "the image outside DIR reached the daemon" \
	wait_until 10 "$T" grep -q "event [a-z]* $(basename "$OL")\$" "$LOG"
check "and is neither published nor listed" \
	sh -c "[ ! -e '$MEDIA/list/OUTSIDER' ] && [ ! -e '$STATE/ignored/$(basename "$OL")' ]"
stop_mediad

# include_loop = no: loop devices are not looked at at all
write_conf "include_loop = no"
start_mediad
mkimg "$T/n.img" ext4 NOLOOP
attach NL "$T/n.img"
# wait until the daemon has handled the attach event (its debug log says
# so), then check that nothing was published for it
check "the attach event reached the daemon" \
	wait_until 10 "$T" grep -q "event [a-z]* $(basename "$NL")\$" "$LOG"
check "include_loop = no: loop media not published" test ! -e "$MEDIA/list/NOLOOP"
check "include_loop = no: not even listed as ignored" test ! -e "$STATE/ignored/$(basename "$NL")"
done_testing
