/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Optical drives without udevd: what udev's cdrom_id rules do on a
 * normal system. A loaded drive's tray is locked, so that its button (or
 * a virtual machine's eject) asks the system first (DISK_EJECT_REQUEST);
 * mediad answers by detaching the mount and ejecting. */
#ifndef MEDIAD_OPTICAL_H
#define MEDIAD_OPTICAL_H

#include <stdbool.h>
#include <ev.h>

/* True for sr* devices. */
bool optical_is_drive(const char *kname);

/* Locks the tray (keeps it locked after close). For probe children:
 * blocks for as long as the drive takes. Returns 0 or -errno. */
int optical_lock(int fd);

/* Unlocks and ejects in a child process (daemon/child.c), so the loop
 * never waits on the drive. Returns 0 or -errno. */
int optical_eject_async(struct ev_loop *loop, const char *devname);

#endif
