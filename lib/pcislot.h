/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hot-pluggable PCI storage (NVMe in a drive bay or a hot-plug slot, a
 * Thunderbolt or USB4 dock): the removable flag device.c gives a disk
 * whose bus says nothing of it, and the slot lib/eject.c powers off.
 * Used by mediad (device.c) and by the eject of medialist and mediad. */
#ifndef MEDIAD_PCISLOT_H
#define MEDIAD_PCISLOT_H

#include <limits.h>
#include <stdbool.h>

/* Whether the disk at <sys><devpath> (devpath as libudev gives it:
 * "/devices/pci0000:00/...") can be unplugged by its user although its
 * bus says nothing of it (NVMe, AHCI, any PCI-attached controller): a
 * PCI device on its path sits behind a bridge in a slot that a hot-plug
 * driver manages (<sys>/bus/pci/slots/S with "power" and the device's
 * "address"), or the kernel marks it "removable" (below a port the
 * firmware calls external: Thunderbolt, USB4). A namespace of NVMe
 * native multipath counts when each of its controllers does. Reads
 * sysfs only, so the udev and kernel sources agree; sys is "/sys" but
 * for the unit tests. */
bool pcislot_hotplug(const char *sys, const char *devpath);

/* The hot-plug slot the disk at <sys><devpath> sits in: its directory
 * (<sys>/bus/pci/slots/S, whose "power" file powers the slot off) and the
 * sysfs directory of the PCI device in it (every disk below that goes
 * with it). 0, or -ENOENT when there is none (a fixed disk, a Thunderbolt
 * port the kernel marks, a multipath namespace: eject then only flushes). */
int pcislot_find(const char *sys, const char *devpath, char slot[PATH_MAX],
		 char pcidev[PATH_MAX]);

#endif
