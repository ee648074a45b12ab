#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Configuration errors name file and line and stop the daemon from
# starting; mediad -t checks a file; SIGHUP applies a good file and keeps
# the running configuration on a bad one.
. "$(dirname "$0")/lib.sh"

printf 'source = kernel\nbogus_key = 1\n' > "$T/bad.conf"
out=$("$BUILD/mediad" -t -c "$T/bad.conf" 2>&1); st=$?
check "mediad -t refuses a bad file" test $st -eq 1
names_line() { echo "$out" | grep -q "$T/bad.conf:2: unknown key 'bogus_key'"; }
check "the error names file and line" names_line
# (the systemd unit relies on this: no ExecStartPre=mediad -t)
out=$("$BUILD/mediad" -f -c "$T/bad.conf" -s "$STATE" -m "$MEDIA" 2>&1); st=$?
check "the daemon refuses to start on it" test $st -eq 1
check "and names file and line as -t does" names_line
check "mediad -t accepts a good file" "$BUILD/mediad" -t -c "$CONF"
printf 'options.vfat = uid=0,suid\n' > "$T/suid.conf"
check "a dangerous mount option is a config error" \
	sh -c "! '$BUILD/mediad' -t -c '$T/suid.conf' 2>&1 | grep -q ok"
printf 'noexec = yes\noptions.ext4 = exec\n' > "$T/exec.conf"
check "exec with noexec = yes is a config error" \
	sh -c "'$BUILD/mediad' -t -c '$T/exec.conf' 2>&1 | grep -q 'conflicts with noexec'"
printf 'mount_user = nosuchuser\n' > "$T/user.conf"
check "a mount_user that does not exist is a config error" \
	sh -c "! '$BUILD/mediad' -t -c '$T/user.conf' >/dev/null 2>&1"
check "a missing config file given explicitly is an error" \
	sh -c "! '$BUILD/mediad' -t -c '$T/nonexistent.conf' 2>/dev/null"
check "unknown option: usage error (2)" \
	sh -c "'$BUILD/mediad' --bogus 2>/dev/null; test \$? -eq 2"

# SIGHUP: a new ignore entry takes effect
mkimg "$T/a.img" ext4 RELOADME
start_mediad
attach A "$T/a.img"
check "published before the reload" wait_link RELOADME
printf 'ignore = LABEL=RELOADME\n' >> "$CONF"
kill -HUP "$MEDIAD_PID"
check "after SIGHUP the newly ignored medium is withdrawn" wait_no_link RELOADME
check "and listed with the config reason" wait_ignored "$(basename "$A")"
# a bad file on SIGHUP keeps the running configuration
cp "$CONF" "$T/good.conf"
printf 'what is this\n' >> "$CONF"
kill -HUP "$MEDIAD_PID"
check "a bad reload is logged with file and line" \
	wait_until 10 "$T" grep -q "reload refused.*mediad.conf:[0-9]*: expected" "$LOG"
check "and the daemon keeps running" kill -0 "$MEDIAD_PID"
cp "$T/good.conf" "$CONF"
sed -i '/RELOADME/d' "$CONF"
kill -HUP "$MEDIAD_PID"
check "a good reload after the bad one applies" wait_link RELOADME
done_testing
