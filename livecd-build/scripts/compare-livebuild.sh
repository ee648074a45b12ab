#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# compare-livebuild.sh DEB: our live CD against one made by Debian's own
# live-build from the same package list and the same mediad .deb, from one
# run: build time cold (empty caches) and warm (caches filled), ISO size,
# boot to login under the same QEMU, RAM used after login. Everything goes
# to $COMPARE_DIR (default /var/tmp/mediad-livecd-compare), with caches of
# its own: never the build's cache nor build/livecd. Not part of make check.
# COMPARE_RESUME=1 keeps what an interrupted run measured and goes on;
# COMPARE_BOOTS=N boots each ISO N times, alternating (medians; default 3).
# Our own builds take the livecd build lock (LIVECD_LOCK, default
# /tmp/livecd-build.lock; empty: none) like every livecd build on a shared
# host: do not run this under that lock yourself.
. "$(dirname "$0")/lib.sh"
deb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
dir=${COMPARE_DIR:-/var/tmp/mediad-livecd-compare}
[ -s "$deb" ] || die "no mediad .deb (make deb first)"
command -v lb >/dev/null || die "live-build is not installed (apt-get install live-build)"
mirror=$(host_mirror)
sec=${SECURITY_MIRROR:-${mirror%/debian}/debian-security}
lib_init
unmount_below "$dir" 2>/dev/null || true
[ "${COMPARE_RESUME:-0}" = 1 ] || rm -rf "$dir"
mkdir -p "$dir/lb"
res=$dir/results.txt
touch "$res"

timed() { # timed NAME COMMAND...: wall seconds of COMMAND into results
	n=$1; shift
	grep -q "^$n " "$res" && { log "$n: $(v "$n")s (measured before)"; return 0; }
	s=$(date +%s.%N)
	"$@" > "$dir/$n.log" 2>&1 || { tail -n 30 "$dir/$n.log" >&2; die "$n failed (log: $dir/$n.log)"; }
	awk -v n="$n" -v s="$s" -v e="$(date +%s.%N)" 'BEGIN {printf "%s %.0f\n", n, e - s}' >> "$res"
	log "$(tail -n1 "$res")s"
}

# ---- ours: cold (a cache of its own, empty), then warm (the ISO rebuilt)
lock=${LIVECD_LOCK-/tmp/livecd-build.lock}
ours() {
	make -C "$top" OUT="$dir/ours" LIVECD_CACHE="$dir/cache-ours" DEB="$deb" all
}
# the build lock around a measurement, so that waiting for it is not timed
locked() {
	[ -n "$lock" ] || { "$@"; return; }
	exec 9>>"$lock"; flock 9; "$@"; flock -u 9; exec 9>&-
}
v() { awk -v k="$1" '$1 == k {print $2}' "$res"; }
log "ours, cold"
locked timed ours-cold ours
grep -q "^ours-warm " "$res" || rm -rf "$dir/ours"
log "ours, warm"
locked timed ours-warm ours

# ---- live-build: the same packages, our .deb as a local package, serial
# autologin as ours (live-config logs in on tty1-6 only), a 1 s menu
cd "$dir/lb" || die "no $dir/lb"
lb_config() { # again after lb clean, which forgets it (config/ stays)
lb config --distribution "$SUITE" --architecture amd64 --archive-areas main \
	--mirror-bootstrap "$mirror" --mirror-chroot "$mirror" --mirror-binary "$mirror" \
	--mirror-chroot-security "$sec" --mirror-binary-security "$sec" \
	--apt-recommends false --debian-installer none --binary-images iso-hybrid \
	--firmware-binary false --firmware-chroot false --memtest none \
	--iso-volume MEDIAD_LB \
	--bootappend-live "boot=live components quiet console=ttyS0,115200n8 console=tty0 live-config.username=live live-config.hostname=mediad-live" \
	> "$dir/lb-config.log" 2>&1 || die "lb config failed (log: $dir/lb-config.log)"
}
lb_config
# (user-setup: live-config makes the live user with it; a recommends of
# live-config, and this build installs no recommends, as ours)
{ sed -e 's/#.*//' "$top/packages.list"; echo live-boot live-config live-config-systemd user-setup; } |
	tr -s ' \t' '\n' | sed '/^$/d' > config/package-lists/mediad.list.chroot
cp "$deb" config/packages.chroot/
d=config/includes.chroot/etc/systemd/system/serial-getty@ttyS0.service.d
mkdir -p "$d" config/bootloaders/isolinux
cp "$top/config/serial-getty@ttyS0-autologin.conf" "$d/autologin.conf"
cp /usr/share/live/build/bootloaders/isolinux/* config/bootloaders/isolinux/
sed -i -e 's/^timeout 0$/timeout 10/' config/bootloaders/isolinux/isolinux.cfg
log "live-build, cold"
timed lb-cold lb build
[ -e "$dir/livebuild.iso" ] || mv "$dir"/lb/*.iso "$dir/livebuild.iso"
lb clean >/dev/null 2>&1   # keeps cache/: the bootstrap and the packages
lb_config
log "live-build, warm"
timed lb-warm lb build
mv -f "$dir"/lb/*.iso "$dir/livebuild.iso" 2>/dev/null || true
cd "$top" || die "no $top"

# ---- the two ISOs under the same QEMU
sed -i '/^ours-iso \|^livebuild-iso \|-login\(-runs\)\? \|-cpu \|-ram \|-pkgs /d' "$res"
log "booting each ISO ${COMPARE_BOOTS:-3} times, alternating"
python3 "$top/check/compare-boot.py" --boots "${COMPARE_BOOTS:-3}" "$dir/ours/mediad-live.iso" \
	"$dir/livebuild.iso" >> "$res" || die "booting the ISOs failed"
printf '%s %s\n' ours-iso "$(stat -c %s "$dir/ours/mediad-live.iso")" \
	livebuild-iso "$(stat -c %s "$dir/livebuild.iso")" >> "$res"

mib() { awk -v b="$1" 'BEGIN {printf "%.0f MiB", b / 1048576}'; }
printf '\n%-26s %18s %18s\n' "" "livecd-build" "live-build $(dpkg-query -W -f '${Version}' live-build)"
printf '%-26s %17ss %17ss\n' "build, cold (empty cache)" "$(v ours-cold)" "$(v lb-cold)"
printf '%-26s %17ss %17ss\n' "build, warm" "$(v ours-warm)" "$(v lb-warm)"
printf '%-26s %18s %18s\n' "ISO size" "$(mib "$(v ours-iso)")" "$(mib "$(v livebuild-iso)")"
printf '%-26s %17ss %17ss\n' "boot to login (BIOS CD)" "$(v ours-login)" "$(v livebuild-login)"
printf '%-26s %18s %18s\n' "  each boot" "$(v ours-login-runs)" "$(v livebuild-login-runs)"
printf '%-26s %18s %18s\n' "QEMU CPU to login" "$(v ours-cpu)s" "$(v livebuild-cpu)s"
printf '%-26s %14s MiB %14s MiB\n' "RAM used after login" "$(v ours-ram)" "$(v livebuild-ram)"
awk '$1 == "ours-login" {o = $2} $1 == "livebuild-login" {l = $2}
	END {if (o > 0) printf "%-26s %18s %17.2fx\n", "boot, live-build / ours", "", l / o}' "$res"
printf '%-26s %18s %18s\n' "packages on the image" "$(v ours-pkgs)" "$(v livebuild-pkgs)"
log "all figures in $res; logs in $dir"
