#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The real desktop session (desktop/xsession: jwm, mediad-notify, xterm,
# xfe) against Xvfb on the host, as an unprivileged user, with a real
# mediad and automount (tests/integration/lib.sh) and a stick (ext4 on a
# loop device) holding a known file: plug -> the card and the file
# manager's window on list/KEYCHAIN (found by title with xdotool) -> a file
# written through the file manager -> "writing — do not remove" -> "safe
# to remove" -> Eject on the card -> the stick is gone. Screenshots under
# $SHOTS (default $BUILD/desktop/screens). Root (loop devices, mounts).
. "$(dirname "$0")/../../tests/integration/lib.sh"
NOTIFY=${NOTIFY:-$BUILD/desktop/mediad-notify}
SHOTS=${SHOTS:-$BUILD/desktop/screens}
for p in Xvfb xdotool jwm xterm xfe; do
	command -v "$p" >/dev/null || { echo "1..0 # SKIP $p is not installed"; exit 0; }
done
[ -x "$NOTIFY" ] || { echo "1..0 # SKIP no $NOTIFY (make -C desktop)"; exit 0; }
DBG=$T/debug
mkdir -p "$DBG" "$SHOTS" "$T/fb" "$T/home" "$T/stickroot"
mount -t debugfs none "$DBG" 2>/dev/null || DBG=""
# the session's user; allow_group lets it eject, as plugdev does on the CD
U=nobody G=nogroup
chown "$U:$G" "$T/home"
chmod 755 "$T" # mktemp's 0700: the session's user reads the list and the state
write_conf ${DBG:+"debugfs_dir = $DBG"} "flush_idle = 2" "allow_group = $G"
echo "a file on the stick" > "$T/stickroot/hello.txt"
truncate -s 32M "$T/stick.img"
mkfs.ext4 -q -F -L KEYCHAIN -E root_owner=65534:65534 -d "$T/stickroot" "$T/stick.img"
start_mediad
start_automount

# Xvfb picks a free display and says which (-displayfd)
Xvfb -displayfd 5 -screen 0 1024x768x24 -fbdir "$T/fb" -nolisten tcp 5> "$T/display" \
	2> "$T/xvfb.log" &
