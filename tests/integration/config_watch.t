#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The config file is re-read when it changes, without SIGHUP: a good file
# applies, a bad one is logged with file and line and the running
# configuration stays. Also: readiness reaches $NOTIFY_SOCKET (Type=notify).
. "$(dirname "$0")/lib.sh"

# a stand-in for systemd's notify socket
python3 - "$T/notify" > "$T/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    m = s.recv(4096).decode()
    print(m, flush=True)
    if m == "STOPPING=1":
        break
PY
NPID=$!
wait_until 10 "$T" grep -q bound "$T/notified"

mkimg "$T/a.img" ext4 WATCHCONF
attach A "$T/a.img"
NOTIFY_SOCKET=$T/notify start_mediad
check "READY=1 is sent after coldplug" wait_until 10 "$T" grep -qx "READY=1" "$T/notified"
check "published" wait_link WATCHCONF

printf 'ignore = LABEL=WATCHCONF\n' >> "$CONF"
check "an edit of the file withdraws the newly ignored medium" wait_no_link WATCHCONF
check "and lists it with the reason" wait_ignored "$(basename "$A")"
check "the reload is logged" grep -q "configuration reloaded from $CONF" "$LOG"

cp "$CONF" "$T/good.conf"
printf 'include_loop = perhaps\n' > "$T/bad.conf"
cat "$T/good.conf" "$T/bad.conf" > "$T/next.conf"
mv "$T/next.conf" "$CONF" # replaced by rename, as editors do
check "a bad file is refused with file and line" \
	wait_until 10 "$T" grep -q "reload refused.*$CONF:[0-9]*:" "$LOG"
check "the daemon keeps running" kill -0 "$MEDIAD_PID"
check "and the medium stays ignored (old configuration)" test ! -e "$MEDIA/list/WATCHCONF"
sed '/WATCHCONF/d' "$T/good.conf" > "$T/next.conf"
mv "$T/next.conf" "$CONF"
check "a good file after the bad one applies" wait_link WATCHCONF
stop_mediad
check "STOPPING=1 on a clean stop" wait_until 10 "$T" grep -qx "STOPPING=1" "$T/notified"
kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null
done_testing
