#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Safe to remove without debugfs (debugfs_dir = none): the global
# counters of /proc/meminfo, a conservative answer; and medialist unmount
# and eject flushing first, reporting how long it took and how much.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" "$@"; }
jqok() { jq -e "$@" >/dev/null; } # FILTER FILE: true or not, nothing printed
H=$T/hooks
mkdir -p "$H"
cat > "$H/10-log" <<HOOK
#!/bin/sh
echo "\$1 \$MEDIAD_NAME \$MEDIAD_SAFE \$MEDIAD_DIRTY_SOURCE" >> "$T/hooklog"
HOOK
chmod 755 "$H" "$H/10-log"
# flush_idle = 0: what unmount and eject flush is measured below, so
# mediad must not have flushed it first (safe.t tests that)
write_conf "debugfs_dir = none" "hooks_dir = $H" "flush_idle = 0"
mkimg "$T/a.img" ext4 GLOBAL 64
start_mediad
start_automount
attach A "$T/a.img"
wait_link GLOBAL

(cd "$MEDIA/list/GLOBAL/" && exec sleep 600) & HOLD=$!
EXTRA_PIDS="$EXTRA_PIDS $HOLD"
check "mounted through the list" wait_until 10 "$STATE/media" rec_is GLOBAL mountpoint "$MEDIA/auto/GLOBAL"
check "measured with the global counters" wait_until 10 "$STATE/media" rec_is GLOBAL dirty_source meminfo
dd if=/dev/urandom of="$MEDIA/list/GLOBAL/data" bs=1M count=8 2>/dev/null
check "written to: not safe" wait_until 10 "$STATE/media" rec_is GLOBAL safe 0
check "--json says so, and from where" sh -c "'$BUILD/medialist' -c '$CONF' -J |
	jq -e '.[] | select(.name == \"GLOBAL\") | .safe == false and .dirty_source == \"meminfo\"' >/dev/null"
check "the dirty hook ran" wait_until 10 "$T" grep -qx "dirty GLOBAL 0 meminfo" "$T/hooklog"
sync
# Whether the whole machine's Dirty and Writeback reach zero depends on
# every other writer on it (other tests run beside this one): clean is
# checked when they do; when they never do, the record must still say
# not safe, which is the conservative answer this source promises.
if wait_until 30 "$STATE/media" rec_is GLOBAL safe 1; then
	ok "after sync, with the machine's counters at zero: safe"
	check "the clean hook ran" wait_until 10 "$T" grep -qx "clean GLOBAL 1 meminfo" "$T/hooklog"
else
	dw=$(awk '/^(Dirty|Writeback):/ { s += $2 } END { print s }' /proc/meminfo)
	check "after sync, others' data still dirty ($dw kB): still not safe" rec_is GLOBAL safe 0
	ok "# SKIP the machine's Dirty+Writeback never reached zero in 30 s"
fi
kill "$HOLD"
check "expired: unmounted and safe" wait_until 30 "$STATE/media" sh -c \
	"rec_is() { [ \"\$(sed -n \"s/^\$2=//p\" '$STATE/media/'\$1)\" = \"\$3\" ]; }; rec_is GLOBAL mountpoint '' && rec_is GLOBAL safe 1 && rec_is GLOBAL dirty_source ''"

# medialist unmount: syncfs first, timed; 8 MiB left dirty are written by it
# (far below the kernel's background threshold: nothing writes them sooner)
ML mount GLOBAL >/dev/null
dd if=/dev/urandom of="$MEDIA/list/GLOBAL/more" bs=1M count=8 2>/dev/null
ML -J unmount GLOBAL > "$T/out" 2>"$T/err"; st=$?
check "unmount --json exits 0" test $st -eq 0
check "it reports the flush: seconds, and at least the 8 MiB written" \
	jqok '.ok == true and .action == "unmount" and (.flush_seconds | type) == "number" and .flush_seconds >= 0 and .flush_bytes >= 8388608' "$T/out"
diag "unmount: $(cat "$T/out")"
check "it is unmounted" not_mounted "$MEDIA/auto/GLOBAL"
ML mount GLOBAL >/dev/null
dd if=/dev/urandom of="$MEDIA/list/GLOBAL/third" bs=1M count=4 2>/dev/null
ML unmount GLOBAL > "$T/out" 2>"$T/err"; st=$?
check "unmount (text) exits 0" test $st -eq 0
check "and says how much was flushed in how long" grep -Eq '^flushed [0-9.]+M in [0-9]+\.[0-9]{3} s$' "$T/out"
diag "unmount: $(tr '\n' ' ' < "$T/out")"
ML -J unmount GLOBAL > "$T/out" 2>&1
check "not mounted: nothing flushed, null" jqok '.ok == true and .flush_seconds == null and .flush_bytes == null' "$T/out"

# eject: every mount of the disk flushed first
ML mount GLOBAL >/dev/null
dd if=/dev/urandom of="$MEDIA/list/GLOBAL/fourth" bs=1M count=8 2>/dev/null
ML -J eject GLOBAL > "$T/out" 2>"$T/err"; st=$?
check "eject --json exits 0" test $st -eq 0
check "it reports the flush, at least the 8 MiB written" \
	jqok '.ok == true and .action == "eject" and .flush_seconds >= 0 and .flush_bytes >= 8388608' "$T/out"
check "and what happened" jqok '.message | test("detached")' "$T/out"
diag "eject: $(cat "$T/out")"
check "the medium is withdrawn" wait_no_link GLOBAL
# the data reached the image: read it back through a fresh loop device
attach B "$T/a.img"
check "published again" wait_link GLOBAL
check "the files flushed before the eject are whole (automount may answer from its 1 s cache first)" \
	wait_until 10 "$T" sh -c "test \"\$(stat -c %s '$MEDIA/list/GLOBAL/fourth' '$MEDIA/list/GLOBAL/more' 2>/dev/null | tr '\n' ' ')\" = '8388608 8388608 '"
done_testing
