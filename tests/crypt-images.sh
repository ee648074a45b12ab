#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Real BitLocker, TrueCrypt and VeraCrypt volumes for the tests of
# encrypted media: the images of cryptsetup's own test suite (made with
# Windows' BitLocker and with TrueCrypt and VeraCrypt themselves; Debian
# has no tool that writes BitLocker, nor VeraCrypt's format), taken from
# the source package of the cryptsetup that Debian ships, with apt-get
# and a private source list (the machine's apt configuration is left
# alone). Cached under $CRYPT_IMAGES_CACHE (default
# /var/cache/mediad/crypt-images); prints the directory that holds
# bitlk-images/ and tcrypt-images/. Exit 77 when they cannot be had
# (offline): the tests that need them say so and skip.
set -eu
CACHE=${CRYPT_IMAGES_CACHE:-/var/cache/mediad/crypt-images}
ver=$(dpkg-query -W -f '${source:Version}' libcryptsetup12 2>/dev/null || true)
[ -n "$ver" ] || ver=$(apt-cache policy libcryptsetup12 2>/dev/null |
	sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] || { echo "crypt-images: no cryptsetup version known" >&2; exit 77; }
dir=$CACHE/$(echo "$ver" | tr ':~' '__')
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/crypt-images.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sp" "$work/lists/partial" "$work/dl"
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\n' \
	"$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")" > "$work/sp/src.sources"
apt() {
	apt-get -q -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$work/sp" \
		-o Dir::State::lists="$work/lists" -o APT::Sandbox::User=root "$@"
}
if ! apt update >"$work/log" 2>&1 ||
	! (cd "$work/dl" && apt source --download-only "cryptsetup=${ver#*:}" ||
	   apt source --download-only cryptsetup) >>"$work/log" 2>&1; then
	tail -3 "$work/log" >&2
	echo "crypt-images: cannot fetch the cryptsetup source" >&2
	exit 77
fi
orig=$(ls "$work"/dl/cryptsetup_*.orig.tar.* | head -1)
top=$(tar tf "$orig" | head -1 | cut -d/ -f1)
tar xf "$orig" -C "$work" "$top/tests/bitlk-images.tar.xz" "$top/tests/tcrypt-images.tar.xz"
mkdir -p "$dir.new"
# BitLocker To Go (FAT inside), and a volume with a startup key (.BEK);
# the images are sparse: 100 MiB each, a few KiB on disk
tar xJf "$work/$top/tests/bitlk-images.tar.xz" -C "$dir.new" --wildcards --no-same-owner \
	'bitlk-images/images.conf' 'bitlk-images/*.BEK' \
	'bitlk-images/bitlk-togo-aes-xts-128.img' 'bitlk-images/bitlk-aes-xts-128-startup-key.img'
tar xJf "$work/$top/tests/tcrypt-images.tar.xz" -C "$dir.new" --no-same-owner
echo "cryptsetup $ver ($(basename "$orig"))" > "$dir.new/done"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
