#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hooks: run in name order on add, mount, unmount and remove with the
# medium's fields in MEDIAD_* variables; a failing hook is logged; a hook
# that hangs is killed after hook_timeout, with its children, and never
# holds up publication; a hook writable by others is never run, nor one
# that is a symlink; a hooks directory that is a symlink, not root's, or
# writable by others is refused as a whole (issue 14, finding 7).
. "$(dirname "$0")/lib.sh"

H=$T/hooks
mkdir -p "$H"
chmod 755 "$H" # root's, writable by nobody else, whatever the umask
# 4 s: long enough that, under load, the next medium is published and
# checked before the hanging hook is killed
printf 'hooks_dir = %s\nhook_timeout = 4\n' "$H" >> "$CONF"
cat > "$H/10-log" <<HOOK
#!/bin/sh
echo "\$1|\$MEDIAD_EVENT|\$MEDIAD_NAME|\$MEDIAD_DEVNAME|\$MEDIAD_LABEL|\$MEDIAD_FSTYPE|\$MEDIAD_MOUNTPOINT|\$MEDIAD_PATH" >> "$T/hooklog"
HOOK
cat > "$H/20-second" <<HOOK
#!/bin/sh
echo "second \$1 \$MEDIAD_NAME" >> "$T/hooklog"
HOOK
cat > "$H/30-fail" <<'HOOK'
#!/bin/sh
exit 3
HOOK
cat > "$H/15-hang" <<HOOK
#!/bin/sh
# a hook that hangs, with a child of its own
[ "\$MEDIAD_LABEL" = HANG ] && [ "\$1" = add ] || exit 0
sleep 617 & echo \$! > "$T/hang_child"
exec sleep 618
HOOK
printf '#!/bin/sh\necho unsafe >> %s/hooklog\n' "$T" > "$H/40-unsafe"
cp "$H/10-log" "$H/10-log~"
# a symlink to a good executable: never run (what runs is what was
# checked, and a link is not checked)
printf '#!/bin/sh\necho "linked $1" >> %s/linklog\n' "$T" > "$T/linked-exe"
chmod 755 "$T/linked-exe"
ln -s "$T/linked-exe" "$H/50-linked"
# the last hook: once it ran for an event, every hook before it had its turn
printf '#!/bin/sh\necho "last $1 $MEDIAD_NAME" >> %s/lastlog\n' "$T" > "$H/60-last"
chmod 755 "$H"/*
chmod 777 "$H/40-unsafe"

start_mediad
mkimg "$T/a.img" ext4 HOOKME
attach A "$T/a.img"
wait_link HOOKME
check "the add hook ran with the medium's fields" \
	wait_until 10 "$T" grep -qxF "add|add|HOOKME|$A|HOOKME|ext4||$MEDIA/list/HOOKME" "$T/hooklog"
check "hooks ran in name order" wait_until 10 "$T" grep -q "second add HOOKME" "$T/hooklog"
check "10-log before 20-second" \
	sh -c "grep -n '' '$T/hooklog' | grep -E 'add\\|add\\|HOOKME|second add' | head -1 | grep -q '|add|'"
check "a failing hook is logged with its status" \
	wait_until 10 "$T" grep -q "hook 30-fail (add HOOKME) failed: exit status 3" "$LOG"
check "a hook writable by others is not run" sh -c "! grep -q unsafe '$T/hooklog'"
check "and that is logged" grep -q "40-unsafe skipped: writable by others" "$LOG"
check "backup files are not run" test "$(grep -c '^add|add|HOOKME' "$T/hooklog")" -eq 1
check "the last hook ran" wait_until 10 "$T" grep -qsx "last add HOOKME" "$T/lastlog"
check "a hook that is a symlink to an executable is not run" test ! -e "$T/linklog"

mkdir -p "$MEDIA/auto/HOOKME" && mount "$A" "$MEDIA/auto/HOOKME"
check "mount hook with the mount point" \
	wait_until 10 "$T" grep -qxF "mount|mount|HOOKME|$A|HOOKME|ext4|$MEDIA/auto/HOOKME|$MEDIA/list/HOOKME" "$T/hooklog"
umount "$MEDIA/auto/HOOKME"
check "unmount hook with the old mount point" \
	wait_until 10 "$T" grep -qxF "unmount|unmount|HOOKME|$A|HOOKME|ext4|$MEDIA/auto/HOOKME|$MEDIA/list/HOOKME" "$T/hooklog"
detach "$A"
check "remove hook" wait_until 10 "$T" grep -q "^remove|remove|HOOKME|" "$T/hooklog"

# a hook that hangs: the next medium is published at once all the same
mkimg "$T/h.img" ext4 HANG
mkimg "$T/n.img" ext4 NEXT
attach B "$T/h.img"
wait_link HANG
wait_until 10 "$T" test -s "$T/hang_child"
attach NX "$T/n.img"
check "publication goes on while a hook hangs" wait_link NEXT 1
check "the hang is not over yet at that point" sh -c "! grep -q 'killed' '$LOG'"
check "the hanging hook is killed after hook_timeout" \
	wait_until 10 "$T" grep -qE "hook 15-hang \(add HANG\) (still running after 4 s: killed|killed after 4 s)" "$LOG"
check "its child is killed too" wait_until 5 "$T" sh -c "! kill -0 \$(cat '$T/hang_child') 2>/dev/null"
check "the hooks after it still run, in order" wait_until 10 "$T" grep -q "second add HANG" "$T/hooklog"
check "and the next medium's hooks after that" wait_until 10 "$T" grep -q "second add NEXT" "$T/hooklog"
check "the daemon still runs" kill -0 "$MEDIAD_PID"

# The hooks directory itself: refused as a whole when it is writable by
# others, not root's, or a symlink (to a good directory, even): whoever
# can write it, or swap it, could run anything as root.
check "the queue is idle (the last hook ran for NEXT)" \
	wait_until 10 "$T" grep -qsx "last add NEXT" "$T/lastlog"
reloads() { grep -c "configuration reloaded" "$LOG"; }
use_hooks_dir() { # DIR: the running mediad takes hooks_dir = DIR
	n=$(reloads)
	write_conf "hooks_dir = $1" "hook_timeout = 4"
	wait_until 10 "$T" sh -c "[ \$(grep -c 'configuration reloaded' '$LOG') -gt $n ]"
}
# a hook for each refused directory, and a good directory with a marker
# hook: mediad runs one hook at a time, in the order of events, so once
# the marker ran for a later event every earlier hook had its turn
badhook() { # DIR CASE
	mkdir -p "$1"
	printf '#!/bin/sh\necho "%s $1 $MEDIAD_NAME" >> %s/badlog\n' "$2" "$T" > "$1/10-bad"
	chmod 755 "$1/10-bad"
}
M=$T/hooks-mark
mkdir -p "$M" && chmod 755 "$M"
printf '#!/bin/sh\necho "mark $1 $MEDIAD_NAME" >> %s/marklog\n' "$T" > "$M/10-mark"
chmod 755 "$M/10-mark"
badhook "$T/hooks-open" open && chmod 777 "$T/hooks-open"
badhook "$T/hooks-group" group && chmod 775 "$T/hooks-group"
badhook "$T/hooks-theirs" theirs && chmod 755 "$T/hooks-theirs" &&
	chown 65534:65534 "$T/hooks-theirs"
badhook "$T/hooks-good" link && chmod 755 "$T/hooks-good"
ln -s "$T/hooks-good" "$T/hooks-link"

for c in open:OPENDIR group:GROUPDIR theirs:THEIRDIR link:LINKDIR; do
	hk=${c%%:*}
	hl=${c#*:}
	hd=$T/hooks-$hk # (not $dir: wait_until uses that)
	use_hooks_dir "$hd"
	mkimg "$T/$hk.img" ext4 "$hl"
	attach X "$T/$hk.img"
	check "$hk: published" wait_link "$hl"
	# a later event for the same medium, with the marker's directory
	use_hooks_dir "$M"
	mkdir -p "$MEDIA/auto/$hl" && mount "$X" "$MEDIA/auto/$hl"
	check "$hk: the marker hook ran for the next event" \
		wait_until 10 "$T" grep -qsx "mark mount $hl" "$T/marklog"
	umount "$MEDIA/auto/$hl"
	check "$hk: no hook in $(basename "$hd") ran" \
		sh -c "! grep -q '^$hk ' '$T/badlog' 2>/dev/null"
	check "$hk: mediad logged that it refused $(basename "$hd")" \
		sh -c "grep -F '$hd' '$LOG' | grep -qi refus"
done
grep -F "$T/hooks-" "$LOG" | grep -vi debug | sed 's/^/# /'
check "hooks in a good directory still run" grep -qx "mark mount LINKDIR" "$T/marklog"
check "the daemon still runs" kill -0 "$MEDIAD_PID"
done_testing
