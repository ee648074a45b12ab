#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Privilege: the state directory and records are writable by root only;
# a directory made unsafe (a symlink, or writable by others) makes mediad
# refuse to start and say which; a link planted in <media_dir>/list is
# never published nor followed. Crafted control clients: a thousand
# connections at once, clients that never read their reply, truncated
# and empty messages: the daemon keeps serving and its memory stays put.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$MEDIAD_PID/status"; }
not_group_other_writable() {
	for p in "$@"; do
		m=$(stat -c %a "$p"); o=$(stat -c %u "$p")
		[ "$o" = 0 ] && [ $((0$m & 022)) -eq 0 ] || { diag "$p: mode $m owner $o"; return 1; }
	done
}

mkimg "$T/p.img" ext4 PRIV
attach P "$T/p.img"
start_mediad
check "published" wait_link PRIV
check "state dir, media/, ignored/ and the record: root's, writable by nobody else" \
	not_group_other_writable "$STATE" "$STATE/media" "$STATE/ignored" "$STATE/media/PRIV" \
	"$MEDIA" "$MEDIA/list"
check "the record is not writable by nobody" \
	sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x >> \"$STATE/media/PRIV\"' 2>/dev/null"

# a link planted in list/ while the daemon is down: not trusted
stop_mediad KILL
ln -s /etc "$MEDIA/list/EVIL"
ln -s ../auto/GHOST "$MEDIA/list/GHOST"
start_mediad
check "a planted link to /etc is not published" test ! -e "$STATE/media/EVIL"
check "medialist does not list it" \
	sh -c "! '$BUILD/medialist' -c '$CONF' -s '$STATE' -m '$MEDIA' -n -o NAME | grep -qx EVIL"
check "a planted link with no record is removed" wait_until 5 "$MEDIA/list" no_link GHOST
check "the real medium is still there" has_link PRIV
stop_mediad TERM
rm -f "$MEDIA/list/EVIL"

# unsafe directories: refused at start, with the reason
mv "$MEDIA/list" "$T/list.real"; mkdir -p "$T/elsewhere"; ln -s "$T/elsewhere" "$MEDIA/list"
"$BUILD/mediad" --foreground --config "$CONF" --state-dir "$STATE" --media-dir "$MEDIA" \
	--source "$SOURCE" 2>"$T/err" & pid=$!
wait_until 10 "$T" sh -c "! kill -0 $pid 2>/dev/null"; wait $pid; st=$?
check "list/ a symlink: mediad refuses to start (status $st)" test $st -ne 0
check "and says why" grep -q "list.*symlink\|refusing" "$T/err"
check "nothing was written through the link" test -z "$(ls "$T/elsewhere")"
rm "$MEDIA/list"; mv "$T/list.real" "$MEDIA/list"
chmod 777 "$STATE/media"
"$BUILD/mediad" --foreground --config "$CONF" --state-dir "$STATE" --media-dir "$MEDIA" \
	--source "$SOURCE" 2>"$T/err" & pid=$!
wait_until 10 "$T" sh -c "! kill -0 $pid 2>/dev/null"; wait $pid; st=$?
check "media/ writable by others: refused (status $st)" test $st -ne 0
check "naming the directory" grep -q "refusing unsafe directory $STATE/media" "$T/err"
chmod 755 "$STATE/media"

# crafted control clients
start_mediad
check "published again" wait_link PRIV
cat > "$T/clients.py" <<'PY'
import resource, socket, sys, time
path = sys.argv[1]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s
# clients that send and never read, and ones that send nothing
mute = []
for _ in range(10):
    s = conn(); s.send(b"ping"); mute.append(s)
# a thousand at once (the listen backlog may refuse some: that is fine)
many, refused = [], 0
for _ in range(1000):
    try:
        s = conn(); s.setblocking(False); many.append(s)
    except OSError:
        refused += 1
for s in many:
    s.close()
# truncated, empty and oversized messages
answers = []
for msg in [b"", b"ej", b"eject ", b"unmount", b"\x00", b"ping\n\n", b"p" * 257, b"\xff" * 256]:
    for _ in range(50):
        try:
            s = conn(); break
        except OSError:
            time.sleep(0.1)
    s.settimeout(10)
    try:
        s.send(msg); answers.append(s.recv(600)[:5])
    except OSError as e:
        answers.append(b"closed")
    s.close()
for s in mute:
    s.close()
# afterwards an ordinary client is served
for _ in range(100):
    try:
        s = conn(); break
    except OSError:
        time.sleep(0.1)
s.settimeout(10); s.send(b"ping")
print("refused", refused, "after", s.recv(600).decode())
print("answers", b" ".join(answers).decode())
PY
rss0=$(rss)
python3 "$T/clients.py" "$STATE/control" > "$T/out" 2>&1
diag "$(cat "$T/out")"
rss1=$(rss)
check "after 1000 connections, mute and malformed clients: a ping is answered" \
	grep -q "after ok mediad" "$T/out"
check "malformed messages got an error or were closed, never ok" \
	sh -c "grep '^answers' '$T/out' | grep -qv ' ok'"
check "memory: VmRSS $rss0 kB before, $rss1 kB after (under +1 MiB)" test $((rss1 - rss0)) -lt 1024
check "the daemon is alive" kill -0 "$MEDIAD_PID"
check "its descriptors were released" \
	wait_until 10 "$T" sh -c "[ \$(ls /proc/$MEDIAD_PID/fd | wc -l) -lt 40 ]"
done_testing
