#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket: non-root users refused, then allowed once in
# allow_group; garbage, oversized, stalled and too many clients never block
# the daemon; unmount (also of a busy medium) and eject of a loop device,
# through the daemon and, as root, without it.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
# as nobody: no supplementary group, or with the allowed group (plugdev)
GID=$(getent group plugdev | cut -d: -f3)
AS_NOBODY() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
AS_MEMBER() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
mounted_at() { [ "$(rec "$1" mountpoint)" = "$2" ]; }
wait_mounted() { wait_until 10 "$STATE/media" mounted_at "$1" "$2"; }
chmod 755 "$T" # nobody must be able to reach the state directory

printf 'allow_group = plugdev\n' >> "$CONF"
start_mediad
mkimg "$T/c.img" ext4 CTL
attach C "$T/c.img"
check "medium published" wait_link CTL
check "the control socket exists, mode 0666" \
	test "$(stat -c %a "$STATE/control")" = 666
mkdir -p "$MEDIA/auto/CTL" && mount "$C" "$MEDIA/auto/CTL"
check "a mount under auto/ shows in the record" wait_mounted CTL "$MEDIA/auto/CTL"

AS_NOBODY "$BUILD/medialist" -s "$STATE" -m "$MEDIA" unmount CTL 2>"$T/err"; st=$?
check "a user outside the group is refused (exit 1)" test $st -eq 1
check "and told why" grep -q "permission denied: only root and members of group 'plugdev'" "$T/err"
check "and the medium stays mounted" mountpoint -q "$MEDIA/auto/CTL"
check "the refusal is logged with the uid" grep -q "refused to uid 65534" "$LOG"
check "the same user may list" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$BUILD/medialist' -s '$STATE' -m '$MEDIA' -n -o NAME | grep -qx CTL"
# Every request that changes state, from a user outside the group: refused,
# logged, nothing changed. The protocol has no request that mounts (nor
# remounts read-write): mounting is automount's, with the options the
# policy wrote into the record, so such a request is malformed for anyone.
cat > "$T/ask.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.settimeout(10)
s.send(sys.argv[2].encode()); print(s.recv(600).decode(errors="replace"))
PY
opts0=$(rec CTL options)
for req in "eject CTL" "unmount CTL" "rescan"; do
	AS_NOBODY /usr/bin/python3 "$T/ask.py" "$STATE/control" "$req" > "$T/ans"
	check "'$req' from a user outside the group: permission denied" \
		grep -q "^error permission denied" "$T/ans"
done
for req in "mount CTL" "mount CTL rw" "remount CTL rw" "mountrw CTL" "rw CTL"; do
	for who in AS_NOBODY AS_MEMBER ""; do
		$who /usr/bin/python3 "$T/ask.py" "$STATE/control" "$req" > "$T/ans"
		grep -q "^error malformed request" "$T/ans" || { diag "$who '$req': $(cat "$T/ans")"; echo bad; }
	done
done > "$T/mountreqs"
check "no request mounts or remounts read-write, for anyone: all malformed" \
	sh -c "! grep -qx bad '$T/mountreqs'"
check "after them the medium is still mounted where it was" mountpoint -q "$MEDIA/auto/CTL"
check "its record and options unchanged" \
	sh -c "[ '$(rec CTL options)' = '$opts0' ] && [ '$(rec CTL mountpoint)' = '$MEDIA/auto/CTL' ]"
check "the loop device still holds the image" test -e "/sys/block/$(basename "$C")/loop/backing_file"
check "each refusal logged with the uid" \
	sh -c "[ \$(grep -c 'refused to uid 65534' '$LOG') -ge 4 ]"

AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" unmount CTL > "$T/out" 2>"$T/err"; st=$?
check "once in the group the same user may unmount (exit 0)" test $st -eq 0
check "it says so" grep -q "CTL unmounted" "$T/out"
check "the medium is unmounted" sh -c "! mountpoint -q '$MEDIA/auto/CTL'"
check "and the record follows" wait_mounted CTL ""
check "unmounting an unmounted medium is fine" sh -c "'$BUILD/medialist' -s '$STATE' unmount CTL | grep -q 'was not mounted'"
check "an unknown name is refused by medialist (1)" \
	sh -c "'$BUILD/medialist' -s '$STATE' unmount NOPE 2>&1 | grep -q 'NOPE: no such medium'"

