# SPDX-License-Identifier: GPL-2.0-or-later
# chroot-guard.sh: keep services from starting inside the chroot while
# packages are installed: policy-rc.d answers 101 (action forbidden) and
# start-stop-daemon is diverted to /bin/true. guard_off undoes both; the
# trap calls it too, so a failed build leaves neither behind.

guard_on() {
	printf '#!/bin/sh\n# mediad livecd-build: no service starts during the build\nexit 101\n' \
		> "$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	in_chroot dpkg-divert --local --quiet --rename --add /sbin/start-stop-daemon
	ln -sf /bin/true "$ROOT/sbin/start-stop-daemon"
	GUARD=1
	trap 'guard_off; cleanup_mounts' EXIT
}

guard_off() {
	[ "${GUARD:-0}" = 1 ] || return 0
	rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/sbin/start-stop-daemon"
	in_chroot dpkg-divert --local --quiet --rename --remove /sbin/start-stop-daemon
	GUARD=0
	trap 'cleanup_mounts' EXIT
}
