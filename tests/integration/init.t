#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Init integration: make install puts every file in its place; the
# sysvinit script starts mediad (returning once media are published),
# reports status, reloads and stops it; the systemd unit passes
# systemd-analyze verify; the udev rules parse.
. "$(dirname "$0")/lib.sh"

D=$T/root
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr >/dev/null 2>"$T/install.err"
check "make install DESTDIR=... PREFIX=/usr succeeds" test $? -eq 0
for f in usr/sbin/mediad usr/bin/medialist usr/lib/mediad/auto.media etc/mediad.conf \
	usr/share/man/man1/medialist.1 usr/share/man/man5/mediad.conf.5 \
	usr/share/man/man8/mediad.8 usr/share/man/man8/auto.media.8 \
	sbin/mount.mediad usr/share/man/man8/mount.mediad.8 \
	usr/lib/udev/rules.d/60-mediad.rules usr/lib/systemd/system/mediad.service \
	etc/init.d/mediad usr/share/bash-completion/completions/medialist \
	etc/auto.master.d/mediad.autofs; do
	check "installed: /$f" test -s "$D/$f"
done
check "hooks.d exists" test -d "$D/etc/mediad/hooks.d"
check "the init script is executable" test -x "$D/etc/init.d/mediad"
check "the init script has LSB headers" \
	sh -c "grep -q '^### BEGIN INIT INFO' '$D/etc/init.d/mediad' && grep -q '^# Provides: *mediad' '$D/etc/init.d/mediad'"
check "the man pages format without warnings" \
	sh -c "for m in '$TOP'/man/*.[158]; do LC_ALL=C.UTF-8 man --warnings -l \"\$m\" 2>&1 >/dev/null | grep -q . && exit 1; done; exit 0"
check "the bash completion parses" bash -n "$TOP/cli/medialist.bash"
check "bash completion offers subcommands" \
	bash -c ". '$TOP/cli/medialist.bash'; COMP_WORDS=(medialist ej); COMP_CWORD=1; _medialist; [ \"\${COMPREPLY[*]}\" = eject ]"

# the unit, with ExecStart pointing at this build
sed "s|/usr/sbin/mediad|$BUILD/mediad|g" "$TOP/rules/mediad.service" > "$T/mediad.service"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$T/mediad.service" 2>&1 | grep -v "man " > "$T/verify"
	check "systemd-analyze verify finds nothing wrong with the unit" test ! -s "$T/verify"
fi
check "the unit is Type=notify" grep -qx "Type=notify" "$TOP/rules/mediad.service"

# the sysvinit script, on a private copy of the binary, so that its
# start-stop-daemon --exec can never match another test's mediad
cp "$BUILD/mediad" "$T/mediad-init"
sed -e "s|^DAEMON=.*|DAEMON=$T/mediad-init|" \
    -e "s|^DAEMON_ARGS=.*|DAEMON_ARGS=\"-c $CONF\"|" "$TOP/rules/mediad.init" > "$T/init"
chmod 755 "$T/init"
mkimg "$T/a.img" ext4 INITSTICK
attach A "$T/a.img"
"$T/init" start > "$T/start.out" 2>&1
check "init start exits 0" test $? -eq 0
check "when start returns the medium is already published" has_link INITSTICK
check "init status: running" sh -c "'$T/init' status | grep -q 'is running'"
"$T/init" reload >/dev/null 2>&1
check "init reload exits 0" test $? -eq 0
check "init start again is fine (already running)" "$T/init" start
"$T/init" stop >/dev/null 2>&1
check "init stop exits 0" test $? -eq 0
check "init status: not running (3)" sh -c "'$T/init' status >/dev/null; test \$? -eq 3"
check "a clean stop withdrew the medium" no_link INITSTICK
printf 'bogus = 1\n' >> "$CONF"
check "start refuses a bad configuration" sh -c "! '$T/init' start >/dev/null 2>&1"

# the udev rules: every line parses (udevadm verify arrived after 252)
if udevadm verify --help >/dev/null 2>&1; then
	check "udevadm verify accepts the rules" udevadm verify "$TOP/rules/60-mediad.rules"
fi
check "the udev rules set MEDIAD_IGNORE and optical polling" \
	sh -c "grep -q 'MEDIAD_IGNORE}=\"1\"' '$TOP/rules/60-mediad.rules' && grep -q 'events_poll_msecs}=\"2000\"' '$TOP/rules/60-mediad.rules'"
done_testing
