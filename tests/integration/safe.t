#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Safe to remove, from debugfs's per-device counters: a medium written to
# through /media/list goes dirty in its record, in medialist (table,
# --json, watch) and for hooks; clean again once mediad has flushed it
# (flush_idle), with the data on the device, and with flush_idle = 0 after
# the kernel's own writeback; safe once automount has expired it.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" "$@"; }
# debugfs in this test's own mount namespace, on a directory of its own:
# nothing outside sees it, and it goes when the namespace does
DBG=$T/debug
mkdir -p "$DBG"
if ! mount -t debugfs none "$DBG" 2>"$T/err"; then
	echo "1..0 # SKIP cannot mount debugfs: $(cat "$T/err")"
	exit 0
fi
H=$T/hooks
mkdir -p "$H"
cat > "$H/10-log" <<HOOK
#!/bin/sh
echo "\$1 \$MEDIAD_NAME \$MEDIAD_SAFE \$MEDIAD_DIRTY_SOURCE" >> "$T/hooklog"
HOOK
chmod 755 "$H" "$H/10-log"
# flush_idle = 3: time enough to see the dirty state everywhere before
# mediad flushes it
write_conf "debugfs_dir = $DBG" "hooks_dir = $H" "flush_idle = 3"
mkimg "$T/a.img" ext4 SAFEME 64
start_mediad
start_automount
attach A "$T/a.img"
wait_link SAFEME
check "not mounted: safe" rec_is SAFEME safe 1
# the binary itself, not the ML function: $! must be medialist, or the
# kill at exit hits a subshell and leaves medialist running
"$BUILD/medialist" -c "$CONF" watch > "$T/watch" 2>&1 & EXTRA_PIDS="$EXTRA_PIDS $!"

# a shell whose working directory is on the medium keeps it mounted
(cd "$MEDIA/list/SAFEME/" && exec sleep 600) & HOLD=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLD"
check "mounted through the list" wait_until 10 "$STATE/media" rec_is SAFEME mountpoint "$MEDIA/auto/SAFEME"
check "mounted, nothing written: safe" wait_until 20 "$STATE/media" rec_is SAFEME safe 1
check "measured per device (debugfs)" rec_is SAFEME dirty_source bdi

# (the file is compared with this copy later: reading it back through
# the mount would update its atime, a write of its own)
dd if=/dev/urandom of="$T/src" bs=1M count=8 2>/dev/null
cp "$T/src" "$MEDIA/list/SAFEME/data"
check "written to: the record says not safe" wait_until 10 "$STATE/media" rec_is SAFEME safe 0
check "--json says so" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == false and .dirty_source == \"bdi\" and .state == \"mounted\"' >/dev/null"
check "the table says so" sh -c "'$BUILD/medialist' -c '$CONF' -n -o NAME,STATE,SAFE | grep -Eqx 'SAFEME +mounted +no'"
check "the dirty hook ran" wait_until 10 "$T" grep -qx "dirty SAFEME 0 bdi" "$T/hooklog"
check "watch printed it" wait_until 10 "$T" grep -q "^dirty SAFEME $A $MEDIA/auto/SAFEME" "$T/watch"
check "the log says so" grep -q "SAFEME ($A) has data waiting to be written" "$LOG"

# no sync: once nothing has changed for flush_idle (3 s), mediad flushes
# the medium itself (syncfs in a child): safe within seconds, not after
# the kernel's own writeback (30 s and more), and the data is on the
# device at that moment
start=$(date +%s)
check "safe again once mediad flushed it, without a sync" \
	wait_until 20 "$STATE/media" rec_is SAFEME safe 1
took=$(( $(date +%s) - start ))
kexp=$(( $(cat /proc/sys/vm/dirty_expire_centisecs) / 100 ))
diag "safe $took s after the write (the kernel's writeback would take $kexp s and more)"
check "safe sooner than the kernel's own writeback ($took s < $kexp s)" test "$took" -lt "$kexp"
check "the log says mediad flushed it" grep -q "SAFEME ($A): flushed [0-9.]*M in" "$LOG"
diag "$(grep "SAFEME ($A): flushed" "$LOG" | tail -1 | sed 's/.*: flushed/flushed/')"
# the kernel may still list the block device's own inode as dirty, with no
# page left to write: mediad does not count what its flush left behind
diag "bdi right after: $(grep -E '^(BdiWriteback|BdiReclaimable|b_dirty|b_io|b_more_io):' "$DBG/bdi/$(cat /sys/class/block/$(basename "$A")/dev)/stats" | tr -s ' \n' ' ')"
# pulled: a copy of the image as it is now, as the next computer would
# mount it (e2fsck replays the journal), holds the file whole
pulled() {
	cp "$T/a.img" "$T/pulled.img" &&
	e2fsck -fy "$T/pulled.img" > "$T/pulled.fsck" 2>&1
	[ $? -lt 4 ] || { diag "e2fsck of the copy: $(tr '\n' ' ' < "$T/pulled.fsck")"; return 1; }
}
pulled && debugfs -R "dump /data $T/back" "$T/pulled.img" >/dev/null 2>&1
check "the data is on the device when it says safe" cmp -s "$T/back" "$T/src"
check "--json says so" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == true and .mountpoint != null' >/dev/null"
check "the table says so" sh -c "'$BUILD/medialist' -c '$CONF' -n -o NAME,STATE,SAFE | grep -Eqx 'SAFEME +mounted +yes'"
check "the clean hook ran" wait_until 10 "$T" grep -qx "clean SAFEME 1 bdi" "$T/hooklog"
check "watch printed it" wait_until 10 "$T" grep -q "^clean SAFEME $A" "$T/watch"