# a busy medium: unmount refuses and says why
mount "$C" "$MEDIA/auto/CTL"
wait_mounted CTL "$MEDIA/auto/CTL"
(cd "$MEDIA/auto/CTL" && exec sleep 300) & HOLD=$!
ML unmount CTL 2>"$T/err"; st=$?
check "unmount of a busy medium fails (1)" test $st -eq 1
check "naming the medium and the reason" grep -q "cannot unmount CTL.*busy" "$T/err"
kill "$HOLD"; wait "$HOLD" 2>/dev/null

# garbage, oversized and stalled clients; too many at once
cat > "$T/client.py" <<'PY'
import socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s
if mode == "garbage":
    for msg in [b"\x00\xff\xfe garbage", b"eject ../../etc", b"eject", b"x" * 70000,
                b"unmount CTL extra", b"\n"]:
        s = conn(); s.send(msg); print(s.recv(600).decode(errors="replace")); s.close()
elif mode == "stall":
    s = conn(); t = time.time(); r = s.recv(600)
    print("%s after %.0f s" % (r.decode(), time.time() - t))
elif mode == "flood":
    socks = [conn() for _ in range(40)]
    busy = 0
    for s in socks[32:]:
        s.settimeout(5)
        try:
            busy += b"too many clients" in s.recv(600)
        except Exception:
            pass
    print("busy", busy)
    s = socks[0]; s.send(b"ping"); print(s.recv(600).decode())
PY
python3 "$T/client.py" "$STATE/control" garbage > "$T/garbage"
check "garbage gets an error reply each time" \
	test "$(grep -c '^error ' "$T/garbage")" -eq 6
check "a path in place of a name is malformed" \
	sh -c "sed -n 2p '$T/garbage' | grep -q malformed"
check "an oversized request is refused as such" grep -q "longer than 256 bytes" "$T/garbage"
python3 "$T/client.py" "$STATE/control" stall > "$T/stall" & STALL=$!
ML unmount CTL >/dev/null 2>&1 # answered while the staller waits
check "while a client stalls, others are answered" sh -c "'$BUILD/medialist' -s '$STATE' unmount CTL | grep -q CTL"
wait "$STALL"
check "the stalled client is dropped after its idle time" grep -q "timed out waiting for a request after [4-6] s" "$T/stall"
python3 "$T/client.py" "$STATE/control" flood > "$T/flood"
check "past 32 clients the rest are told to come back" grep -qx "busy 8" "$T/flood"
check "and the first of them is still served" grep -q "^ok mediad" "$T/flood"
check "the daemon still runs" kill -0 "$MEDIAD_PID"

# eject of a loop device: unmounts, flushes, detaches; the medium goes
mount "$C" "$MEDIA/auto/CTL"
wait_mounted CTL "$MEDIA/auto/CTL"
echo data > "$MEDIA/auto/CTL/file"
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" eject CTL > "$T/out" 2>"$T/err"; st=$?
check "eject by a group member exits 0" test $st -eq 0
check "and reports the loop device detached" grep -q "$(basename "$C") detached" "$T/out"
check "nothing stays mounted" sh -c "! mountpoint -q '$MEDIA/auto/CTL'"
check "the loop device has no backing file any more" \
	test ! -e "/sys/block/$(basename "$C")/loop/backing_file"
check "the medium is withdrawn" wait_no_link CTL
check "the data reached the image" sh -c "debugfs -R 'cat /file' '$T/c.img' 2>/dev/null | grep -qx data"

# without the daemon: root acts directly, others are told
mkimg "$T/d.img" ext4 DIRECT
attach D "$T/d.img"
check "second medium published" wait_link DIRECT
stop_mediad KILL
AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" eject DIRECT 2>"$T/err"; st=$?
check "without the daemon a user cannot eject (1)" test $st -eq 1
check "and is told the daemon is not running" grep -q "mediad is not running" "$T/err"
ML eject DIRECT > "$T/out" 2>"$T/err"; st=$?
check "root can, saying it acts directly" sh -c "test $st -eq 0 && grep -q 'acting directly' '$T/err'"
# with udevd, the detach completes when its workers close the device
check "and the loop device is detached" \
	wait_until 10 "$T" test ! -e "/sys/block/$(basename "$D")/loop/backing_file"
done_testing
