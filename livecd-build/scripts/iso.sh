#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# iso.sh ROOT INITRD SQUASHFS MANIFEST OUT: the hybrid ISO. BIOS: isolinux
# (El Torito, and an MBR so that dd to a stick boots); UEFI: a standalone
# GRUB in a FAT image appended as an EFI system partition (and El Torito
# EFI entry). The live medium carries /live/mediad-live.id, which the
# initramfs looks for.
. "$(dirname "$0")/lib.sh"
ROOT=$1 initrd=$2 squashfs=$3 manifest=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)
cfg="$here/../config/iso"
: "${ISO_UUID:?}" "${ISO_UUID_RAW:?}" "${EFI_SERIAL:?}" "${LIVE_ID:?}"
work="$out.d"
rm -rf "$work"; mkdir -p "$work/tree/live" "$work/tree/isolinux" "$work/tree/boot/grub"
t=$work/tree
kernel=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -n1)
cp "$kernel" "$t/live/vmlinuz"
cp "$initrd" "$t/live/initrd.img"
cp "$manifest" "$t/live/manifest.txt"
echo "$LIVE_ID" > "$t/live/mediad-live.id"
for f in /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	/usr/lib/syslinux/modules/bios/menu.c32 /usr/lib/syslinux/modules/bios/libutil.c32 \
	/usr/lib/syslinux/modules/bios/libcom32.c32; do
	cp "$f" "$t/isolinux/"
done
cp "$cfg/isolinux.cfg" "$t/isolinux/"
cp "$cfg/grub.cfg" "$t/boot/grub/grub.cfg"

# GRUB for UEFI: finds this very ISO by its volume UUID, then reads the menu
cat > "$work/embedded.cfg" <<EOC
search --no-floppy --fs-uuid --set=root $ISO_UUID
set prefix=(\$root)/boot/grub
configfile /boot/grub/grub.cfg
EOC
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" \
	--modules="part_gpt part_msdos iso9660 fat search search_fs_uuid configfile linux normal echo test all_video" \
	--install-modules="part_gpt part_msdos iso9660 fat search search_fs_uuid configfile linux normal echo test all_video gzio zstd xzio boot efi_gop efi_uga video video_fb font gfxterm terminal" \
	--locales= --themes= --fonts= "boot/grub/grub.cfg=$work/embedded.cfg"
kib=$(( $(stat -c %s "$work/BOOTX64.EFI") / 1024 + 256 ))
mkfs.vfat -C -i "$EFI_SERIAL" -n MEDIAD_EFI "$work/efiboot.img" "$kib" >/dev/null
mmd -i "$work/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/efiboot.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

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
log "ISO $(($(stat -c %s "$out") / 1048576)) MiB: $out"
