#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# medialist watch: a plug, a mount, an unmount and an unplug, seen in that
# order, one line each; --json lines are valid JSON; watch ends cleanly on
# SIGINT and when its reader goes away.
. "$(dirname "$0")/lib.sh"

start_mediad
"$BUILD/medialist" -s "$STATE" -m "$MEDIA" watch > "$T/events" 2>"$T/werr" & W=$!
"$BUILD/medialist" -s "$STATE" -m "$MEDIA" watch --json > "$T/events.json" & WJ=$!
# both watch before they read: wait for their inotify watches to exist
watching() { [ "$(find /proc/$W/fdinfo /proc/$WJ/fdinfo -type f -exec grep -l '^inotify' {} + 2>/dev/null | wc -l)" -ge 2 ]; }
wait_until 10 "$T" watching

mkimg "$T/w.img" ext4 WATCHME
attach L "$T/w.img"
wait_link WATCHME
mkdir -p "$MEDIA/auto/WATCHME" && mount "$L" "$MEDIA/auto/WATCHME"
wait_until 10 "$STATE/media" sh -c "grep -q '^mountpoint=.' '$STATE/media/WATCHME'"
umount "$MEDIA/auto/WATCHME"
wait_until 10 "$STATE/media" sh -c "grep -qx 'mountpoint=' '$STATE/media/WATCHME'"
detach "$L"
wait_no_link WATCHME
# other tests may plug their own media meanwhile: only ours count
has_lines() { [ "$(grep -c 'WATCHME' "$1")" -ge 4 ]; }
check "watch saw four events" wait_until 10 "$T" has_lines "$T/events"
check "in order: add, mount, unmount, remove" test "$(grep ' WATCHME ' "$T/events" | cut -d' ' -f1 | tr '\n' ' ')" = "add mount unmount remove "
check "add names the medium and its device" grep -qx "add WATCHME $L" "$T/events"
check "mount names the mount point" grep -qx "mount WATCHME $L $MEDIA/auto/WATCHME" "$T/events"
check "json watch saw them too" wait_until 10 "$T" has_lines "$T/events.json"
check "each json line is a valid object" \
	sh -c "jq -e -c 'select(.medium.name == \"WATCHME\") | .event' '$T/events.json' | tr -d '\"' | tr '\n' ' ' | grep -qx 'add mount unmount remove '"
kill -INT "$W"; wait "$W"; st=$?
check "SIGINT ends watch with status 0" test $st -eq 0
kill -INT "$WJ"; wait "$WJ"
check "nothing on stderr" test ! -s "$T/werr"

# the reader goes away: watch notices and exits 0
( "$BUILD/medialist" -s "$STATE" -m "$MEDIA" watch; echo "status $?" > "$T/pipe_status" ) | head -n 1 > "$T/first" &
P=$!
piped_watching() {
	for p in $(pgrep -x medialist); do
		[ "$p" = "$W" ] || [ "$p" = "$WJ" ] && continue
		grep -qs '^inotify' /proc/"$p"/fdinfo/* && return 0
	done
	return 1
}
wait_until 10 "$T" piped_watching
mkimg "$T/p.img" ext4 PIPED
attach L2 "$T/p.img"
check "the first line reached head" wait_until 10 "$T" grep -q "^add " "$T/first"
wait "$P"
check "watch exited 0 once its reader was gone" grep -qx "status 0" "$T/pipe_status"
done_testing
