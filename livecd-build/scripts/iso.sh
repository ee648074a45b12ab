#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# iso.sh ROOT INITRD SQUASHFS MANIFEST EFI OUT: the hybrid ISO. BIOS:
# isolinux (El Torito, and an MBR so that dd to a stick boots); UEFI, with
# or without Secure Boot: Debian's signed chain, shim (BOOTX64.EFI) then
# GRUB (gcdx64.efi as grubx64.efi) then Debian's signed kernel, from a FAT
# image appended as an EFI system partition (and El Torito EFI entry). The
# initramfs is ours and unsigned: shim and GRUB verify only the kernel.
# The live medium carries /live/mediad-live.id, which the initramfs looks for.
. "$(dirname "$0")/lib.sh"
ROOT=$1 initrd=$2 squashfs=$3 manifest=$4 efi=$5 out=$6
here=$(cd "$(dirname "$0")" && pwd)
cfg="$here/../config/iso"
: "${ISO_UUID:?}" "${ISO_UUID_RAW:?}" "${EFI_SERIAL:?}" "${LIVE_ID:?}"
for f in shimx64.efi mmx64.efi gcdx64.efi versions.txt; do
	[ -s "$efi/$f" ] || die "no $efi/$f (the customise stage puts it there)"
done
work="$out.d"
rm -rf "$work"; mkdir -p "$work/tree/live/efi" "$work/tree/isolinux" "$work/tree/boot/grub"
t=$work/tree
kernel=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -n1)
cp "$kernel" "$t/live/vmlinuz"
cp "$initrd" "$t/live/initrd.img"
cp "$manifest" "$t/live/manifest.txt"
echo "$LIVE_ID" > "$t/live/mediad-live.id"
# what the EFI partition holds: package versions and their copyright files
cp "$efi/versions.txt" "$efi/"*.copyright "$t/live/efi/"
for f in /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	/usr/lib/syslinux/modules/bios/menu.c32 /usr/lib/syslinux/modules/bios/libutil.c32 \
	/usr/lib/syslinux/modules/bios/libcom32.c32; do
	cp "$f" "$t/isolinux/"
done
cp "$cfg/isolinux.cfg" "$t/isolinux/"
cp "$cfg/grub.cfg" "$t/boot/grub/grub.cfg"

# Debian's signed GRUB for CDs has /boot/grub of its own partition as
# prefix and sources grub.cfg there (else $cmdpath/grub.cfg): that file
# finds this very ISO by its volume UUID and reads the menu from it.
cat > "$work/esp-grub.cfg" <<EOC
search --no-floppy --fs-uuid --set=root $ISO_UUID
set prefix=(\$root)/boot/grub
configfile \$prefix/grub.cfg
EOC
kib=$(( ( $(cat "$efi/shimx64.efi" "$efi/mmx64.efi" "$efi/gcdx64.efi" | wc -c) ) / 1024 + 512 ))
mkfs.vfat -C -i "$EFI_SERIAL" -n MEDIAD_EFI "$work/efiboot.img" "$kib" >/dev/null
mmd -i "$work/efiboot.img" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub
mcopy -i "$work/efiboot.img" "$efi/shimx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/efiboot.img" "$efi/gcdx64.efi" ::/EFI/BOOT/grubx64.efi
mcopy -i "$work/efiboot.img" "$efi/mmx64.efi" ::/EFI/BOOT/mmx64.efi
mcopy -i "$work/efiboot.img" "$work/esp-grub.cfg" ::/boot/grub/grub.cfg
mcopy -i "$work/efiboot.img" "$work/esp-grub.cfg" ::/EFI/BOOT/grub.cfg

# (with SOURCE_DATE_EPOCH set, xorriso gives every file that time itself;
# the squashfs is grafted in, not linked, so its own time stays for make)
xorriso -as mkisofs -quiet -iso-level 3 -full-iso9660-filenames -joliet -rational-rock \
	-volid MEDIAD_LIVE -appid "mediad live" -publisher "mediad" \
	--modification-date="$ISO_UUID_RAW" \
	-eltorito-boot isolinux/isolinux.bin -eltorito-catalog isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table \
	-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
	-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot \
	-isohybrid-gpt-basdat -append_partition 2 0xef "$work/efiboot.img" \
	-o "$out.part" -graft-points "/=$t" "/live/filesystem.squashfs=$squashfs" >&2
mv "$out.part" "$out"
rm -rf "$work"
log "ISO $(($(stat -c %s "$out") / 1048576)) MiB: $out ($(paste -sd, "$efi/versions.txt"))"
