#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The removal path as far as loop devices allow (a loop device cannot
# vanish while mounted; real surprise removal is tested in QEMU): detached
# while idle, detached while mounted (withdrawn once the mount is released),
# and a change that takes the filesystem away.
. "$(dirname "$0")/lib.sh"

write_conf "expire_timeout = 1"
start_mediad
start_automount
mkimg "$T/a.img" ext4 IDLEPULL
attach A "$T/a.img"
check "published" wait_link IDLEPULL
detach "$A"
check "detached while idle: link gone" wait_no_link IDLEPULL
check "and record gone" test ! -e "$STATE/media/IDLEPULL"
check "a lookup now fails cleanly" sh -c "! ls '$MEDIA/auto/IDLEPULL' 2>/dev/null"

mkimg "$T/b.img" ext4 MOUNTPULL
attach B "$T/b.img"
check "published" wait_link MOUNTPULL
( cd "$MEDIA/list/MOUNTPULL/" && exec sleep 600 ) &
HOLDER=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLDER"
check "mounted" wait_until 10 "$STATE/media" rec_is MOUNTPULL mountpoint "$MEDIA/auto/MOUNTPULL"
detach "$B"   # autoclear: the loop device goes when the mount goes
check "still listed while the mount holds the device" has_link MOUNTPULL
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
# released: unmount it as the expiry would (the expiry itself is
# automount.t's; here it is the daemon's removal path that is tested)
released() { umount "$MEDIA/auto/MOUNTPULL" 2>/dev/null || not_mounted "$MEDIA/auto/MOUNTPULL"; }
wait_until 10 "$STATE/media" released
check "once released and unmounted, it is withdrawn" wait_no_link MOUNTPULL 30
check "and nothing is left mounted" not_mounted "$MEDIA/auto/MOUNTPULL"

mkimg "$T/c.img" ext4 WIPED
attach C "$T/c.img"
check "published" wait_link WIPED
wipefs -q -a "$C"
check "filesystem wiped: withdrawn" wait_no_link WIPED
check "listed with the reason" wait_ignored "$(basename "$C")"
check "daemon alive" kill -0 "$MEDIAD_PID"
done_testing
