/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Making a medium safe to pull, the mechanisms: which block devices a
 * power-off takes away, and the power-off (their mounts: lib/mountid.h).
 * What may be touched, and for whom, is lib/mediaction.h, the one place
 * the daemon's action child and medialist share. Blocking by nature:
 * never call any of this from an event loop. */
#ifndef MEDIAD_EJECT_H
#define MEDIAD_EJECT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "flush.h"
#include "mediaction.h" /* the shared action, for the callers of this file */

#define EJECT_MSG_BUF 512

/* One block device that a power-off takes away. */
struct eject_dev {
	dev_t dev;
	char kname[64];
	bool partition;
	bool own_disk;  /* on the medium's disk; else a sibling below its USB device */
	bool container; /* no data of its own: a disk that holds partitions, or
			 * an extended partition (the kernel exposes at most 2
			 * sectors of one, block/partitions/msdos.c) */
	bool empty;     /* size 0: no medium in that slot */
	char in_use[96]; /* "" or what uses it besides mounts ("in use by dm-0") */
};

/* What powering off the medium's disk takes away: the disk and its
 * partitions, and for a USB device every disk below that device (the
 * other LUN of a card reader, the other bay of a dock), for a disk in a
 * hot-plug PCI slot every disk below the device in it (an NVMe drive's
 * other namespaces). */
struct eject_unit {
	char disk[PATH_MAX]; /* sysfs directory of the medium's disk */
	char usb[PATH_MAX];  /* sysfs directory of the USB device above it, "" */
	char slot[PATH_MAX]; /* else the hot-plug PCI slot it sits in, "" */
	char pci[PATH_MAX];  /* and the PCI device in that slot */
	struct eject_dev *v; /* owned: eject_unit_free() */
	size_t n;
};

int eject_unit_find(dev_t medium, struct eject_unit *u);
void eject_unit_free(struct eject_unit *u);

/* Writes the disks of u back (fsync, BLKFLSBUF), then powers off: a
 * loop device is detached, an optical drive's tray opened, a USB device
 * removed from its port, a hot-plug PCI slot powered off (an NVMe drive in
 * a bay), a SCSI disk deleted; other devices only flushed.
 * Only after every filesystem on u has been flushed and unmounted.
 * msg (EJECT_MSG_BUF) says what happened or what stood in the way. */
int eject_power_off(const struct eject_unit *u, char *msg, size_t msgsize);

#endif
