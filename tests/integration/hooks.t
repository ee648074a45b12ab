#!/bin/sh
# Hooks: run in name order on add, mount, unmount and remove with the
# medium's fields in MEDIAD_* variables; a failing hook is logged; a hook
# that hangs is killed after hook_timeout, with its children, and never
# holds up publication; a hook writable by others is never run.
. "$(dirname "$0")/lib.sh"

H=$T/hooks
mkdir -p "$H"
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
	wait_until 10 "$T" grep -q "hook 15-hang (add HANG) still running after 4 s: killed" "$LOG"
check "its child is killed too" wait_until 5 "$T" sh -c "! kill -0 \$(cat '$T/hang_child') 2>/dev/null"
check "the hooks after it still run, in order" wait_until 10 "$T" grep -q "second add HANG" "$T/hooklog"
check "and the next medium's hooks after that" wait_until 10 "$T" grep -q "second add NEXT" "$T/hooklog"
check "the daemon still runs" kill -0 "$MEDIAD_PID"
done_testing
