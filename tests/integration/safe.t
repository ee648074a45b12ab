#!/bin/sh
# Safe to remove, from debugfs's per-device counters: a medium written to
# through /media/list goes dirty in its record, in medialist (table,
# --json, watch) and for hooks; clean again after sync and after the
# kernel's own writeback; safe once automount has expired it.
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
write_conf "debugfs_dir = $DBG" "hooks_dir = $H"
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

dd if=/dev/urandom of="$MEDIA/list/SAFEME/data" bs=1M count=8 2>/dev/null
check "written to: the record says not safe" wait_until 10 "$STATE/media" rec_is SAFEME safe 0
check "--json says so" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == false and .dirty_source == \"bdi\" and .state == \"mounted\"' >/dev/null"
check "the table says so" sh -c "'$BUILD/medialist' -c '$CONF' -n -o NAME,STATE,SAFE | grep -Eqx 'SAFEME +mounted +no'"
check "the dirty hook ran" wait_until 10 "$T" grep -qx "dirty SAFEME 0 bdi" "$T/hooklog"
check "watch printed it" wait_until 10 "$T" grep -q "^dirty SAFEME $A $MEDIA/auto/SAFEME" "$T/watch"
check "the log says so" grep -q "SAFEME ($A) has data waiting to be written" "$LOG"

# sync writes everything, but the disk's own inode may stay on the dirty
# list, with no dirty page, until the flusher's next periodic pass (up to
# dirty_expire + dirty_writeback, 35 s): meanwhile mediad stays on the
# safe side
sync
start=$(date +%s)
check "after sync: safe again" wait_until 60 "$STATE/media" rec_is SAFEME safe 1
diag "safe $(( $(date +%s) - start )) s after sync"
rec_is SAFEME safe 1 || { diag "$(cat "$DBG/bdi/$(cat /sys/class/block/$(basename "$A")/dev)/stats" | tr '\n' ' ')"; diag "inflight: $(cat /sys/class/block/$(basename "$A")/inflight)"; }
check "--json says so" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == true and .mountpoint != null' >/dev/null"
check "the table says so" sh -c "'$BUILD/medialist' -c '$CONF' -n -o NAME,STATE,SAFE | grep -Eqx 'SAFEME +mounted +yes'"
check "the clean hook ran" wait_until 10 "$T" grep -qx "clean SAFEME 1 bdi" "$T/hooklog"
check "watch printed it" wait_until 10 "$T" grep -q "^clean SAFEME $A" "$T/watch"

# no sync: the kernel's own writeback (dirty_expire_centisecs, 30 s by
# default) makes it clean
dd if=/dev/urandom of="$MEDIA/list/SAFEME/more" bs=1M count=4 2>/dev/null
check "written to again: not safe" wait_until 10 "$STATE/media" rec_is SAFEME safe 0
start=$(date +%s)
check "clean after the kernel's writeback, no sync" wait_until 120 "$STATE/media" rec_is SAFEME safe 1
diag "clean $(( $(date +%s) - start )) s after the write (vm.dirty_expire_centisecs=$(cat /proc/sys/vm/dirty_expire_centisecs))"
check "hooks saw dirty, clean, dirty, clean in order" \
	wait_until 10 "$T" sh -c "test \"\$(grep -E '^(dirty|clean) ' '$T/hooklog' | cut -d' ' -f1 | tr '\n' ' ')\" = 'dirty clean dirty clean '"

# released: automount expires it, and unmounted is safe
kill "$HOLD"
check "expired: unmounted" wait_until 30 "$STATE/media" rec_is SAFEME mountpoint ""
check "unmounted: safe, nothing measured" sh -c "test \"\$(sed -n 's/^safe=//p;s/^dirty_source=/src:/p' '$STATE/media/SAFEME' | tr '\n' ' ')\" = '1 src: '"
check "--json: safe, dirty_source null" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"SAFEME\") | .safe == true and .dirty_source == null and .state == \"idle\"' >/dev/null"
check "the unmount hook ran" wait_until 10 "$T" grep -q "^unmount SAFEME" "$T/hooklog"
check "the poll stopped" wait_until 5 "$T" grep -q "dirty-data poll stopped" "$LOG"
done_testing
