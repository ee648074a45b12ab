#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# customise.sh PACKAGES_TAR DEB ROOT EFI: the live tree, made afresh every
# time from the cached package tree: our mediad .deb, the live user,
# autologin, motd, the udev rule that hides the live medium, and a clean-up
# of every file a build leaves that no package owns; the signed EFI boot
# files the package stage downloaded are moved out of it to EFI.
# Services never start here.
. "$(dirname "$0")/lib.sh"
pkgtar=$1 deb=$2 ROOT=$3 efi=$4
case $ROOT in ''|/) die "refusing ROOT='$ROOT'" ;; esac   # rm -rf "$ROOT/dev/"* below
here=$(cd "$(dirname "$0")" && pwd)
cfg="$here/../config"
: "${ISO_UUID:?}" "${EFI_SERIAL:?}" "${LIVE_ID:?}"
lib_init
. "$here/chroot-guard.sh"

unmount_below "$ROOT" 2>/dev/null || true
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" --numeric-owner --xattrs --acls -xf "$pkgtar"
# Debian's signed shim, MokManager and GRUB (for CDs: gcdx64.efi) and the
# versions they came in, for iso.sh; never part of the image itself
rm -rf "$efi"; mkdir -p "$efi/x"
for d in "$ROOT"/var/lib/mediad-live-efi/*.deb; do
	[ -e "$d" ] || die "no signed EFI packages in the package tree"
	dpkg-deb -x "$d" "$efi/x"
	pkg=$(dpkg-deb -f "$d" Package)
	echo "$pkg $(dpkg-deb -f "$d" Version)" >> "$efi/versions.txt"
	cp "$efi/x/usr/share/doc/$pkg/copyright" "$efi/$pkg.copyright"
done
for f in shim/shimx64 shim/mmx64 grub/x86_64-efi-signed/gcdx64; do
	cp "$efi/x/usr/lib/$f.efi.signed" "$efi/${f##*/}.efi"
done
rm -rf "$efi/x" "$ROOT/var/lib/mediad-live-efi"

chroot_mount "$ROOT"
mnt "$ROOT/var/cache/apt/archives" --bind "$LIVECD_CACHE/debs"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
guard_on

if [ -n "$deb" ]; then
	log "installing $(basename "$deb")"
	cp "$deb" "$ROOT/tmp/"
	in_chroot apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 \
		install "/tmp/$(basename "$deb")"
else
	[ "${ALLOW_NO_MEDIAD:-}" = 1 ] || die "no mediad .deb (run make deb first)"
	log "WARNING: image without mediad (ALLOW_NO_MEDIAD=1)"
fi

# the live user: no password, plugdev for mediad's control socket, sudo
in_chroot useradd --create-home --shell /bin/bash --comment "Live user" \
	--groups plugdev,sudo,cdrom,audio,video,users live
in_chroot passwd --quiet --delete live
# the login shell has bash-completion from /etc/profile.d already: the
# skeleton .bashrc would load it a second time (a second or more of every
# login under emulation)
sed -i 's/^if ! shopt -oq posix; then$/if ! shopt -oq posix \&\& [ -z "${BASH_COMPLETION_VERSINFO-}" ]; then/' \
	"$ROOT/home/live/.bashrc"
grep -q BASH_COMPLETION_VERSINFO "$ROOT/home/live/.bashrc" || die "skeleton .bashrc changed: no guard"
install -m 0440 "$cfg/sudoers-live" "$ROOT/etc/sudoers.d/live"

# autologin on tty1 and on the serial console
for unit in getty@tty1 serial-getty@ttyS0; do
	install -d "$ROOT/etc/systemd/system/$unit.service.d"
	install -m 0644 "$cfg/$unit-autologin.conf" \
		"$ROOT/etc/systemd/system/$unit.service.d/autologin.conf"