# a small write after that flush is seen, though the inode the flush left
# listed is still there: a new file's inode raises the count
# events_since N WANT: the dirty and clean hook events after line N of the
# hook log, as "dirty clean ...", match the extended regex WANT whole
events_since() {
	tail -n +"$(($1 + 1))" "$T/hooklog" | grep -E '^(dirty|clean) ' | cut -d' ' -f1 |
		tr '\n' ' ' | grep -Eqx "$2"
}
n=$(wc -l < "$T/hooklog")
echo small > "$MEDIA/list/SAFEME/small"
check "a small write after mediad's flush: dirty again, then flushed" \
	wait_until 20 "$T" events_since "$n" 'dirty clean '
pulled
check "and it is on the device" sh -c "debugfs -R 'cat /small' '$T/pulled.img' 2>/dev/null | grep -qx small" ||
	diag "$(grep -E 'SAFEME.*(flush|clean|waiting)' "$LOG" | tail -6)"

# flush_idle = 0: the data is left to the kernel's own writeback
# (dirty_expire_centisecs, 30 s by default); once the kernel has written
# it, mediad syncs the filesystem once (which then writes only what the
# journal still holds) and calls it safe when that ends: never on a
# guess of when the journal commits
nflushed=$(grep -c "SAFEME ($A): flushed" "$LOG")
ncommit=$(grep -c "SAFEME ($A): written back by the kernel; synced to commit it" "$LOG")
write_conf "debugfs_dir = $DBG" "hooks_dir = $H" "flush_idle = 0"
kill -HUP "$MEDIAD_PID"
check "reloaded with flush_idle = 0" wait_until 10 "$T" grep -q "configuration reloaded" "$LOG"
n=$(wc -l < "$T/hooklog")
dd if=/dev/urandom of="$T/more.src" bs=1M count=4 2>/dev/null
cp "$T/more.src" "$MEDIA/list/SAFEME/more"
check "written to again: not safe" wait_until 10 "$STATE/media" rec_is SAFEME safe 0
start=$(date +%s)
check "clean after the kernel's writeback, no sync" wait_until 120 "$STATE/media" rec_is SAFEME safe 1
diag "clean $(( $(date +%s) - start )) s after the write (vm.dirty_expire_centisecs=$(cat /proc/sys/vm/dirty_expire_centisecs))"
pulled && debugfs -R "dump /more $T/back" "$T/pulled.img" >/dev/null 2>&1
check "the data is on the device, its journal committed, when it says safe" cmp -s "$T/back" "$T/more.src"
check "mediad did not flush the data this time" test "$(grep -c "SAFEME ($A): flushed" "$LOG")" -eq "$nflushed"
check "it synced once the kernel had written it, and said so" \
	test "$(grep -c "SAFEME ($A): written back by the kernel; synced to commit it" "$LOG")" -gt "$ncommit"
diag "$(grep "SAFEME ($A): written back by the kernel" "$LOG" | tail -1 | sed 's/.*: written/written/')"
# (one pair is what mediad's sync after the kernel's writeback gives; more
# than one is still the truth if the device is written again later, as
# ext4's journal commit did after mediad's old 5 s wait in CI's kernel
# pass)
check "hooks saw dirty, then clean" \
	wait_until 10 "$T" events_since "$n" '(dirty clean )+'
check "hooks saw every dirty followed by a clean, no two alike in a row" \
	sh -c "grep -E '^(dirty|clean) ' '$T/hooklog' | cut -d' ' -f1 | tr '\n' ' ' | grep -Eqx '(dirty clean )+'"

# released: automount expires it, and unmounted is safe
kill "$HOLD"
check "expired: unmounted" wait_until 30 "$STATE/media" rec_is SAFEME mountpoint ""
check "unmounted: safe, nothing measured" sh -c "test \"\$(sed -n 's/^safe=//p;s/^dirty_source=/src:/p' '$STATE/media/SAFEME' | tr '\n' ' ')\" = '1 src: '"
check "--json: safe, dirty_source null" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == true and .dirty_source == null and .state == \"idle\"' >/dev/null"
check "the unmount hook ran" wait_until 10 "$T" grep -q "^unmount SAFEME" "$T/hooklog"
check "the poll stopped" wait_until 5 "$T" grep -q "dirty-data poll stopped" "$LOG"
done_testing
