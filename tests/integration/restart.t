#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Restarts keep names: after a crash (kill -9, records left behind) and
# after a clean stop (the previous/ memo). Stale entries of media that left
# while the daemon was down are removed.
. "$(dirname "$0")/lib.sh"

mkimg "$T/a.img" ext4 SAME
mkimg "$T/b.img" ext4 SAME
mkimg "$T/c.img" ext4 GONE
start_mediad
# b first, so that b is SAME and a is SAME_2: the opposite of what a fresh
# enumeration (a before b) would choose
attach B "$T/b.img"
check "b is SAME" wait_link SAME
attach A "$T/a.img"
check "a is SAME_2" wait_link SAME_2
attach C "$T/c.img"
check "c is GONE" wait_link GONE

stop_mediad KILL
check "after kill -9 the records are still there" test -e "$STATE/media/SAME_2"
detach "$C"
start_mediad
check "restart after a crash: b is still SAME" test "$(rec SAME devname)" = "$B"
check "restart after a crash: a is still SAME_2" test "$(rec SAME_2 devname)" = "$A"
check "stale link of a medium gone meanwhile is removed" no_link GONE
check "and its record" test ! -e "$STATE/media/GONE"
check "no duplicate: exactly two of our media published" \
	test "$(our_names | wc -l)" -eq 2

stop_mediad TERM
check "clean stop withdrew the links" test -z "$(ls "$MEDIA/list")"
start_mediad
check "restart after a clean stop: b is still SAME" test "$(rec SAME devname)" = "$B"
check "restart after a clean stop: a is still SAME_2" test "$(rec SAME_2 devname)" = "$A"
check "the memo of the clean stop is gone once used" test -z "$(ls "$STATE/previous")"

# a medium pulled and plugged in again while mediad was down is another
# disk (a new sequence number): the record left behind for it must not
# keep its name from it (the "LABEL_3 after a crash" of udisks2 users)
stop_mediad KILL
detach "$B"
attach B "$T/b.img"
start_mediad
check "re-attached while down: b is SAME again, not SAME_3" \
	test "$(rec SAME devname)" = "$B"
check "re-attached while down: a is still SAME_2" test "$(rec SAME_2 devname)" = "$A"
check "no SAME_3" test ! -e "$STATE/media/SAME_3"

# a planted record naming a device that is not a medium is not trusted
stop_mediad KILL
printf 'name=EVIL\ndevname=/dev/null\ndevnum=1:3\n' > "$STATE/media/EVIL"
ln -s /etc "$MEDIA/list/EVIL"
start_mediad
check "planted record swept" test ! -e "$STATE/media/EVIL"
check "planted link swept" no_link EVIL
check "/etc untouched" test -d /etc -a ! -L /etc
done_testing
