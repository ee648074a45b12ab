#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mediad-notify --dry-run on recorded `medialist watch --json` streams:
# what each card says after each event, what it would run (file manager,
# eject), for a stick plugged, written and made safe (recorded from a real
# mediad, ext4 on a loop device), one pulled while writing, and a stream of
# hostile and broken lines. Also how it runs and restarts its watch.
# Needs no X, no root.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
NOTIFY=${NOTIFY:?NOTIFY=path/to/mediad-notify}
T=$(mktemp -d /tmp/mediad-notify-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
same() { # same EXPECTED GOT: and show the difference when not
	cmp -s "$1" "$2" || { diff -u "$1" "$2" | sed 's/^/# /'; return 1; }
}
# the stream's times in a fixed zone: "since 05:48:52"
export TZ=UTC
unset MEDIAD_NOTIFY_OPEN

for s in plug-write-safe pulled mixed; do
	"$NOTIFY" --dry-run --input "$HERE/$s.jsonl" > "$T/$s.out" 2> "$T/$s.err"
	check "$s: exit 0" test $? -eq 0
	check "$s: shows and runs what $s.expected says" same "$HERE/$s.expected" "$T/$s.out"
done

# the words that matter, spelled out (the .expected files hold them too)
check "plugged: the card names the stick, and the file manager opens on list/NAME" \
	grep -qx 'run: xfe /media/list/KEYCHAIN' "$T/plug-write-safe.out"
check "written: 'writing — do not remove'" \
	grep -qx 'show KEYCHAIN: writing — do not remove' "$T/plug-write-safe.out"
check "then 'safe to remove' once mediad says clean" \
	sh -c "grep -A1 'writing — do not remove' '$T/plug-write-safe.out' | grep -q 'safe to remove'"
check "Eject runs medialist eject NAME" grep -qx 'run: medialist eject KEYCHAIN' "$T/plug-write-safe.out"
check "pulled while writing: says what may be lost, and since when" \
	grep -qx 'show KEYCHAIN: pulled while writing: what was saved to it since 05:48:52 may be lost or damaged' \
	"$T/pulled.out"
check "a card never says safe while its record says not safe" \
	sh -c "! grep -B0 'writing' '$T/pulled.out' | grep -q safe"
check "broken lines: said on stderr, then skipped" \
	test "$(grep -c 'not a watch event, ignored' "$T/mixed.err")" -eq 2
check "the same Eject twice runs medialist once" \
	test "$(grep -c 'run: medialist eject LATE' "$T/mixed.out")" -eq 1
check "control bytes in a name are printed escaped" grep -q 'show BEL\\x07: safe to remove' "$T/mixed.out"

# the setting: no file manager on plug
"$NOTIFY" -n --no-open -i "$HERE/plug-write-safe.jsonl" > "$T/noopen.out" 2>&1
check "--no-open: the card, no file manager" sh -c "grep -q '^show KEYCHAIN' '$T/noopen.out' && ! grep -q '^run: xfe' '$T/noopen.out'"
MEDIAD_NOTIFY_OPEN=0 "$NOTIFY" -n -i "$HERE/plug-write-safe.jsonl" > "$T/noopen2.out" 2>&1
check "MEDIAD_NOTIFY_OPEN=0: the same" same "$T/noopen.out" "$T/noopen2.out"
"$NOTIFY" -n -f 'pcmanfm --new-win' -i "$HERE/plug-write-safe.jsonl" > "$T/fm.out" 2>&1
check "--file-manager CMD: CMD PATH" grep -qx 'run: pcmanfm --new-win /media/list/KEYCHAIN' "$T/fm.out"
"$NOTIFY" -n -i - < "$HERE/pulled.jsonl" > "$T/stdin.out" 2>&1
check "--input - reads stdin" same "$HERE/pulled.expected" "$T/stdin.out"

# how it runs its watch: medialist [-c CONFIG] --json watch, and again
# after it ended (1 s, then 2 s later)
: > "$T/ml.log"
FAKE_ML_LOG=$T/ml.log FAKE_ML_STREAM=$HERE/pulled.jsonl \
	timeout --preserve-status -s TERM 2.6 "$NOTIFY" -n -M "$HERE/fake-medialist" -c /etc/x.conf \
	> "$T/watch.out" 2> "$T/watch.err"
check "ends on SIGTERM with status 0" test $? -eq 0
check "runs medialist -c CONFIG --json watch" grep -qx -- '-c /etc/x.conf --json watch' "$T/ml.log"
check "runs it again when it ends" test "$(wc -l < "$T/ml.log")" -eq 2
check "says so" grep -q 'medialist watch ended (status 1); again in 1 s' "$T/watch.err"
check "a second run of the same stream: the card of the pulled stick is replaced" \
	test "$(grep -c '^run: xfe /media/list/KEYCHAIN' "$T/watch.out")" -eq 2

# usage errors
"$NOTIFY" -n --linger=-1 -i /dev/null 2>/dev/null
check "--linger -1: usage error (2)" test $? -eq 2
"$NOTIFY" -n -i "$T/none" 2> "$T/none.err"
check "a missing input: exit 1, named" sh -c "test $? -eq 1 && grep -q 'cannot read $T/none' '$T/none.err'"
env -u DISPLAY "$NOTIFY" -i /dev/null 2> "$T/nodisp.err"
check "no display: exit 1, says DISPLAY is not set" \
	sh -c "test $? -eq 1 && grep -q 'DISPLAY is not set' '$T/nodisp.err'"

echo "1..$N"
[ "$FAILED" -eq 0 ]
