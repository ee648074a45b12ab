# SPDX-License-Identifier: GPL-2.0-or-later
# config/flavour-desktop.sh: the desktop flavour's part of the customise
# stage (sourced by scripts/customise.sh: ROOT, in_chroot and die at hand,
# services still kept from starting). Puts in the session of ../desktop:
# mediad-notify (built by livecd-build/Makefile from desktop/, copied in),
# the X session startx runs for the live user on tty1, jwm's settings.
# Every file it adds is named in config/desktop-generated.list.
: "${MEDIAD_NOTIFY_BIN:?the Makefile builds it}" "${MEDIAD_DESKTOP_SRC:?}"
install -D -m 0755 "$MEDIAD_NOTIFY_BIN" "$ROOT/usr/local/bin/mediad-notify"
install -d "$ROOT/etc/mediad-desktop"
install -m 0755 "$MEDIAD_DESKTOP_SRC/xsession" "$ROOT/etc/mediad-desktop/xsession"
install -m 0644 "$MEDIAD_DESKTOP_SRC/jwmrc" "$ROOT/etc/mediad-desktop/jwmrc"
install -m 0644 "$MEDIAD_DESKTOP_SRC/profile.sh" "$ROOT/etc/profile.d/mediad-desktop.sh"
# built on the host: it must find every library it links in the image
missing=$(in_chroot ldd /usr/local/bin/mediad-notify | grep 'not found' || true)
[ -z "$missing" ] || die "mediad-notify in the image lacks: $missing"
in_chroot /usr/local/bin/mediad-notify --help > /dev/null ||
	die "mediad-notify does not run in the image"
log "desktop: mediad-notify, /etc/mediad-desktop/xsession, startx on tty1 for the live user"
