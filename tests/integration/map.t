#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# auto.media on its own: what it prints for a good key, and that every bad
# key, planted record and stale device is refused with status 1 and
# nothing on stdout.
. "$(dirname "$0")/lib.sh"

mkimg "$T/a.img" ext4 MAPKEY
start_mediad
attach A "$T/a.img"
check "medium published" wait_link MAPKEY
export MEDIAD_CONFIG="$CONF"
out=$("$BUILD/auto.media" MAPKEY); st=$?
check "a published key: status 0" test $st -eq 0
devlink="$STATE/dev/$(rec MAPKEY devnum | tr : -)-$(rec MAPKEY diskseq)"
# through the mount helper (tests/integration/run links /sbin/mount.mediad)
check "prints -fstype=mediad.TYPE,OPTIONS :LINK, LINK this medium's device link" \
	test "$out" = "-fstype=mediad.ext4,$(rec MAPKEY options) :$devlink"
check "the device link points at the device node" test "$(readlink "$devlink")" = "$A"

# refuse(DESC KEY): status 1, empty stdout
refuse() {
	o=$("$BUILD/auto.media" "$2" 2>/dev/null); s=$?
	if [ $s -eq 1 ] && [ -z "$o" ]; then ok "refused: $1"; else not_ok "refused: $1 (status $s, out '$o')"; fi
}
refuse ".." ".."
refuse "." "."
refuse "a/b" "a/b"
refuse "../../etc/passwd" "../../etc/passwd"
refuse "-o" "-o"
refuse "leading space" " MAPKEY"
refuse "trailing space" "MAPKEY "
refuse "control byte" "$(printf 'MAP\001KEY')"
refuse "newline" "$(printf 'MAP\nKEY')"
refuse "escape sequence" "$(printf '\033[31m')"
refuse "invalid UTF-8" "$(printf 'MAP\377')"
refuse "65 bytes" "$(printf '%065d' 0)"
refuse "empty" ""
refuse "an unknown name" "NOSUCHNAME"
o=$("$BUILD/auto.media" 2>/dev/null); s=$?
check "no key at all: status 1, nothing printed" test $s -eq 1 -a -z "$o"
check "the refusal says why on stderr" \
	sh -c "'$BUILD/auto.media' NOSUCHNAME 2>&1 >/dev/null | grep -q 'no such medium'"

# planted records: a symlink, a group-writable file, a record naming
# another device, a record whose diskseq is stale
R="$STATE/media"
ln -s "$R/MAPKEY" "$R/LINKED"
refuse "a record that is a symlink" LINKED
sed 's/^name=MAPKEY$/name=GW/' "$R/MAPKEY" > "$R/GW"; chmod 664 "$R/GW"
refuse "a group-writable record" GW
sed -e 's/^name=MAPKEY$/name=OTHERDEV/' -e 's/^devnum=.*/devnum=1:3/' "$R/MAPKEY" > "$R/OTHERDEV"
refuse "a record whose device number is not its device's" OTHERDEV
sed -e 's/^name=MAPKEY$/name=STALESEQ/' -e 's/^diskseq=.*/diskseq=999999/' "$R/MAPKEY" > "$R/STALESEQ"
refuse "a record whose diskseq is stale" STALESEQ
sed -e 's/^name=MAPKEY$/name=EVILDEV/' -e 's|^devname=.*|devname=/dev/../etc/passwd|' "$R/MAPKEY" > "$R/EVILDEV"
refuse "a record naming a path outside /dev" EVILDEV
sed -e 's/^name=MAPKEY$/name=NOOPTS/' -e 's/^options=.*/options=/' "$R/MAPKEY" > "$R/NOOPTS"
refuse "a record with no options (not offered)" NOOPTS
sed -e 's/^name=MAPKEY$/name=MISNAMED/' "$R/MAPKEY" > "$R/OTHERNAME"
refuse "a record filed under another name" OTHERNAME
printf 'garbage\n' > "$R/GARBAGE"
refuse "an unparsable record" GARBAGE

# after the device is detached, the old record (if a reader still saw it)
# no longer matches the device
cp "$R/MAPKEY" "$T/saved"
detach "$A"
check "detached: withdrawn" wait_no_link MAPKEY
check "and its device link is gone" test ! -L "$devlink"
cp "$T/saved" "$R/MAPKEY"
refuse "a record of a detached device" MAPKEY
rm -f "$R/MAPKEY"

# no environment at all (as autofs may run it): the default config path,
# which names no state directory of ours; still a clean refusal
o=$(env -i "$BUILD/auto.media" MAPKEY 2>/dev/null); s=$?
check "empty environment: status 1, nothing printed" test $s -eq 1 -a -z "$o"
done_testing
