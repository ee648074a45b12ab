#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packages.sh BASE_TAR OUT LIST...: the base plus every package of the
# LISTs (packages.list, and the flavour's own), as a tarball in the cache
# keyed by the base, the lists and this script. A later build with the same
# inputs extracts it instead of installing again.
. "$(dirname "$0")/lib.sh"
base=$1 out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
mirror=$(host_mirror)
pkgs=$(sed -e 's/#.*//' "$@" | tr -s ' \t\n' ' ')
key=$( (readlink -f "$base"; echo "$pkgs"; cat "$here/packages.sh" "$here/lib.sh" \
	"$here/chroot-guard.sh" "$here/../config/dpkg-excludes") | sha256sum | cut -c1-16)
tarball="$LIVECD_CACHE/packages-$SUITE-${FLAVOUR:-console}-$key.tar"

if [ -s "$tarball" ]; then
	log "packages from cache: $tarball"
	ln -sf "$tarball" "$out"
	exit 0
fi

ROOT="$LIVECD_CACHE/packages-$key.tmp"
lib_init
. "$here/chroot-guard.sh"
unmount_below "$ROOT" 2>/dev/null || true
rm -rf "$ROOT"; mkdir -p "$ROOT"
tar -C "$ROOT" --numeric-owner --xattrs --acls -xf "$base"

# before any package is unpacked: what dpkg leaves out of the image
install -m 0644 "$here/../config/dpkg-excludes" "$ROOT/etc/dpkg/dpkg.cfg.d/mediad-live"
# what debootstrap already unpacked, excluded the same way
rm -rf "$ROOT/usr/share/man/"* "$ROOT/usr/share/info/"*
find "$ROOT/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
cat > "$ROOT/etc/apt/sources.list" <<EOS
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${SECURITY_MIRROR:-${mirror%/debian}/debian-security} $SUITE-security main
EOS
# one shared download cache for every build on this host
mkdir -p "$LIVECD_CACHE/debs"
chroot_mount "$ROOT"
mnt "$ROOT/var/cache/apt/archives" --bind "$LIVECD_CACHE/debs"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
guard_on
# no initrd of initramfs-tools: the live CD boots with our own (initramfs/)
export INITRD=No
in_chroot apt-get -q update
in_chroot apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 install $pkgs
in_chroot apt-get -q -y -o Dpkg::Use-Pty=0 dist-upgrade
# UEFI and Secure Boot: Debian's signed shim and GRUB, downloaded from the
# same archive as the image and kept beside the tree, not installed in it
# (customise.sh moves them out; iso.sh puts them on the EFI partition)
mkdir -p "$ROOT/var/lib/mediad-live-efi"
in_chroot sh -c 'cd /var/lib/mediad-live-efi && apt-get -q -o APT::Sandbox::User=root \
	download shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed'
guard_off
rm -f "$ROOT/etc/resolv.conf"
cleanup_mounts
rm -f "$ROOT/var/cache/apt/archives/lock"; rm -rf "$ROOT/var/cache/apt/archives/partial"
tar -C "$ROOT" --numeric-owner --xattrs --acls -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
rm -rf "$ROOT"
# one package tree per flavour on a host: drop those of older lists
# (and those named before flavours: packages-SUITE-KEY.tar)
for old in "$LIVECD_CACHE"/packages-$SUITE-${FLAVOUR:-console}-*.tar \
	"$LIVECD_CACHE"/packages-$SUITE-????????????????.tar; do
	[ "$old" = "$tarball" ] || rm -f "$old"
done
ln -sf "$tarball" "$out"
