#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# squashfs.sh ROOT OUT: the read-only root. Compressor from SQUASHFS_COMP
# (default zstd level 15, chosen by measurement: see livecd-build/README.md).
# With SOURCE_DATE_EPOCH every time stamp is that time (passed as options:
# mksquashfs refuses both the variable and the options), so the same tree gives
# a byte-identical image (mksquashfs output is otherwise reproducible).
. "$(dirname "$0")/lib.sh"
ROOT=$1 out=$2
: "${SQUASHFS_COMP:=zstd15}" "${SQUASHFS_BLOCK:=1M}"
case $SQUASHFS_COMP in
xz) copts="-comp xz" ;;
xzbcj) copts="-comp xz -Xbcj x86" ;;
zstd) copts="-comp zstd -Xcompression-level 19" ;;
zstd*) copts="-comp zstd -Xcompression-level ${SQUASHFS_COMP#zstd}" ;;
lz4) copts="-comp lz4 -Xhc" ;;
gzip) copts="-comp gzip" ;;
lzo) copts="-comp lzo" ;;
*) die "unknown SQUASHFS_COMP=$SQUASHFS_COMP" ;;
esac
copts="$copts -b $SQUASHFS_BLOCK"
topts=
[ -n "${SOURCE_DATE_EPOCH:-}" ] &&
	topts="-mkfs-time $SOURCE_DATE_EPOCH -all-time $SOURCE_DATE_EPOCH"
# never pack a mount of the host: there must be none below ROOT now
awk -v d="$(readlink -f "$ROOT")" 'index($2, d "/") == 1 {bad=1; print "mounted: " $2} END {exit bad}' \
	/proc/self/mounts >&2 || die "mounts left below $ROOT"
rm -f "$out.part"
# shellcheck disable=SC2086
env -u SOURCE_DATE_EPOCH mksquashfs "$ROOT" "$out.part" -noappend -no-progress -quiet $copts $topts \
	-wildcards -e 'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*' >&2
mv "$out.part" "$out"
tree=$(du -sb --apparent-size "$ROOT" | cut -f1)
img=$(stat -c %s "$out")
log "squashfs ($SQUASHFS_COMP, blocks of $SQUASHFS_BLOCK): tree $((tree / 1048576)) MiB -> image $((img / 1048576)) MiB, ratio $(awk -v a="$tree" -v b="$img" 'BEGIN {printf "%.2f", a / b}')"
