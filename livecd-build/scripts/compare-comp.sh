#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# compare-comp.sh ROOT: time and size of the squashfs of ROOT under each
# compressor the kernel reads, to choose SQUASHFS_COMP (README has the
# figures). Boot speed is measured apart: make check SQUASHFS_COMP=...
. "$(dirname "$0")/lib.sh"
ROOT=$1
tmp=$(mktemp -d /var/tmp/mediad-comp.XXXXXX); trap 'rm -rf "$tmp"' EXIT
tree=$(du -sb --apparent-size "$ROOT" | cut -f1)
printf '%-8s %8s %8s %6s\n' comp seconds MiB ratio
for c in ${COMPS:-xz xzbcj zstd19 zstd15 lz4hc gzip}; do
	case $c in
	xz) o="-comp xz" ;; xzbcj) o="-comp xz -Xbcj x86" ;;
	zstd*) o="-comp zstd -Xcompression-level ${c#zstd}" ;;
	lz4hc) o="-comp lz4 -Xhc" ;; gzip) o="-comp gzip" ;;
	esac
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	env -u SOURCE_DATE_EPOCH mksquashfs "$ROOT" "$tmp/$c.sq" -noappend -no-progress -quiet \
		-b 1M $o -wildcards -e 'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*' >/dev/null
	e=$(date +%s.%N)
	sz=$(stat -c %s "$tmp/$c.sq")
	awk -v c="$c" -v s="$s" -v e="$e" -v z="$sz" -v t="$tree" \
		'BEGIN {printf "%-8s %8.1f %8.1f %6.2f\n", c, e - s, z / 1048576, t / z}'
	rm -f "$tmp/$c.sq"
done
