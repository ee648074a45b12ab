#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# netboot.sh ROOT INITRD SQUASHFS OUT: the network boot files in OUT, to be
# served as they are: kernel and initramfs (TFTP), the squashfs (HTTP), a
# PXELINUX configuration (with Debian's pxelinux.0) and an iPXE script.
# Both boot with live.fetch=URL and the squashfs's sha256, which the
# initramfs checks. URL from NETBOOT_URL; @server@ in it is the DHCP
# next-server (the TFTP server) at boot. Writes nothing outside OUT.
. "$(dirname "$0")/lib.sh"
ROOT=$1 initrd=$2 squashfs=$3 out=$4
: "${NETBOOT_URL:=http://@server@:8000}"
for f in /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/ldlinux.c32; do
	[ -e "$f" ] || die "no $f (apt-get install pxelinux syslinux-common)"
done
rm -rf "$out.part"; mkdir -p "$out.part/pxelinux.cfg"
o=$out.part
kernel=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -n1)
cp "$kernel" "$o/vmlinuz"
cp "$initrd" "$o/initrd.img"
ln "$squashfs" "$o/filesystem.squashfs" 2>/dev/null || cp "$squashfs" "$o/filesystem.squashfs"
cp /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$o/"
sum=$(sha256sum < "$squashfs" | cut -c1-64)
args="console=ttyS0,115200n8 console=tty0 quiet cryptomgr.notests=1 live.fetch=$NETBOOT_URL/filesystem.squashfs live.sha256=$sum"

cat > "$o/pxelinux.cfg/default" <<EOC
# mediad live over the network (PXELINUX): kernel and initramfs by TFTP,
# the squashfs by HTTP from live.fetch, checked against live.sha256.
# Serve this folder by TFTP, and by HTTP at $NETBOOT_URL/
# (@server@: the TFTP server). Other labels at the boot: prompt (hold Shift).
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT live

LABEL live
	LINUX vmlinuz
	INITRD initrd.img
	APPEND $args

LABEL persist
	LINUX vmlinuz
	INITRD initrd.img
	APPEND $args live.persist

LABEL debug
	LINUX vmlinuz
	INITRD initrd.img
	APPEND ${args% quiet*} ${args#* quiet } live.debug
EOC

cat > "$o/mediad.ipxe" <<EOC
#!ipxe
# mediad live over the network (iPXE): kernel and initramfs from where this
# script came, the squashfs by HTTP from live.fetch, checked by live.sha256.
kernel vmlinuz initrd=initrd.img $args
initrd initrd.img
boot
EOC
(cd "$o" && sha256sum vmlinuz initrd.img filesystem.squashfs > SHA256SUMS)
rm -rf "$out"; mv "$o" "$out"
log "netboot: $out (live.fetch=$NETBOOT_URL/filesystem.squashfs)"
