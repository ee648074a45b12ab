#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Whole disk or partitions, one answer: a disk the kernel has partitioned
# is listed (with the partition-table reason) and never offered, whatever
# signature blkid also finds on it; it is judged again when partitions
# come (partx -a) and go (partx -d). Hybrid ISOs show their ISO 9660
# filesystem once. This host kernel has no partition parsers: partitions
# appear only through partx (BLKPG), which announces nothing for the disk.
. "$(dirname "$0")/lib.sh"

# offered_on DEV: the names of the offered media on DEV and its partitions
offered_on() {
	for f in "$STATE"/media/*; do
		[ -f "$f" ] || continue
		case $(field "$f" devname) in "$1" | "$1"p*) basename "$f" ;; esac
	done | sort | tr '\n' ' '
}
# partx_add DEV: the partitions of DEV's table made (BLKPG), at most
# five tries. Twice, while other trees' suites (storm.t) churned loop
# devices beside, partx read no table on a loop device just attached
# ("specified range <1:0>"), for seconds: what it read is logged then.
partx_add() {
	for _ in 1 2 3 4 5; do
		partx -a "$1" 2>/dev/null
		[ -e "/sys/class/block/$(basename "$1")p1" ] && return 0
		udevadm settle -t 2 2>/dev/null || sleep 1
	done
	diag "partx -a $1 made no partitions: $(losetup -l -n -O NAME,BACK-FILE,SIZELIMIT,OFFSET "$1")"
	diag "blkid -p: $(blkid -p "$1" 2>&1); size $(cat "/sys/class/block/$(basename "$1")/size")"
	diag "sector 0, last 16 bytes: $(dd if="$1" bs=16 skip=31 count=1 2>/dev/null | od -A n -t x1)"
	return 1
}
# attach_parts VAR IMG: a loop device with partition scanning on (its
# name in $VAR), removed at exit, and its partitions made; when partx
# reads no table there (above), once more on another loop device
attach_parts() {
	for _ in 1 2; do
		l=$(losetup -f --show -P "$2") || return 1
		LOOPS="$LOOPS $l"
		eval "$1=\$l"
		partx_add "$l" && return 0
		detach "$l"
	done
	return 1
}
offered_is() { [ "$(offered_on "$1")" = "$2" ]; }
reason_of() { field "$STATE/ignored/$1" reason 2>/dev/null; }
reason_is() { [ "$(reason_of "$1")" = "$2" ]; }
not_ignored() { [ ! -e "$STATE/ignored/$1" ]; }

start_mediad

# (a) a stick re-partitioned over an ext4 that filled it: a DOS table with
# two ext4 partitions, and the old superblock still at 1 KiB (sfdisk wipes
# nothing in a script), where blkid still finds it on the whole disk
img=$T/repart.img
truncate -s 40M "$img"
mkfs.ext4 -q -F -L STALE "$img"
printf 'label: dos\n2048,24576,L\n26624,49152,L\n' | sfdisk -q "$img"
mkfs.ext4 -q -F -L PART_ONE -E offset=$((2048 * 512)) "$img" 12M
mkfs.ext4 -q -F -L PART_TWO -E offset=$((26624 * 512)) "$img" 24M
check "the image: blkid sees the stale ext4 and the table on the whole disk" \
	sh -c "blkid -p -o export '$img' | grep -qx 'LABEL=STALE' &&
		blkid -p -o export '$img' | grep -qx 'PTTYPE=dos'"
attach_parts D "$img"
dk=$(basename "$D")
check "partx -a: the two partitions are offered" wait_link PART_ONE
check "both of them" wait_link PART_TWO
check "the whole disk is listed with the partition-table reason" \
	wait_until 10 "$STATE/ignored" reason_is "$dk" \
	"holds a partition table (dos); its partitions are the media"
check "the stale superblock is not offered" wait_no_link STALE
check "only the partitions are offered on that disk" \
	offered_is "$D" "PART_ONE PART_TWO "
check "each partition under its own device" \
	sh -c "[ '$(rec PART_ONE devname)' = '${D}p1' ] && [ '$(rec PART_TWO devname)' = '${D}p2' ]"

# (b) the partitions taken away (partx -d, BLKPG: no event for the disk):
# the disk is judged again, and with no partitions it is what blkid finds
# on it, the one answer left
partx -d "$D"
check "partx -d: the partitions are withdrawn" wait_no_link PART_ONE
check "both of them" wait_no_link PART_TWO
check "the disk is judged again: offered as the ext4 it carries" wait_link STALE
check "and no longer listed as ignored" wait_until 10 "$STATE/ignored" not_ignored "$dk"
check "the whole disk's device" test "$(rec STALE devname)" = "$D"

# and back: partx -a again hides the whole disk again
partx_add "$D"
check "partx -a again: the stale superblock is withdrawn" wait_no_link STALE
check "the partitions are back" wait_link PART_ONE
check "the disk is listed again with the partition-table reason" \
	wait_until 10 "$STATE/ignored" reason_is "$dk" \
	"holds a partition table (dos); its partitions are the media"

# (c) hybrid ISOs, as xorriso makes them for the live CD (livecd-build/
# scripts/iso.sh: isohybrid MBR, El Torito BIOS and EFI, the EFI image
# appended as partition 2) and as distributions do with a GPT
# (-partition_offset 16: partition 1 at 32 KiB carries its own copy of
# the volume descriptors). The ISO's data is offered once, under its
# label. Plugged in before mediad starts: as on a real plug, the kernel
# has made the partitions before the disk is announced (a loop device
# here announces the disk first, and then the disk's own signature holds
# the ISO's name for a moment).
isolinux=/usr/lib/ISOLINUX
if command -v xorriso >/dev/null && [ -f "$isolinux/isohdpfx.bin" ] &&
	[ -f "$isolinux/isolinux.bin" ]; then
	mkdir -p "$T/iso/isolinux"
	cp "$isolinux/isolinux.bin" "$T/iso/isolinux/"
	echo "hybrid content" > "$T/iso/hello.txt"
	mkfs.vfat -C -n HYBRID_EFI "$T/efi.img" 1024 >/dev/null
	# hybrid NAME LABEL XORRISO-OPTIONS...: $T/NAME.iso
	hybrid() {
		n=$1 label=$2; shift 2
		xorriso -as mkisofs -quiet -iso-level 3 -joliet -rational-rock -volid "$label" \
			-eltorito-boot isolinux/isolinux.bin -eltorito-catalog isolinux/boot.cat \
			-no-emul-boot -boot-load-size 4 -boot-info-table \
			-isohybrid-mbr "$isolinux/isohdpfx.bin" \
			-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot \
			-isohybrid-gpt-basdat "$@" -o "$T/$n.iso" "$T/iso" 2>/dev/null
	}
	hybrid mbr HYBRID_ISO -append_partition 2 0xef "$T/efi.img"
	hybrid gpt GPT_ISO -partition_offset 16 -appended_part_as_gpt \
		-append_partition 2 C12A7328-F81F-11D2-BA4B-00A0C93EC93B "$T/efi.img"
	check "the MBR hybrid: iso9660 and an MBR on the whole image" \
		sh -c "blkid -p -o export '$T/mbr.iso' | grep -qx 'TYPE=iso9660' &&
			blkid -p -o export '$T/mbr.iso' | grep -qx 'PTTYPE=dos'"
	stop_mediad
	attach_parts I "$T/mbr.iso"
	ik=$(basename "$I")
	attach_parts G "$T/gpt.iso"
	gk=$(basename "$G")
	[ "$SOURCE" = udev ] && udevadm settle -t 10
	start_mediad

	check "MBR hybrid: the ISO is offered under its label" wait_link HYBRID_ISO
	check "from its first partition (sector 0, the ISO itself)" \
		test "$(rec HYBRID_ISO devname)" = "${I}p1"
	check "MBR hybrid: the whole disk is listed with the partition-table reason" \
		wait_until 10 "$STATE/ignored" reason_is "$ik" \
		"holds a partition table (dos); its partitions are the media"
	check "MBR hybrid: the EFI system partition is listed, not offered" \
		wait_until 10 "$STATE/ignored" reason_is "${ik}p2" \
		"EFI system partition (vfat): boot loader files, not offered"
	check "MBR hybrid: one entry for the stick" offered_is "$I" "HYBRID_ISO "

	check "GPT hybrid: the ISO is offered under its label" wait_link GPT_ISO
	check "from its first partition (32 KiB in)" test "$(rec GPT_ISO devname)" = "${G}p1"
	check "GPT hybrid: the whole disk is listed with the partition-table reason" \
		wait_until 10 "$STATE/ignored" reason_is "$gk" \
		"holds a partition table (gpt); its partitions are the media"
	check "GPT hybrid: the EFI system partition is listed, not offered" \
		wait_until 10 "$STATE/ignored" reason_is "${gk}p2" \
		"EFI system partition (vfat): boot loader files, not offered"
	check "GPT hybrid: one entry for the stick" offered_is "$G" "GPT_ISO "
	check "no second name for either ISO" sh -c "! ls '$MEDIA/list' | grep -q '_ISO_'"

	# while plugged: the partitions taken away and made again, one
	# entry for the ISO's data each time. Checked by label: without
	# udevd the disk's probe and the partition's race, and the partition
	# may be named while the disk's own signature still holds the label
	# (then it is HYBRID_ISO_2, and stays so while plugged in)
	# on_stick DEV: "DEVNAME=LABEL " of each medium offered on DEV
	on_stick() {
		for n in $(offered_on "$1"); do
			printf '%s=%s ' "$(rec "$n" devname)" "$(rec "$n" label)"
		done
	}
	on_stick_is() { [ "$(on_stick "$1")" = "$2" ]; }
	partx -d "$I"
	check "MBR hybrid, partx -d: the ISO is offered once, from the whole disk" \
		wait_until 10 "$STATE/media" on_stick_is "$I" "$I=HYBRID_ISO "
	check "which is no longer listed as ignored" \
		wait_until 10 "$STATE/ignored" not_ignored "$ik"
	partx_add "$I"
	check "MBR hybrid, partx -a: the ISO is offered once, from its first partition" \
		wait_until 10 "$STATE/media" on_stick_is "$I" "${I}p1=HYBRID_ISO "
	check "and the whole disk is listed again" \
		wait_until 10 "$STATE/ignored" reason_is "$ik" \
		"holds a partition table (dos); its partitions are the media"
else
	ok "# SKIP hybrid ISOs: xorriso or isolinux missing"
fi
check "mediad alive" kill -0 "$MEDIAD_PID"
done_testing
