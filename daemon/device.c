/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device facts from libudev and sysfs, and the uevent filter. Reads only;
 * never opens the device node (probing is probe.c's job, and it happens
 * only when needed). */
#include "device.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <libudev.h>

#include "config.h"
#include "pcislot.h"

static void copy_trim(char *dst, size_t size, const char *src)
{
	size_t len;

	if (!src)
		src = "";
	while (*src == ' ')
		src++;
	len = strnlen(src, size - 1);
	while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\n'))
		len--;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Exactly "\xHH" with two hex digits is an escape (what udev writes);
 * anything else is copied as it is. */
void device_decode_udev(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < size; i++) {
		int hi, lo;

		if (in[i] == '\\' && in[i + 1] == 'x' && (hi = record_hexdigit(in[i + 2])) >= 0 &&
		    (lo = record_hexdigit(in[i + 3])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 3;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

static uint64_t attr_u64(struct udev_device *d, const char *attr)
{
	const char *v = udev_device_get_sysattr_value(d, attr);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* The bus a device hangs off, from its nearest interesting ancestor. */
static void read_bus(struct udev_device *d, struct devinfo *out)
{
	struct udev_device *p;

	if (out->loop) {
		strcpy(out->bus, "loop");
		return;
	}
	if ((p = udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device"))) {
		strcpy(out->bus, "usb");
		copy_trim(out->vendor, sizeof(out->vendor),
			  udev_device_get_sysattr_value(p, "manufacturer"));
		copy_trim(out->model, sizeof(out->model),
			  udev_device_get_sysattr_value(p, "product"));
		copy_trim(out->serial, sizeof(out->serial),
			  udev_device_get_sysattr_value(p, "serial"));
	} else if ((p = udev_device_get_parent_with_subsystem_devtype(d, "mmc", NULL))) {
		strcpy(out->bus, "mmc");
		copy_trim(out->model, sizeof(out->model),
			  udev_device_get_sysattr_value(p, "name"));
		copy_trim(out->serial, sizeof(out->serial),
			  udev_device_get_sysattr_value(p, "serial"));
		return;
	} else if ((p = udev_device_get_parent_with_subsystem_devtype(d, "nvme", NULL)) ||
		   (p = udev_device_get_parent_with_subsystem_devtype(d, "nvme-subsystem",
									NULL))) {
		/* the controller (or, for a namespace the kernel's native
		 * multipath shows once for several controllers, the NVMe
		 * subsystem): both carry the drive's model and serial, read
		 * from sysfs the same way with udevd or without */
		strcpy(out->bus, "nvme");
		copy_trim(out->model, sizeof(out->model),
			  udev_device_get_sysattr_value(p, "model"));
		copy_trim(out->serial, sizeof(out->serial),
			  udev_device_get_sysattr_value(p, "serial"));
		return;
	} else if (udev_device_get_parent_with_subsystem_devtype(d, "virtio", NULL) &&
		   !udev_device_get_parent_with_subsystem_devtype(d, "scsi", NULL)) {
		strcpy(out->bus, "virtio");
	} else if (strstr(udev_device_get_devpath(d), "/ata")) {
		strcpy(out->bus, "ata");
	} else if (udev_device_get_parent_with_subsystem_devtype(d, "scsi", NULL)) {
		strcpy(out->bus, "scsi");
	} else {
		strcpy(out->bus, "other");
	}
	/* SCSI inquiry strings are the most precise name for USB and SATA
	 * drives alike; USB descriptors only fill in what SCSI left out. */
	p = udev_device_get_parent_with_subsystem_devtype(d, "scsi", "scsi_device");
	if (p) {
		char v[64], m[128];

		copy_trim(v, sizeof(v), udev_device_get_sysattr_value(p, "vendor"));
		copy_trim(m, sizeof(m), udev_device_get_sysattr_value(p, "model"));
		if (*v)
			strcpy(out->vendor, v);
		if (*m)
			strcpy(out->model, m);
	}
}

static void read_holder(struct devinfo *out)
{
	char path[128];
	DIR *dir;
	struct dirent *e;

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", out->kname);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		copy_trim(out->holder, sizeof(out->holder), e->d_name);
		break;
	}
	closedir(dir);
}

/* A whole disk's partitions, as the kernel made them: subdirectories of
 * its sysfs directory named after it and holding a "partition" file (the
 * same test as udisks2's disk_is_partitioned_by_kernel, made exact). They
 * exist before the kernel announces the disk; partx and BLKPG add and
 * remove them later, one by one. */
static unsigned count_partitions(struct udev_device *d)
{
	const char *sys = udev_device_get_syspath(d);
	const char *name = udev_device_get_sysname(d);
	size_t len = strlen(name);
	unsigned n = 0;
	DIR *dir;
	struct dirent *e;

	dir = sys ? opendir(sys) : NULL;
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		char file[300];

		if (strncmp(e->d_name, name, len) || !e->d_name[len])
			continue;
		if (snprintf(file, sizeof(file), "%s/partition", e->d_name) >= (int)sizeof(file))
			continue;
		if (faccessat(dirfd(dir), file, F_OK, 0) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

static void read_udev_fs(struct udev_device *d, struct devinfo *out)
{
	const char *type = udev_device_get_property_value(d, "ID_FS_TYPE");
	const char *pt = udev_device_get_property_value(d, "ID_PART_TABLE_TYPE");
	const char *v;
	struct fsinfo *fs = &out->fs;

	/* on a partition: a nested table (an extended partition's, a disk
	 * image written into a partition) */
	if (pt)
		copy_trim(fs->pttype, sizeof(fs->pttype), pt);
	if (out->partition)
		copy_trim(fs->parttype, sizeof(fs->parttype),
			  udev_device_get_property_value(d, "ID_PART_ENTRY_TYPE"));
	if (!type || !*type) {
		/* a disk the kernel has partitioned is ignored whatever is on
		 * it, and udev named its table: nothing left to probe */
		if (out->partitions && fs->pttype[0])
			out->udev_probed = true;
		return;
	}
	out->udev_probed = true;
	fs->found = true;
	copy_trim(fs->fstype, sizeof(fs->fstype), type);
	copy_trim(fs->fsversion, sizeof(fs->fsversion),
		  udev_device_get_property_value(d, "ID_FS_VERSION"));
	copy_trim(fs->usage, sizeof(fs->usage),
		  udev_device_get_property_value(d, "ID_FS_USAGE"));
	copy_trim(fs->uuid, sizeof(fs->uuid),
		  udev_device_get_property_value(d, "ID_FS_UUID"));
	/* ID_FS_LABEL is already mangled by udev; the _ENC form holds every
	 * byte, escaped, and is what our own sanitiser must see. */
	v = udev_device_get_property_value(d, "ID_FS_LABEL_ENC");
	if (v)
		device_decode_udev(v, fs->label, sizeof(fs->label));
	else
		copy_trim(fs->label, sizeof(fs->label),
			  udev_device_get_property_value(d, "ID_FS_LABEL"));
}

int device_read(struct udev_device *d, bool from_udev, struct devinfo *out)
{
	const char *sysname = udev_device_get_sysname(d);
	const char *devtype = udev_device_get_devtype(d);
	const char *node = udev_device_get_devnode(d);
	const char *v;
	struct udev_device *disk;

	memset(out, 0, sizeof(*out));
	if (!sysname || !devtype || !node)
		return 0;
	if (!strncmp(sysname, "ram", 3) || !strncmp(sysname, "zram", 4))
		return 0;
	copy_trim(out->kname, sizeof(out->kname), sysname);
	copy_trim(out->devname, sizeof(out->devname), node);
	out->devnum = udev_device_get_devnum(d);
	out->partition = !strcmp(devtype, "partition");
	disk = out->partition
		       ? udev_device_get_parent_with_subsystem_devtype(d, "block", "disk")
		       : d;
	if (!disk)
		return 0;
	out->loop = !strncmp(udev_device_get_sysname(disk), "loop", 4);
	if (out->loop) {
		v = udev_device_get_sysattr_value(disk, "loop/backing_file");
		if (!v)
			return 0; /* an unattached loop device holds no medium */
		copy_trim(out->backing_file, sizeof(out->backing_file), v);
	}
	if (!out->partition)
		out->partitions = count_partitions(d);
	out->size = attr_u64(d, "size") * 512;
	out->diskseq = attr_u64(disk, "diskseq");
	v = udev_device_get_sysattr_value(d, "ro");
	out->readonly = v && v[0] == '1';
	read_bus(disk, out);
	v = udev_device_get_sysattr_value(disk, "removable");
	out->removable = (v && v[0] == '1') || !strcmp(out->bus, "usb") ||
			 !strcmp(out->bus, "mmc") || out->loop ||
			 pcislot_hotplug("/sys", udev_device_get_devpath(disk));
	v = udev_device_get_property_value(d, "ID_SERIAL_SHORT");
	if (from_udev && v && !out->serial[0])
		copy_trim(out->serial, sizeof(out->serial), v);
	read_holder(out);
	v = udev_device_get_property_value(d, "DISK_MEDIA_CHANGE");
	out->media_changed = v && !strcmp(v, "1");
	v = udev_device_get_property_value(d, "DISK_EJECT_REQUEST");
	out->eject_request = v && !strcmp(v, "1");
	if (from_udev) {
		v = udev_device_get_property_value(d, "MEDIAD_IGNORE");
		out->udev_ignore = v && !strcmp(v, "1");
		read_udev_fs(d, out);
	}
	return 1;
}

bool device_wanted(const struct devinfo *d, const struct config *c)
{
	size_t len = strlen(c->loop_dir);

	if (d->size == 0)
		return false; /* a drive with no medium, a detached loop device */
	if (!d->loop)
		return true;
	if (!c->include_loop)
		return false;
	return !len || (!strncmp(d->backing_file, c->loop_dir, len) &&
			d->backing_file[len] == '/');
}

/* A disk on its way out: its size zeroed (a detached loop device; newer
 * kernels mark a disk dead before they drop its partitions), or a SCSI
 * disk (USB, UAS, SATA) whose device the midlayer is deleting: older
 * kernels (the 6.1 series) drop the partitions first and zero the size
 * later, but the SCSI state reads "cancel" before either. Re-judging a
 * leaving disk would offer its own signature for a moment. */
static bool disk_leaving(struct udev_device *disk)
{
	struct udev_device *sdev;
	const char *v;

	v = udev_device_get_sysattr_value(disk, "size");
	if (!v || !strtoull(v, NULL, 10))
		return true;
	sdev = udev_device_get_parent_with_subsystem_devtype(disk, "scsi", "scsi_device");
	v = sdev ? udev_device_get_sysattr_value(sdev, "state") : NULL;
	return v && (!strncmp(v, "cancel", 6) || !strncmp(v, "deleted", 7));
}

struct udev_device *device_parent_disk(struct udev_device *partition, const char *action)
{
	const char *devtype = udev_device_get_devtype(partition);
	struct udev_device *disk;

	if (!devtype || strcmp(devtype, "partition") || !action ||
	    (strcmp(action, "add") && strcmp(action, "remove")))
		return NULL;
	disk = udev_device_get_parent_with_subsystem_devtype(partition, "block", "disk");
	if (!disk || !udev_device_get_devnode(disk))
		return NULL;
	if (!strcmp(action, "remove") && disk_leaving(disk))
		return NULL;
	return disk;
}
