#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# automount caches what a program map answered (and a failed lookup) for
# negative_timeout seconds; mediad's master line sets it to 1. A stick
# replaced by another under the same name, and a name looked up just
# before it was published, must both end with the right medium mounted.
. "$(dirname "$0")/lib.sh"

write_conf "expire_timeout = 1"
mkimg "$T/a.img" ext4 SAMENAME
debugfs -w -R "write /etc/hostname first.txt" "$T/a.img" >/dev/null 2>&1
mkimg "$T/b.img" ext4 SAMENAME
debugfs -w -R "write /etc/hostname second.txt" "$T/b.img" >/dev/null 2>&1
start_mediad
start_automount
check "the master line carries --negative-timeout=1" \
	grep -q -- "--negative-timeout=1" "$T/auto.master"

attach A "$T/a.img"
check "first stick published" wait_link SAMENAME
check "first stick's file is seen" test -e "$MEDIA/list/SAMENAME/first.txt"
check "it expires" wait_until 20 "$STATE/media" rec_is SAMENAME mountpoint ""
detach "$A"
check "first stick pulled" wait_no_link SAMENAME
attach B "$T/b.img"
check "second stick published under the same name" wait_link SAMENAME
check "record names the second device" rec_is SAMENAME devname "$B"
# automount may still hold the first answer for up to negative_timeout
seen_second() { [ -e "$MEDIA/list/SAMENAME/second.txt" ]; }
check "within a few seconds the second stick is what mounts" \
	wait_until 5 "$STATE/media" seen_second
check "and never the first one's content" test ! -e "$MEDIA/list/SAMENAME/first.txt"
check "mounted device is the second one" \
	test "$(findmnt -n -o SOURCE --target "$MEDIA/list/SAMENAME/")" = "$B"

# a name looked up before it exists is cached as missing; once published
# it must mount within about a second
mkimg "$T/c.img" ext4 LATECOMER
check "looked up before it exists: ENOENT" sh -c "! ls '$MEDIA/auto/LATECOMER' 2>/dev/null"
attach C "$T/c.img"
check "then published" wait_link LATECOMER
seen_late() { ls "$MEDIA/list/LATECOMER/" >/dev/null 2>&1; }
check "and reachable within the negative timeout" wait_until 5 "$STATE/media" seen_late
done_testing
