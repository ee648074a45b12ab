# SPDX-License-Identifier: GPL-2.0-or-later
# /etc/profile.d/mediad-desktop.sh on the desktop live CD: the live user,
# logged in on tty1 by getty's autologin, starts X (startx, no display
# manager). The serial console and other ttys stay text; `live.nox` on the
# kernel command line keeps tty1 text too. Must never loop: when X ends or
# fails, the login shell stays.
if [ -z "${DISPLAY:-}" ] && [ "$(tty 2>/dev/null)" = /dev/tty1 ] &&
	[ "$(id -u)" -ne 0 ] && [ -x /etc/mediad-desktop/xsession ] &&
	! grep -qw live.nox /proc/cmdline 2>/dev/null; then
	startx /etc/mediad-desktop/xsession -- -nolisten tcp > "$HOME/.xsession-errors" 2>&1
	echo "The desktop ended (its log: ~/.xsession-errors). 'startx /etc/mediad-desktop/xsession' starts it again."
fi
