/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Filesystem identification with libblkid, for devices udev has not
 * already probed. */
#ifndef MEDIAD_PROBE_H
#define MEDIAD_PROBE_H

#include "device.h"

/* Probes devname and fills fs (and, for a partition, its entry type in
 * its disk's table). Returns 0 when something was identified (fs->found
 * or fs->pttype), or a negative errno with fs->error set to a
 * reason fit for a user: nothing found, ambivalent, I/O error. */
int probe_device(const char *devname, struct fsinfo *fs);

#endif
