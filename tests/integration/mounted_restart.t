#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Restarts while media are mounted and in use lose nothing: mediad killed
# (-9) and restarted keeps the name and shows the mount; automount
# restarted leaves the busy mount in place and serves new lookups.
. "$(dirname "$0")/lib.sh"

write_conf "expire_timeout = 1"
mkimg "$T/a.img" ext4 BUSY
start_mediad
start_automount
attach A "$T/a.img"
check "published" wait_link BUSY
# keep the mount busy: a process with its cwd inside it
( cd "$MEDIA/list/BUSY/" && exec sleep 300 ) &
HOLDER=$!
check "mounted by the access" \
	wait_until 10 "$STATE/media" rec_is BUSY mountpoint "$MEDIA/auto/BUSY"

stop_mediad KILL
start_mediad
check "after kill -9 and restart: same name" rec_is BUSY devname "$A"
check "the record shows the mount" rec_is BUSY mountpoint "$MEDIA/auto/BUSY"
check "the mount is untouched" is_mounted "$MEDIA/auto/BUSY"

stop_mediad TERM
check "a clean stop leaves mounts in use alone" is_mounted "$MEDIA/auto/BUSY"
start_mediad
check "and the next start finds it under its name" \
	rec_is BUSY mountpoint "$MEDIA/auto/BUSY"

stop_automount TERM
check "automount stopped: the busy mount stays" is_mounted "$MEDIA/auto/BUSY"
start_automount
check "automount restarted serves the directory again" is_autofs
mkimg "$T/b.img" ext4 AFTERWARDS
attach B "$T/b.img"
check "a new medium" wait_link AFTERWARDS
check "mounts through the restarted automount" ls "$MEDIA/list/AFTERWARDS/lost+found"
check "the busy mount is still there and usable" ls "$MEDIA/list/BUSY/lost+found"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
check "released, it expires" wait_until 20 "$STATE/media" rec_is BUSY mountpoint ""
done_testing
