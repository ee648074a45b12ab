#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Encrypted media on the host, whose kernel has no device-mapper: every
# unlock here either checks the secret only (medialist unlock --test:
# libcryptsetup with no mapping name), or goes as far as it can and says
# that the key fits but device-mapper is missing. Real headers made with
# cryptsetup (LUKS2 argon2id with a small memory cost, LUKS1 pbkdf2) and
# a real BitLocker To Go volume (cryptsetup's own test image): right,
# wrong, key file, stdin, a terminal without echo, the back-off per uid,
# who may ask, the memory bound, key_dir's checks, one request per
# container, the secret in no log, record, argv or environment, and
# mediad's memory (it does not link libcryptsetup). The opened mappings,
# lock and surprise removal are tests/e2e/scenarios/crypt.py (QEMU).
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
GID=$(getent group plugdev | cut -d: -f3)
AS_NOBODY() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
AS_MEMBER() { setpriv --reuid=65534 --regid=65534 --groups="$GID" "$@"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$MEDIAD_PID/status"; }
PASS='correct horse battery'
# fast argon2id: 32 MiB, 4 iterations (cryptsetup's minimum memory cost)
FAST="--pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4 --pbkdf-parallel 1"
printf '%s' "$PASS" > "$T/pass"
chmod 755 "$T" # nobody must be able to reach the state directory
PY=/usr/bin/python3 # Debian's, for nobody too

truncate -s 20M "$T/l2.img"
cryptsetup luksFormat -q --type luks2 --label VAULT $FAST "$T/l2.img" -d "$T/pass"
head -c 512 /dev/urandom > "$T/key.bin"
cryptsetup luksAddKey -q $FAST "$T/l2.img" "$T/key.bin" -d "$T/pass"
truncate -s 20M "$T/l1.img"
cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 "$T/l1.img" -d "$T/pass"
truncate -s 20M "$T/big.img" # asks 256 MiB for argon2: more than a 128 MiB bound
cryptsetup luksFormat -q --type luks2 --pbkdf argon2id --pbkdf-memory 262144 \
	--pbkdf-force-iterations 4 --pbkdf-parallel 1 "$T/big.img" -d "$T/pass"
mkimg "$T/plain.img" ext4 PLAIN
attach L2 "$T/l2.img"; attach L1 "$T/l1.img"; attach BIG "$T/big.img"
attach PL "$T/plain.img"
K2=${L2#/dev/}; K1=${L1#/dev/}; KB=${BIG#/dev/}
printf 'allow_group = plugdev\nunlock_memory = 128\n' >> "$CONF"
start_mediad
check "LUKS2 listed with how to unlock it" wait_until 10 "$STATE/ignored" \
	grep -qx "reason=encrypted container (crypto_LUKS): medialist unlock $K2" "$STATE/ignored/$K2"
check "LUKS1 too" grep -qx "reason=encrypted container (crypto_LUKS): medialist unlock $K1" \
	"$STATE/ignored/$K1"
check "mediad does not link libcryptsetup" sh -c "! grep -q libcryptsetup /proc/$MEDIAD_PID/maps"
RSS0=$(rss)

printf '%s\n' "$PASS" | ML unlock "$K2" --test > "$T/out" 2>&1; st=$?
check "right passphrase on stdin: status 0 (status $st)" test $st -eq 0
check "and says it fits, opening nothing" grep -q "the passphrase fits (LUKS2; nothing opened)" "$T/out"
printf 'wrong\n' | ML unlock "$K2" --test > "$T/out" 2>&1; st=$?
check "wrong passphrase: status 1 (status $st)" test $st -eq 1
check "and says 'wrong passphrase'" grep -qx "medialist: wrong passphrase" "$T/out"
ML unlock "$K2" --test --key-file "$T/key.bin" > "$T/out" 2>&1; st=$?
check "key file: status 0 (status $st)" test $st -eq 0
check "named a key file" grep -q "the key file fits" "$T/out"
ML unlock "$K2" --test --key-file - < "$T/key.bin" > "$T/out" 2>&1; st=$?
check "key file on stdin (--key-file -): status 0" test $st -eq 0
ML unlock "$K2" --test --key-file "$T/pass" > /dev/null 2>&1; st=$?
check "the passphrase's bytes as a key file: status 0" test $st -eq 0
printf '%s\n' "$PASS" | ML unlock "$K1" --test --type luks1 > "$T/out" 2>&1; st=$?
check "LUKS1 (pbkdf2) with --type luks1: status 0" test $st -eq 0
printf '%s\n' "$PASS" | ML unlock "$K1" --test --type luks2 > "$T/out" 2>&1; st=$?
check "LUKS1 asked as luks2: refused with libcryptsetup's reason" \
	sh -c "test $st -eq 1 && grep -q 'no usable luks2 header' '$T/out'"

# a real unlock: as far as the host goes
printf '%s\n' "$PASS" | ML unlock "$K2" > "$T/out" 2>&1; st=$?
check "without device-mapper: status 1, the key fits, nothing opened" \
	sh -c "test $st -eq 1 && grep -q 'fits, but device-mapper is not available' '$T/out'"
check "the container is not marked unlocked" sh -c "! grep -q '^unlocked_as=.' '$STATE/ignored/$K2'"

# the terminal: a prompt, and no echo of what is typed
# (under strace, to see the order of the prompt and the flush)
python3 - "$BUILD/medialist" "$CONF" "$STATE" "$MEDIA" "$K2" "$PASS" "$T/strace" > "$T/tty" 2>&1 <<'PY'
import os, pty, select, signal, sys, termios, time
ml, conf, state, media, name, pw, trace = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv("/usr/bin/strace", ["strace", "-o", trace, "-e", "trace=ioctl,write",
             ml, "-c", conf, "-s", state, "-m", media, "unlock", name, "--test"])
out, end, sent = b"", time.time() + 20, False
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
    if not sent and b"Passphrase for" in out:
        # typed the moment the prompt shows, as a quick user or a script
        # would: echo must be off (and the flush done) already
        print("ECHO", "on" if termios.tcgetattr(fd)[3] & termios.ECHO else "off")
        os.write(fd, pw.encode() + b"\n")
        sent = True
if time.time() >= end:
    os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("\nSTATUS", os.waitstatus_to_exitcode(st))
PY
check "terminal: asked 'Passphrase for $K2'" grep -q "Passphrase for $K2:" "$T/tty"
check "terminal: echo is off once the prompt shows" grep -qx "ECHO off" "$T/tty"
# a line typed between the prompt and a flushing tcsetattr would be lost
flush_first() {
	f=$(grep -n 'TCSETSF' "$T/strace" | head -1 | cut -d: -f1)
	p=$(grep -n 'write(.*"Passphrase for' "$T/strace" | head -1 | cut -d: -f1)
	[ -n "$f" ] && [ -n "$p" ] && [ "$f" -lt "$p" ]
}
check "terminal: echo off and the flush before the prompt is written" flush_first
check "terminal: a line typed at once is read (status 0)" grep -qx "STATUS 0" "$T/tty"
check "terminal: what was typed is not echoed" sh -c "! grep -qF '$PASS' '$T/tty'"

# bad requests
ML unlock "$(basename "$PL")" --test < "$T/pass" > "$T/out" 2>&1; st=$?
check "an ext4 device: not an encrypted container (status $st)" \
	sh -c "test $st -eq 1 && grep -q 'not an encrypted container' '$T/out'"
printf 'x\n' | ML unlock PLAIN > "$T/out" 2>&1; st=$?
check "an offered medium: refused" sh -c "test $st -eq 1 && grep -q 'not an encrypted container' '$T/out'"
printf 'x\n' | ML unlock NOSUCH > "$T/out" 2>&1; st=$?
check "no such medium" sh -c "test $st -eq 1 && grep -q 'no such medium' '$T/out'"
printf 'x\n' | ML unlock "$K2" --pim 5 > /dev/null 2>&1; st=$?
check "--pim without --type veracrypt: usage error (status 2)" test $st -eq 2
printf 'x\n' | ML unlock "$K2" --type nope > /dev/null 2>&1; st=$?
check "an unknown --type: usage error" test $st -eq 2
printf 'x\n' | ML unlock "$K2" --type veracrypt > "$T/out" 2>&1; st=$?
check "--type veracrypt on a LUKS header: refused by mediad" \
	sh -c "test $st -eq 1 && grep -q 'holds a crypto_LUKS header, not veracrypt' '$T/out'"
: | ML unlock "$K2" --test > "$T/out" 2>&1; st=$?
check "an empty passphrase: refused before anything is sent" \
	sh -c "test $st -eq 1 && grep -q 'empty passphrase' '$T/out'"

# raw clients: who may ask, one request per container, oversized secrets
cat > "$T/client.py" <<'PY'
import socket, sys, time
def talk(path, msgs, hold=0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    out = []
    for m in msgs:
        s.send(m)
        out.append(s.recv(4096).decode())
        if not out[-1].startswith("more "):
            break
    time.sleep(hold)
    return out
path, kind = sys.argv[1], sys.argv[2]
if kind == "first":       # an unlock that gets "more", then holds
    print(talk(path, [b"unlock test " + sys.argv[3].encode()], hold=3))
elif kind == "big":
    print(talk(path, [b"unlock test " + sys.argv[3].encode(), b"secret\n" + b"k" * 9000]))
else:
    print(talk(path, [sys.argv[3].encode()]))
PY
AS_NOBODY $PY "$T/client.py" "$STATE/control" one "unlock test $K2" > "$T/out" 2>&1
check "a user outside allow_group: refused before any secret (no 'more')" \
	grep -q "error permission denied: only root and members of group 'plugdev' may unlock" "$T/out"
AS_NOBODY $PY "$T/client.py" "$STATE/control" one "lock $K2" > "$T/out" 2>&1
check "and lock too" grep -q "permission denied" "$T/out"
printf '%s\n' "$PASS" | AS_MEMBER "$BUILD/medialist" -s "$STATE" -m "$MEDIA" unlock "$K2" --test \
	> "$T/out" 2>&1; st=$?
check "a member of allow_group may (status $st)" test $st -eq 0
$PY "$T/client.py" "$STATE/control" first "$K2" > "$T/first" 2>&1 &
first=$!
wait_until 5 "$T" grep -q "unlock test of $K2 (test) requested" "$LOG"
python3 "$T/client.py" "$STATE/control" one "unlock test $K2" > "$T/out" 2>&1
check "two unlocks of one container at once: the second is refused" \
	grep -q "another request for it is running" "$T/out"
wait $first
check "the first had its 'more'" grep -q "more send the secret" "$T/first"
python3 "$T/client.py" "$STATE/control" big "$K2" > "$T/out" 2>&1
check "a secret over 8192 bytes: refused" grep -q "secret longer than 8192 bytes" "$T/out"

# back-off: a fresh uid (a member of allow_group), three wrong for free,
# then 2 s, then 4 s; root meanwhile is not slowed down
try() { # WHO PASSPHRASE: prints the seconds the try took
	t0=$(date +%s%N)
	printf '%s\n' "$2" | $1 "$BUILD/medialist" -s "$STATE" -m "$MEDIA" unlock "$K2" --test \
		>/dev/null 2>&1
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
for i in 1 2 3; do try AS_MEMBER wrong > /dev/null; done
t4=$(try AS_MEMBER wrong); t5=$(try AS_MEMBER wrong)
diag "back-off: 4th wrong try ${t4} ms, 5th ${t5} ms"
check "after 3 failures the 4th try waits 2 s (${t4} ms)" test "$t4" -ge 2000
check "the 5th waits 4 s (${t5} ms)" test "$t5" -ge 4000
tr=$(try env "$PASS")
check "root is not slowed down by that uid (${tr} ms)" test "$tr" -lt 2000
check "the wait is logged with the count" grep -q "waits 4 s after 4 wrong secrets" "$LOG"
t6=$(try AS_MEMBER "$PASS"); t7=$(try AS_MEMBER wrong)
check "a right one (after its wait: ${t6} ms) starts afresh: the next wrong is at once (${t7} ms)" \
	test "$t6" -ge 8000 -a "$t7" -lt 2000

# the memory bound (unlock_memory = 128 MiB; the header asks 256 MiB)
printf '%s\n' "$PASS" | ML unlock "$KB" --test > "$T/out" 2>&1; st=$?
check "argon2 over the bound: refused, saying so (status $st)" \
	sh -c "test $st -eq 1 && grep -q 'needs 2[0-9][0-9] MiB, more than the' '$T/out'"

# the secret: in no log, record, argv or environment. A slow key (1 GiB
# of argon2 is too much here: 4 s of pbkdf2) keeps the helper alive to be
# looked at.
truncate -s 20M "$T/slow.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 4000000 \
	"$T/slow.img" -d "$T/pass"
attach SLOW "$T/slow.img"; KS=${SLOW#/dev/}
wait_ignored "$KS"
printf '%s\n' "$PASS" | ML unlock "$KS" --test > "$T/slowout" 2>&1 &
slow=$!
upid=""
for i in $(seq 100); do
	upid=$(pgrep -f "^mediad-unlock open $SLOW " | head -1)
	[ -n "$upid" ] && break
	sleep 0.05
done
check "the helper runs as 'mediad-unlock open DEVICE MAJ:MIN MAP OPTS'" test -n "$upid"
if [ -n "$upid" ]; then
	tr '\0' ' ' < "/proc/$upid/cmdline" > "$T/argv"; tr '\0' '\n' < "/proc/$upid/environ" > "$T/env"
	diag "helper argv: $(cat "$T/argv"); env: $(tr '\n' ' ' < "$T/env")"
	check "not in its argv" sh -c "! grep -qF '$PASS' '$T/argv'"
	check "not in its environment" sh -c "! grep -qF '$PASS' '$T/env'"
	check "the helper holds locked memory (the secret's pages)" \
		sh -c "test \$(awk '/^VmLck/ {print \$2}' /proc/$upid/status) -gt 0"
	check "no core file, and the address space bound of unlock_memory (128 MiB)" \
		sh -c "grep -q '^Max core file size *0 ' /proc/$upid/limits &&
			grep -q '^Max address space *134217728 ' /proc/$upid/limits"
fi
wait $slow
check "the slow unlock ends well" grep -q "fits" "$T/slowout"
check "the passphrase is in no log line" sh -c "! grep -qF '$PASS' '$LOG'"
check "nor in any record" sh -c "! grep -rqF '$PASS' '$STATE'"
RSS1=$(rss)
diag "mediad VmRSS: ${RSS0} kB before the unlocks, ${RSS1} kB after $(grep -c 'requested by uid' "$LOG") requests"
check "mediad's memory stays put (${RSS0} -> ${RSS1} kB)" test $((RSS1 - RSS0)) -lt 512

# a real BitLocker To Go volume (Windows made it; cryptsetup's test image)
if IMGS=$("$TOP/tests/crypt-images.sh" 2>"$T/imgerr"); then
	cp --sparse=always "$IMGS/bitlk-images/bitlk-togo-aes-xts-128.img" "$T/togo.img"
	attach BL "$T/togo.img"; KL=${BL#/dev/}
	check "BitLocker To Go: listed as a container" wait_until 10 "$STATE/ignored" \
		grep -qx "reason=encrypted container (BitLocker): medialist unlock $KL" "$STATE/ignored/$KL"
	printf 'anaconda\n' | ML unlock "$KL" --test > "$T/out" 2>&1; st=$?
	check "BitLocker: the right passphrase fits (status $st)" \
		sh -c "test $st -eq 0 && grep -q 'fits (BITLK' '$T/out'"
	rp=$(sed -n '/^\[bitlk-togo-aes-xts-128\]/,/^$/s/^RP=//p' "$IMGS/bitlk-images/images.conf")
	printf '%s\n' "$rp" | ML unlock "$KL" --test > "$T/out" 2>&1; st=$?
	check "BitLocker: the recovery password fits too (status $st)" test $st -eq 0
	printf 'nope\n' | ML unlock "$KL" --test > "$T/out" 2>&1; st=$?
	check "BitLocker: a wrong one is 'wrong passphrase' (status $st)" \
		sh -c "test $st -eq 1 && grep -qx 'medialist: wrong passphrase' '$T/out'"
	# damaged: the entries of the three FVE metadata blocks overwritten,
	# their signatures left (blkid still says BitLocker)
	cp --sparse=always "$T/togo.img" "$T/bad.img"
	python3 - "$T/bad.img" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
boot = f.read(512)
# BitLocker To Go: a GUID at 424, then the three metadata offsets
for off in struct.unpack_from("<3Q", boot, 424 + 16):
    f.seek(off + 112)
    f.write(b"\xff" * 2048)
PY
	attach BAD "$T/bad.img"; KD=${BAD#/dev/}
	wait_ignored "$KD"
	printf 'anaconda\n' | ML unlock "$KD" --test > "$T/out" 2>&1; st=$?
	diag "damaged BitLocker: $(cat "$T/out")"
	check "BitLocker with damaged metadata: refused with libcryptsetup's reason" \
		sh -c "test $st -eq 1 && grep -q 'no usable bitlk header (damaged' '$T/out'"
else
	diag "no BitLocker image: $(cat "$T/imgerr")"
fi

# key_dir: checked as hooks_dir is, key files named after the UUID
UUID=$(blkid -o value -s UUID "$T/l2.img")
mkdir -m 0777 "$T/keys"
write_conf "allow_group = plugdev" "key_dir = $T/keys"
wait_until 10 "$T" grep -q "configuration reloaded" "$LOG"
reattach_l2() { detach "$L2"; attach L2 "$T/l2.img"; K2=${L2#/dev/}; wait_ignored "$K2"; }
cp "$T/key.bin" "$T/keys/$UUID"; chmod 0600 "$T/keys/$UUID"
reattach_l2
check "key_dir writable by others: not used, and said so" \
	wait_until 10 "$T" grep -q "$K2: no auto-unlock: key_dir $T/keys: not owned by root, or group or others may write it" "$LOG"
chmod 0700 "$T/keys"; chmod 0644 "$T/keys/$UUID"
reattach_l2
check "a key others may read: not used, and said so" \
	wait_until 10 "$T" grep -q "$K2: no auto-unlock: $T/keys/$UUID: not a regular file of root's that only root may read" "$LOG"
head -c 64 /dev/urandom > "$T/keys/$UUID"; chmod 0600 "$T/keys/$UUID"
reattach_l2
check "a wrong key: tried, 'wrong key file'" \
	wait_until 10 "$T" grep -q "auto-unlock of $K2 for uid 0: wrong key file" "$LOG"
cp "$T/key.bin" "$T/keys/$UUID"
reattach_l2
check "the right key: tried at plug-in, it fits (no device-mapper here)" \
	wait_until 10 "$T" grep -q "auto-unlock of $K2 for uid 0 failed: .*the key file fits, but device-mapper" "$LOG"
check "once per plug: a change event does not try again" sh -c "
	n=\$(grep -c 'auto-unlock of $K2: with its key' '$LOG'); echo change > /sys/block/$K2/uevent; sleep 1
	test \$(grep -c 'auto-unlock of $K2: with its key' '$LOG') -eq \$n"
check "mediad alive" kill -0 "$MEDIAD_PID"
done_testing
