/* What mediad knows about one block device before and after probing: the
 * facts read from libudev/sysfs (struct devinfo) and the filesystem found
 * on it (struct fsinfo). */
#ifndef MEDIAD_DEVICE_H
#define MEDIAD_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

struct udev_device;

struct fsinfo {
	bool found;          /* a filesystem/usage was identified */
	char fstype[32];
	char fsversion[32];
	char usage[32];
	char label[LABEL_BUF];
	char uuid[128];
	char pttype[32];     /* partition table type on a whole disk */
	char error[160];     /* why probing found nothing usable */
};

struct devinfo {
	char kname[64];
	char devname[128];
	dev_t devnum;
	bool partition;
	bool loop;
	char backing_file[256]; /* loop devices: the file behind it */
	uint64_t diskseq;
	uint64_t size;
	bool readonly;
	bool removable;
	char bus[16];
	char vendor[64];
	char model[128];
	char serial[128];
	char holder[64];     /* first holder (dm, md) or "" */
	bool udev_ignore;    /* ENV{MEDIAD_IGNORE}=="1" */
	bool media_changed;  /* the kernel says: another medium (DISK_MEDIA_CHANGE) */
	bool eject_request;  /* the drive's button was pressed (DISK_EJECT_REQUEST) */
	bool udev_probed;    /* udev already ran blkid: fs is from udev */
	struct fsinfo fs;
};

/* Reads the facts of d into out. from_udev: d carries udevd's database
 * (ID_FS_*, MEDIAD_IGNORE); otherwise only the kernel's uevent and sysfs.
 * Returns 1 when the device is one mediad considers, 0 when it is not a
 * candidate at all (ram, zram, an unattached loop device, ...). */
int device_read(struct udev_device *d, bool from_udev, struct devinfo *out);

/* Decodes udev's "\xHH" escaping (ID_FS_LABEL_ENC) into raw bytes. */
void device_decode_udev(const char *in, char *out, size_t size);

#endif
