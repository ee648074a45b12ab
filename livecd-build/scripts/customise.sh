#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# customise.sh PACKAGES_TAR DEB ROOT: the live tree, made afresh every time
# from the cached package tree: our mediad .deb, the live user, autologin,
# motd, the udev rule that hides the live medium, and a clean-up of every
# file a build leaves that no package owns. Services never start here.
. "$(dirname "$0")/lib.sh"
pkgtar=$1 deb=$2 ROOT=$3
here=$(cd "$(dirname "$0")" && pwd)
cfg="$here/../config"
: "${ISO_UUID:?}" "${EFI_SERIAL:?}" "${LIVE_ID:?}"
lib_init
. "$here/chroot-guard.sh"

unmount_below "$ROOT" 2>/dev/null || true
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" --numeric-owner --xattrs --acls -xf "$pkgtar"

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
install -m 0440 "$cfg/sudoers-live" "$ROOT/etc/sudoers.d/live"

# autologin on tty1 and on the serial console
for unit in getty@tty1 serial-getty@ttyS0; do
	install -d "$ROOT/etc/systemd/system/$unit.service.d"
	install -m 0644 "$cfg/$unit-autologin.conf" \
		"$ROOT/etc/systemd/system/$unit.service.d/autologin.conf"
done
install -m 0644 "$cfg/motd" "$ROOT/etc/motd"
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
in_chroot systemctl mask apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer getty-static.service >/dev/null 2>&1 || true
# systemd reruns ldconfig, hwdb and catalog updates at boot when /usr is
# newer than /etc/.updated and /var/.updated; the squashfs gives every file
# the time SOURCE_DATE_EPOCH, so this image is up to date by construction
for d in etc var; do
	printf 'TIMESTAMP_NSEC=%s000000000\n' "$SOURCE_DATE_EPOCH" > "$ROOT/$d/.updated"
done

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
