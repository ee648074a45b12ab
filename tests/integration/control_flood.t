#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket under a flood (issue 14, finding 6): a local user
# (nobody) keeps 40 idle connections open, making a new one as soon as
# mediad drops one. Meanwhile root and a member of allow_group are served
# at once, with real answers (unmount, rescan, ping); nobody's connections
# beyond its share are refused ("too many clients") or dropped.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
GID=$(getent group plugdev | cut -d: -f3)
AS_MEMBER() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
chmod 755 "$T" # nobody must be able to reach the state directory
mounted_at() { [ "$(rec "$1" mountpoint)" = "$2" ]; }
now() { date +%s.%N; }
# took START SECONDS: less than SECONDS since START
took() { awk -v s="$1" -v e="$(now)" -v l="$2" 'BEGIN { exit !(e - s < l) }'; }

write_conf "allow_group = plugdev"
start_mediad
mkimg "$T/f.img" ext4 FLOOD
attach F "$T/f.img"
check "medium published" wait_link FLOOD
mkdir -p "$MEDIA/auto/FLOOD"
mount "$F" "$MEDIA/auto/FLOOD"
check "mounted under auto/" wait_until 10 "$STATE/media" mounted_at FLOOD "$MEDIA/auto/FLOOD"

# The holder: 40 connections, each re-made at once when mediad answers or
# drops it. Reports the first round (which of the 40 were refused), then
# counts as it goes.
# The holder: 40 connections; one that mediad drops (idle) is re-made at
# once, one it refused is tried again every second. Reports the first
# round (which of the 40 were refused), then what it re-made.
cat > "$T/holder.py" <<'PY'
import select, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    return s
def state(s):
    """held, or what mediad did with it: "busy" (too many clients) or
    "dropped" (closed, or any other answer)"""
    if s is None:
        return "busy"
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return "held"
    try:
        m = s.recv(600)
    except OSError:
        m = b""
    return "busy" if b"too many clients" in m else "dropped"
def report(text):
    print(text, flush=True)
socks = [conn() for _ in range(n)]
time.sleep(0.5)  # mediad accepts (or refuses) them all meanwhile
first = [state(s) for s in socks]
report("held %d busy %d dropped %d last %s" % (
    first.count("held"), first.count("busy"), first.count("dropped"), first[-1]))
retry = [0.0] * n
dropped = reported = 0
for i, st in enumerate(first):
    if st != "held":
        retry[i] = time.monotonic() + 1
while True:
    t = time.monotonic()
    for i, s in enumerate(socks):
        if retry[i]:
            if t < retry[i]:
                continue
            retry[i] = 0.0
        else:
            st = state(s)
            if st == "held":
                continue
            dropped += st == "dropped"
        if s is not None:
            s.close()
        socks[i] = conn()
        if state(socks[i]) == "busy":
            retry[i] = t + 1
    if dropped != reported:
        report("dropped and re-made %d" % dropped)
        reported = dropped
    time.sleep(0.1)
PY
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 \
	"$T/holder.py" "$STATE/control" 40 >"$T/holder.out" 2>"$T/holder.err" &
HOLDER=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLDER"
check "nobody holds its connections" wait_until 10 "$T" test -s "$T/holder.out"
diag "nobody's 40 connections: $(head -1 "$T/holder.out")"
check "nobody's 40th connection is refused or dropped" \
	sh -c "head -1 '$T/holder.out' | grep -q ' last \(busy\|dropped\)$'"
# past mediad's idle time: its first connections dropped, and re-made
remade() { grep -q "^dropped and re-made" "$T/holder.out"; }
check "nobody re-makes what mediad drops" wait_until 15 "$T" remade

t0=$(now)
ML unmount FLOOD > "$T/out" 2>"$T/err"; st=$?
check "root's unmount is served during the flood (exit $st: $(cat "$T/out" "$T/err" | head -2 | tr '\n' ' '))" \
	test $st -eq 0
check "promptly (under 3 s)" took "$t0" 3
check "with the real answer" grep -q "FLOOD unmounted" "$T/out"
check "and the medium is unmounted" wait_until 10 "$STATE/media" mounted_at FLOOD ""

mountpoint -q "$MEDIA/auto/FLOOD" || mount "$F" "$MEDIA/auto/FLOOD"
wait_until 10 "$STATE/media" mounted_at FLOOD "$MEDIA/auto/FLOOD"
t0=$(now)
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" unmount FLOOD > "$T/out" 2>"$T/err"; st=$?
check "a group member's unmount is served during the flood (exit $st: $(cat "$T/out" "$T/err" | head -2 | tr '\n' ' '))" \
	test $st -eq 0
check "promptly (under 3 s)" took "$t0" 3
check "with the real answer" grep -q "FLOOD unmounted" "$T/out"
check "and the medium is unmounted" wait_until 10 "$STATE/media" mounted_at FLOOD ""

cat > "$T/ask.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1]); s.settimeout(5)
    s.send(sys.argv[2].encode()); print(s.recv(600).decode(errors="replace"))
except OSError as e:
    print("failed:", e.strerror)
PY
for i in 1 2 3 4 5; do
	/usr/bin/python3 "$T/ask.py" "$STATE/control" ping
	AS_MEMBER /usr/bin/python3 "$T/ask.py" "$STATE/control" rescan
done > "$T/answers" 2>&1
diag "$(sort "$T/answers" | uniq -c | tr '\n' ';')"
check "root's pings, five of five, answered" test "$(grep -c "^ok mediad" "$T/answers")" -eq 5
check "the group member's rescans, five of five, done" \
	test "$(grep -c "^ok rescanned" "$T/answers")" -eq 5
check "nobody still holds connections all along" kill -0 "$HOLDER"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
check "the daemon is alive" kill -0 "$MEDIAD_PID"
check "its descriptors were released" \
	wait_until 10 "$T" sh -c "[ \$(ls /proc/$MEDIAD_PID/fd | wc -l) -lt 40 ]"
done_testing
