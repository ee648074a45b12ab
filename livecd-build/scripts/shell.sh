#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shell.sh ROOT: an interactive shell in the customised live tree, with
# proc, sys, dev and run mounted while it runs and unmounted on exit.
. "$(dirname "$0")/lib.sh"
ROOT=$1
[ -d "$ROOT/etc" ] || die "no live tree at $ROOT: run make -C livecd-build tree"
lib_init
chroot_mount "$ROOT"
log "shell in $ROOT (exit to leave; changes last until the next rebuild)"
in_chroot /bin/bash -l || true
