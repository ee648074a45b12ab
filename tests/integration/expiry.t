#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Expiry on time: a medium read through /media/list and left alone is
# unmounted within expire_timeout + 1 s, and mediad's own idle flush never
# keeps it mounted longer: automount restarts its idle clock whenever a
# path walk crosses the mount or an expire check finds it busy, so a flush
# that walks to the mount (even with O_PATH) or holds it open would push
# the unmount back. A write then idle: flushed once, with bytes, and
# unmounted within expire_timeout + 1 s of that flush. Both answers of the
# dirty poll: the global counters (debugfs_dir = none, the busy machine
# case) and debugfs's per-device ones.
. "$(dirname "$0")/lib.sh"

EXPIRE=3
DBG=$T/debug
mkdir -p "$DBG"
mount -t debugfs none "$DBG" 2>/dev/null || DBG=""

# timeline.py MOUNTPOINT LOG NAME read|write FILE: does the access, then
# waits (poll on mountinfo, inotify on the log) until the mount is gone;
# prints "flushes=N zero=Z after_access=S after_flush=S" (seconds, from the
# end of the access and from the last flush's log line; -1: no flush)
cat > "$T/timeline.py" <<'PY'
import ctypes, os, select, sys, time
mp, log, name, how, path = sys.argv[1:6]
libc = ctypes.CDLL(None, use_errno=True)
ino = libc.inotify_init1(os.O_NONBLOCK)
libc.inotify_add_watch(ino, log.encode(), 0x2)  # IN_MODIFY
mi = open("/proc/self/mountinfo")
p = select.poll()
p.register(mi, select.POLLPRI | select.POLLERR)
p.register(ino, select.POLLIN)
logf = open(log)
logf.seek(0, 2)
if how == "read":
    open(path, "rb").read()
else:
    with open(path, "wb") as f:
        f.write(os.urandom(4 << 20))
t0 = time.monotonic()
flushes, zero, t_flush, buf = 0, 0, None, ""
def mounted():
    mi.seek(0)
    return any(l.split()[4] == mp for l in mi.read().splitlines())
end = t0 + 30
while mounted() and time.monotonic() < end:
    p.poll(500)
    try:
        os.read(ino, 4096)
    except BlockingIOError:
        pass
    buf += logf.read()
    *lines, buf = buf.split("\n")
    for l in lines:
        if f"{name} (" in l and "): flushed " in l:
            flushes += 1
            zero += "flushed 0B " in l
            t_flush = time.monotonic()
t1 = time.monotonic()
print(f"flushes={flushes} zero={zero} after_access={t1 - t0:.2f} "
      f"after_flush={t1 - t_flush if t_flush else -1:.2f} still_mounted={int(mounted())}")
PY

# within LIMIT VALUE: VALUE (seconds) is at most LIMIT
within() { python3 -c "import sys; sys.exit(not 0 <= float(sys.argv[2]) <= float(sys.argv[1]))" "$1" "$2"; }
val() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# a stick formatted long ago: its inode tables are initialised (mke2fs
# leaves that to the kernel's lazyinit thread, whose writes on the first
# mount would be nobody's data)
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 -L EXPIRY "$T/a.img" 16M 2>/dev/null ||
	mkimg "$T/a.img" ext4 EXPIRY
debugfs -w -R "write /etc/hostname hello" "$T/a.img" >/dev/null 2>&1
for mode in meminfo ${DBG:+bdi}; do
	if [ "$mode" = bdi ]; then
		write_conf "expire_timeout = $EXPIRE" "flush_idle = 1" "debugfs_dir = $DBG"
	else
		write_conf "expire_timeout = $EXPIRE" "flush_idle = 1" "debugfs_dir = none"
	fi
	start_mediad
	start_automount
	attach A "$T/a.img"
	check "$mode: published" wait_link EXPIRY
	mp=$MEDIA/auto/EXPIRY

	r=$(python3 "$T/timeline.py" "$mp" "$LOG" EXPIRY read "$MEDIA/list/EXPIRY/hello")
	diag "$mode, read: $r"
	check "$mode: read and left alone: unmounted within $EXPIRE + 1 s" \
		within $((EXPIRE + 1)) "$(val after_access "$r")"
	# (a read may write: relatime's access time, flushed like any write)
	check "$mode: and no flush that wrote nothing" test "$(val zero "$r")" -eq 0
	check "$mode: at most one flush" test "$(val flushes "$r")" -le 1
	nread=$(val flushes "$r")

	r=$(python3 "$T/timeline.py" "$mp" "$LOG" EXPIRY write "$MEDIA/list/EXPIRY/data")
	diag "$mode, write: $r"
	diag "$(grep "EXPIRY ($A): flushed" "$LOG" | sed 's/.*: flushed/flushed/')"
	check "$mode: written then idle: flushed once" test "$(val flushes "$r")" -eq 1
	check "$mode: that flush wrote something" test "$(val zero "$r")" -eq 0
	check "$mode: unmounted within $EXPIRE + 1 s of the flush" \
		within $((EXPIRE + 1)) "$(val after_flush "$r")"
	check "$mode: unmounted" test "$(val still_mounted "$r")" -eq 0
	check "$mode: the record follows" wait_until 10 "$STATE/media" rec_is EXPIRY mountpoint ""
	check "$mode: nothing flushed after the unmount" \
		test "$(grep -c "EXPIRY ($A): flushed" "$LOG")" -eq $((nread + 1))
	check "$mode: the data is on the device" \
		sh -c "debugfs -R 'stat /data' '$A' 2>/dev/null | grep -q 'Size: 4194304'"
	detach "$A"
	check "$mode: withdrawn" wait_no_link EXPIRY
	stop_automount
	stop_mediad
	debugfs -w -R "rm /data" "$T/a.img" >/dev/null 2>&1
done
[ -n "$DBG" ] && umount "$DBG"
done_testing