done
install -m 0644 "$cfg/motd" "$ROOT/etc/motd"
# the static motd says what matters: no run-parts of update-motd.d (a
# shell, run-parts and uname) on the autologin's path at every boot
sed -i '/pam_motd.so motd=\/run\/motd.dynamic/d' "$ROOT/etc/pam.d/login"
grep -q 'pam_motd.so noupdate' "$ROOT/etc/pam.d/login" || die "pam.d/login changed: no static motd"
echo mediad-live > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tmediad-live\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	> "$ROOT/etc/hosts"
install -m 0644 "$cfg/fstab" "$ROOT/etc/fstab"

# the live medium (the CD, or the stick the ISO was dd'd to: its iso9660
# whole disk and partition carry ISO_UUID, its EFI partition EFI_SERIAL)
# is listed by mediad as ignored, never mounted. The initramfs adds a
# rule for the exact boot device under /run at boot as well.
sed -e "s/@ISO_UUID@/$ISO_UUID/g" -e "s/@EFI_UUID@/$EFI_UUID/g" \
	"$cfg/60-mediad-live.rules" > "$ROOT/etc/udev/rules.d/60-mediad-live.rules"
echo "$LIVE_ID" > "$ROOT/etc/mediad-live.id"

# boot faster under emulation and stay quiet on a read-only medium: a
# console system (no graphical target), no timers for a system that lives
# an hour, no gettys on tty2-6 before anyone asks (logind spawns them)
in_chroot systemctl set-default multi-user.target >/dev/null
in_chroot systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer getty-static.service \
	systemd-pstore.service >/dev/null 2>&1 || true
install -d "$ROOT/etc/systemd/journald.conf.d"
install -m 0644 "$cfg/journald-live.conf" "$ROOT/etc/systemd/journald.conf.d/mediad-live.conf"
install -m 0644 "$cfg/modprobe-live.conf" "$ROOT/etc/modprobe.d/mediad-live.conf"
# generators that find nothing on a live system (no crypttab, veritytab,
# integritytab; every init script has a unit) or must not act on it (never
# mount the host disk's partitions, never resume its hibernation image)
install -d "$ROOT/etc/systemd/system-generators"
for g in gpt-auto hibernate-resume cryptsetup veritysetup integritysetup sysv; do
	ln -sf /dev/null "$ROOT/etc/systemd/system-generators/systemd-$g-generator"
done
# systemd reruns ldconfig, hwdb and catalog updates at boot when /usr is
# newer than /etc/.updated and /var/.updated; the squashfs gives every file
# the time SOURCE_DATE_EPOCH, so this image is up to date by construction
for d in etc var; do
	printf 'TIMESTAMP_NSEC=%s000000000\n' "$SOURCE_DATE_EPOCH" > "$ROOT/$d/.updated"
done

# a flavour's own changes (config/flavour-NAME.sh, sourced: ROOT, cfg,
# in_chroot at hand, services still kept from starting)
if [ -f "$cfg/flavour-${FLAVOUR:-console}.sh" ]; then
	log "flavour ${FLAVOUR:-console}"
	# shellcheck source=/dev/null
	. "$cfg/flavour-${FLAVOUR:-console}.sh"
fi

guard_off
rm -f "$ROOT/etc/resolv.conf"
cleanup_mounts

# what a build leaves and no package owns: logs, caches, keys, backups
rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin \
	"$ROOT/var/cache/apt/archives/"* "$ROOT/var/cache/debconf/"*-old \
	"$ROOT/var/cache/ldconfig/aux-cache" "$ROOT/var/lib/dpkg/"*-old \
	"$ROOT/etc/"*- "$ROOT/var/log/"*.log "$ROOT/var/log/apt/"* \
	"$ROOT/tmp/"* "$ROOT/var/tmp/"* "$ROOT/dev/"* "$ROOT/run/"* \
	"$ROOT/var/lib/systemd/catalog/database"
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"
# apt-get update works again on the live system
mkdir -p "$ROOT/var/lib/apt/lists/partial" "$ROOT/var/cache/apt/archives/partial"
