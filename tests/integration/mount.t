#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# medialist mount (through Debian's automount and auto.media), --wait and
# --timeout, unmount of an automounted medium through the daemon, and eject
# of an automounted loop device.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" "$@"; }
mkimg "$T/a.img" ext4 MOUNTME
mkimg "$T/b.img" ext4 LATECOMER
start_mediad
attach A "$T/a.img"
wait_link MOUNTME

ML mount MOUNTME > "$T/out" 2>"$T/err"; st=$?
check "without automount, mount fails (1)" test $st -eq 1
check "naming the medium and the likely cause" grep -q "cannot mount MOUNTME ($A).*automount" "$T/err"

start_automount
ML mount MOUNTME > "$T/out" 2>"$T/err"; st=$?
check "mount exits 0" test $st -eq 0
check "and prints the mount point" test "$(cat "$T/out")" = "$MEDIA/auto/MOUNTME"
check "the medium is mounted there" is_mounted "$MEDIA/auto/MOUNTME"
check "the record follows" wait_until 10 "$STATE/media" rec_is MOUNTME mountpoint "$MEDIA/auto/MOUNTME"
check "list shows it mounted" sh -c "'$BUILD/medialist' -c '$CONF' -n -o NAME,STATE | grep -Eqx 'MOUNTME +mounted'"
check "mounting a mounted medium is fine" sh -c "'$BUILD/medialist' -c '$CONF' mount MOUNTME | grep -qx '$MEDIA/auto/MOUNTME'"
check "an unknown name is refused (1)" \
	sh -c "'$BUILD/medialist' -c '$CONF' mount NOPE 2>&1 | grep -q 'NOPE: no such medium'"
check "a name outside the names contract is refused" \
	sh -c "'$BUILD/medialist' -c '$CONF' mount ../etc 2>&1 | grep -q 'not a medium'"

ML unmount MOUNTME > "$T/out" 2>"$T/err"; st=$?
check "unmount of the automounted medium exits 0" test $st -eq 0
check "it is unmounted" not_mounted "$MEDIA/auto/MOUNTME"
check "the record follows" wait_until 10 "$STATE/media" rec_is MOUNTME mountpoint ""

# --wait: a medium plugged in after the command started
ML mount --wait --timeout 20 LATECOMER > "$T/late" 2>&1 & WP=$!
attach B "$T/b.img"
wait "$WP"; st=$?
check "mount --wait waits for the medium and mounts it" test $st -eq 0
check "printing its mount point" test "$(cat "$T/late")" = "$MEDIA/auto/LATECOMER"
ML mount --timeout 0.5 NEVERCOMES 2>"$T/err"; st=$?
check "--timeout gives up (1) naming the medium" \
	sh -c "test $st -eq 1 && grep -q 'NEVERCOMES: did not appear within 0.5 s' '$T/err'"

# eject of a mounted, automounted loop device
ML mount MOUNTME >/dev/null
ML eject MOUNTME > "$T/out" 2>"$T/err"; st=$?
check "eject exits 0" test $st -eq 0
check "and says the loop device is detached" grep -q "$(basename "$A") detached" "$T/out"
check "nothing left mounted" not_mounted "$MEDIA/auto/MOUNTME"
check "the medium is withdrawn" wait_no_link MOUNTME
check "the daemon logged who asked" grep -q "eject MOUNTME requested by uid 0" "$LOG"
done_testing
