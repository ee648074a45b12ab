/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What mediad knows about one block device before and after probing: the
 * facts read from libudev/sysfs (struct devinfo) and the filesystem found
 * on it (struct fsinfo), and which devices mediad looks at at all. */
#ifndef MEDIAD_DEVICE_H
#define MEDIAD_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

struct config;
struct udev_device;

struct fsinfo {
	bool found;          /* a filesystem/usage was identified */
	char fstype[32];
	char fsversion[32];
	char usage[32];
	char label[LABEL_BUF];
	char uuid[128];
	char pttype[32];     /* a partition table on it (a whole disk's, or nested) */
	char parttype[64];   /* partitions: the entry's type in its disk's table,
			      * "0xef" (MBR) or a GUID in lower case (GPT) */
	char error[160];     /* why probing found nothing usable */
};

struct devinfo {
	char kname[64];
	char devname[128];
	dev_t devnum;
	bool partition;
	unsigned partitions; /* whole disks: partitions the kernel made of it */
	bool loop;
	char backing_file[256]; /* loop devices: the file behind it */
	uint64_t diskseq;
	uint64_t size;
	bool readonly;
	bool removable;      /* the kernel's flag, or a USB, MMC, loop device or
			      * hot-pluggable PCI one (pcislot.h) */
	char bus[16];        /* usb, mmc, nvme, virtio, ata, scsi, loop, other */
	char vendor[64];
	char model[128];
	char serial[128];
	char holder[64];     /* first holder (dm, md) or "" */
	bool udev_ignore;    /* ENV{MEDIAD_IGNORE}=="1" */
	bool media_changed;  /* the kernel says: another medium (DISK_MEDIA_CHANGE) */
	bool eject_request;  /* the drive's button was pressed (DISK_EJECT_REQUEST) */
	bool udev_probed;    /* udev already said all the verdict needs: fs is from udev */
	struct fsinfo fs;
};

/* Reads the facts of d into out. from_udev: d carries udevd's database
 * (ID_FS_*, MEDIAD_IGNORE); otherwise only the kernel's uevent and sysfs.
 * Returns 1 when the device is one mediad considers, 0 when it is not a
 * candidate at all (ram, zram, an unattached loop device, ...). */
int device_read(struct udev_device *d, bool from_udev, struct devinfo *out);

/* The uevent filter, evaluated once per event (events.c), before any
 * probe: true when d holds a medium (size > 0) and the configuration asks
 * mediad to look at it (loop devices only with include_loop, and then
 * only those backed by a file under loop_dir when it is set). A device it
 * rejects gets no record at all. policy_classify() assumes it passed. */
bool device_wanted(const struct devinfo *d, const struct config *c);

/* After a partition's "add" or "remove" event, the whole disk it belongs
 * to, which must be judged again (a disk with partitions is never offered
 * as a whole: policy.c): partx and BLKPG add and remove partitions one by
 * one with no event for the disk, and BLKRRPART and a loop device's
 * partition scan announce the disk's "change" before they add the new
 * partitions. NULL for any other device or action, and when the disk is
 * gone or leaving (an unplug drops the partitions first: the disk judged
 * again then would offer its own signature for a moment). The disk is
 * borrowed from partition (libudev's parent): valid while partition is,
 * never unref'd. */
struct udev_device *device_parent_disk(struct udev_device *partition, const char *action);

/* Decodes udev's "\xHH" escaping (ID_FS_LABEL_ENC) into raw bytes. */
void device_decode_udev(const char *in, char *out, size_t size);

#endif
