#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Two filesystems with one UUID: a copy of an image, then the copy altered
# (another file written into it). Both are offered, under distinct names
# and distinct device links, and each name mounts its own content: nothing
# in mediad keys a medium on its UUID alone. Then the copy with its label
# changed too: still two media, each its own.
. "$(dirname "$0")/lib.sh"

rm -rf "$T/root" && mkdir "$T/root" && echo original > "$T/root/marker"
truncate -s 16M "$T/o.img"
mkfs.ext4 -q -F -L TWINUUID -d "$T/root" "$T/o.img"
cp "$T/o.img" "$T/c.img"
echo copy > "$T/copy-marker"
debugfs -w -R "rm marker" "$T/c.img" >/dev/null 2>&1
debugfs -w -R "write $T/copy-marker marker" "$T/c.img" >/dev/null 2>&1
uo=$(blkid -p -o value -s UUID "$T/o.img")
check "the copy has the original's UUID ($uo)" \
	test "$(blkid -p -o value -s UUID "$T/c.img")" = "$uo"
check "and other content" sh -c "debugfs -R 'cat marker' '$T/c.img' 2>/dev/null | grep -qx copy"

start_mediad
start_automount
attach O "$T/o.img"
check "original is TWINUUID" wait_link TWINUUID
attach C "$T/c.img"
check "copy is TWINUUID_2" wait_link TWINUUID_2
check "TWINUUID_2 is the copy's device" test "$(rec TWINUUID_2 devname)" = "$C"
check "both records carry the one UUID" \
	test "$(rec TWINUUID uuid) $(rec TWINUUID_2 uuid)" = "$uo $uo"
d1=$(readlink "$(MEDIAD_CONFIG=$CONF "$BUILD/auto.media" TWINUUID | sed 's/.* ://')")
d2=$(readlink "$(MEDIAD_CONFIG=$CONF "$BUILD/auto.media" TWINUUID_2 | sed 's/.* ://')")
check "distinct device links, each to its own device ($d1, $d2)" \
	test "$d1" = "$O" -a "$d2" = "$C"
check "TWINUUID mounts the original" sh -c "grep -qx original '$MEDIA/list/TWINUUID/marker'"
check "TWINUUID_2 mounts the copy" sh -c "grep -qx copy '$MEDIA/list/TWINUUID_2/marker'"
check "two mounts of two devices" \
	test "$(awk -v a="$MEDIA/auto/" 'index($2, a) == 1 {print $1}' /proc/self/mounts | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "$O" "$C" | sort | tr '\n' ' ')"
contract_checks "same UUID" "$O" "$C"

# the original pulled: the copy keeps its name and its content
stop_automount
detach "$O"
check "original pulled: TWINUUID withdrawn" wait_no_link TWINUUID
check "the copy keeps TWINUUID_2" test "$(rec TWINUUID_2 devname)" = "$C"

# a restart with both present again: the hints of the earlier instance
# match on device and diskseq as well as UUID, so neither takes the
# other's name
attach O "$T/o.img"
check "original back: TWINUUID again" wait_link TWINUUID
stop_mediad KILL
start_mediad
check "after a crash: TWINUUID is the original" test "$(rec TWINUUID devname)" = "$O"
check "and TWINUUID_2 the copy" test "$(rec TWINUUID_2 devname)" = "$C"

# the copy relabelled (same UUID, another label): its own name, the
# original untouched
stop_mediad TERM
detach "$C"
e2label "$T/c.img" RELABELLED
attach C "$T/c.img"
start_mediad
check "relabelled copy: published under its new label" test "$(rec RELABELLED devname)" = "$C"
check "the original keeps TWINUUID" test "$(rec TWINUUID devname)" = "$O"
start_automount
check "RELABELLED mounts the copy" sh -c "grep -qx copy '$MEDIA/list/RELABELLED/marker'"
check "TWINUUID the original" sh -c "grep -qx original '$MEDIA/list/TWINUUID/marker'"
contract_checks "same UUID, relabelled" "$O" "$C"
done_testing