XVFB=$!
EXTRA_PIDS="$EXTRA_PIDS $XVFB"
has_display() { [ -s "$T/display" ]; }
check "Xvfb started" wait_until 10 "$T" has_display
export DISPLAY=":$(cat "$T/display")"
shot() { python3 "$TOP/desktop/topng.py" "$T/fb/Xvfb_screen0" "$SHOTS/$1.png"; }
# title REGEX: a window whose title matches (xdotool, as the CD's check does)
title() { xdotool search --name "$1" >/dev/null 2>&1; }
wait_title() { # SECONDS REGEX
	end=$(( $(date +%s) + $1 ))
	until title "$2"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
notify_title() { xdotool search --classname mediad-notify getwindowname 2>/dev/null | head -1; }
notify_says() { notify_title | grep -qE -- "$1"; }
wait_notify() { # SECONDS TEXT
	end=$(( $(date +%s) + $1 ))
	until notify_says "$2"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
ms() { date +%s%3N; }

setsid setpriv --reuid="$U" --regid="$G" --clear-groups env HOME="$T/home" DISPLAY="$DISPLAY" \
	MEDIAD_DESKTOP_DIR="$TOP/desktop" MEDIAD_LIST="$MEDIA/list" MEDIAD_NOTIFY="$NOTIFY" \
	MEDIAD_NOTIFY_ARGS="-M $BUILD/medialist -c $CONF" PATH="$PATH" \
	sh "$TOP/desktop/xsession" > "$T/session.log" 2>&1 &
SESSION=$!
EXTRA_PIDS="$EXTRA_PIDS $SESSION"
check "the session: xfe on the list" wait_title 20 "^Xfe - $MEDIA/list\$"
check "the session: a terminal" wait_title 10 '^xterm$'
check "the session: the window manager runs" sh -c "pgrep -x -u $U jwm > /dev/null"
sleep 1
shot desktop-before
no_card() { ! notify_says KEYCHAIN; }
check "nothing plugged: no card" no_card

t0=$(ms)
attach A "$T/stick.img"
# (the card may say "open" by then: the file manager mounts it at once)
check "plugged: a card names it" wait_notify 10 "KEYCHAIN: (open — )?safe to remove"
check "and the file manager opens on list/KEYCHAIN" wait_title 20 "^Xfe - $MEDIA/list/KEYCHAIN\$"
t1=$(ms)
diag "plug to window: $((t1 - t0)) ms (loop attach to the window's title)"
check "opening it mounted the stick" wait_until 10 "$STATE/media" rec_is KEYCHAIN mountpoint "$MEDIA/auto/KEYCHAIN"
check "the card says it is open and safe" wait_notify 5 "KEYCHAIN: open — safe to remove"
sleep 1
shot window-open

# a file written through the file manager: File > New file (Ctrl+N)
w=$(xdotool search --name "^Xfe - $MEDIA/list/KEYCHAIN\$" | head -1)
xdotool windowactivate --sync "$w" key ctrl+n
d=$(timeout 10 xdotool search --sync --onlyvisible --name '^New File$' | head -1)
xdotool windowactivate --sync "$d" type --delay 20 written-by-xfe.txt
t2=$(ms)
# through the keyboard (XTEST), as a person types: a synthetic event sent
# to the dialog also reached the file list behind it and opened the new
# file in the editor, whose working directory then kept the stick busy
xdotool key Return
check "the file is on the stick" wait_until 10 "$MEDIA/auto/KEYCHAIN" test -e "$MEDIA/auto/KEYCHAIN/written-by-xfe.txt"
if [ -n "$DBG" ]; then
	check "the card says: writing — do not remove" wait_notify 10 "KEYCHAIN: writing — do not remove"
	shot writing
else
	diag "no debugfs: the dirty state may be too short to see"
fi
check "then: safe to remove" wait_notify 30 "KEYCHAIN: open — safe to remove"
diag "write to safe: $(( $(ms) - t2 )) ms (flush_idle = 2 s)"
check "mediad agrees: safe" rec_is KEYCHAIN safe 1
shot safe

users() { # which processes hold something under $1
	for p in /proc/[0-9]*; do
		for l in "$p/cwd" "$p/root" "$p"/fd/*; do
			case $(readlink "$l" 2>/dev/null) in "$1"|"$1"/*) echo "$(cat "$p/comm") ${p#/proc/} $l";; esac
		done
	done
}
# Eject on the card (its button's place, from the window's corner): first
# while a program works in the stick (a shell cd'd into it): refused, and
# the card says why; then once it has gone
nw=$(xdotool search --classname mediad-notify | head -1)
setpriv --reuid="$U" --regid="$G" --clear-groups sh -c "cd '$MEDIA/list/KEYCHAIN' && exec sleep 600" &
HOLD=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLD"
xdotool mousemove --window "$nw" 330 19 click 1
check "Eject while in use: the card says it failed, and why" \
	wait_notify 30 "KEYCHAIN: not ejected: in use — close what works in it, then Eject again"
check "and the stick is still there" rec_is KEYCHAIN mountpoint "$MEDIA/auto/KEYCHAIN"
shot eject-refused
kill "$HOLD"
wait "$HOLD" 2>/dev/null
xdotool mousemove --window "$nw" 330 19 click 1
check "Eject: the card says so" wait_notify 30 "KEYCHAIN: ejected and removed" ||
	diag "what holds the stick: $(users "$MEDIA/auto/KEYCHAIN" | tr '\n' ';')"
check "the stick is gone (loop device detached by medialist eject)" \
	sh -c "! losetup '$A' >/dev/null 2>&1"
check "the file manager did not keep it busy" \
	test "$(grep -c 'eject KEYCHAIN: cannot eject' "$T/session.log")" -eq 1
shot ejected
grep 'mediad-notify' "$T/session.log" | sed 's/^/# /'

check "the session's programs are alive" kill -0 "$SESSION"
kill "$(pgrep -x -u "$U" jwm)" 2>/dev/null
check "the session ends with the window manager" wait_until 10 "$T" sh -c "! kill -0 $SESSION 2>/dev/null"
kill "$XVFB"
wait "$XVFB" 2>/dev/null
[ "$FAILED" -eq 0 ] || sed 's/^/# session: /' "$T/session.log"
diag "screenshots: $SHOTS/{desktop-before,window-open,writing,safe,ejected}.png"
done_testing
