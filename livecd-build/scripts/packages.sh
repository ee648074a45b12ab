#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packages.sh BASE_TAR LIST OUT: the base plus every package of LIST, as a
# tarball in the cache keyed by the base, the list and this script. A later
# build with the same inputs extracts it instead of installing again.
. "$(dirname "$0")/lib.sh"
base=$1 list=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mirror=$(host_mirror)
pkgs=$(sed -e 's/#.*//' "$list" | tr -s ' \t\n' ' ')
key=$( (readlink -f "$base"; echo "$pkgs"; cat "$here/packages.sh" "$here/lib.sh" \
	"$here/chroot-guard.sh" "$here/../config/dpkg-excludes") | sha256sum | cut -c1-16)
tarball="$LIVECD_CACHE/packages-$SUITE-$key.tar"

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
guard_off
rm -f "$ROOT/etc/resolv.conf"
cleanup_mounts
rm -f "$ROOT/var/cache/apt/archives/lock"; rm -rf "$ROOT/var/cache/apt/archives/partial"
tar -C "$ROOT" --numeric-owner --xattrs --acls -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
rm -rf "$ROOT"
# one package tree per host: drop those of older lists
for old in "$LIVECD_CACHE"/packages-*.tar; do
	[ "$old" = "$tarball" ] || rm -f "$old"
done
ln -sf "$tarball" "$out"
