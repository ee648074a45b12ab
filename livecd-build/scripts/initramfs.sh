#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# initramfs.sh ROOT OUT: our own initramfs: static busybox (the host's
# busybox-static), initramfs/init and dhcp-event, and the kernel modules of
# initramfs/modules with their dependencies, taken from the live tree's kernel. Reproducible:
# sorted cpio, times clamped to SOURCE_DATE_EPOCH.
. "$(dirname "$0")/lib.sh"
ROOT=$(readlink -f "$1") out=$2
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../initramfs"
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root ||
	die "needs the static busybox of busybox-static"
kver=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -n1)
[ -n "$kver" ] || die "no kernel in $ROOT"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/etc" "$tmp/run" "$tmp/newroot" \
	"$tmp/lib/modules/$kver"
cp /bin/busybox "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"   # the interpreter of /init, before --install
install -m 0755 "$src/init" "$tmp/init"
install -m 0755 "$src/dhcp-event" "$tmp/bin/dhcp-event"
cp "$ROOT/etc/mediad-live.id" "$tmp/etc/mediad-live.id"

mods=$(sed -e 's/#.*//' "$src/modules" | tr -s ' \t\n' ' ')
md="$ROOT/usr/lib/modules/$kver"
# each listed module and everything modules.dep says it needs
want=$(for m in $mods; do
	modprobe -d "$ROOT" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
done | sort -u)
for f in $want; do
	rel=${f#"$ROOT"}; rel=${rel#/usr}          # /lib/modules/KVER/kernel/...
	mkdir -p "$tmp$(dirname "$rel")"
	cp "$ROOT/usr$rel" "$tmp$rel" 2>/dev/null || cp "$f" "$tmp$rel"
done
# loaded whatever the hardware (the rest by modalias, at boot)
sed -e 's/#.*//' "$src/modules.always" | tr -s ' \t\n' '\n' | sed '/^$/d' > "$tmp/etc/modules.always"
cp "$md/modules.order" "$md/modules.builtin" "$md/modules.builtin.modinfo" "$tmp/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$tmp" "$kver"
log "initramfs: kernel $kver, $(echo $want | wc -w) modules"

find "$tmp" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | zstd -q -19 -T0 > "$out.part"
mv "$out.part" "$out"
