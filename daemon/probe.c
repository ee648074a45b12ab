/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libblkid probing. Reads superblocks only, read-only, so that probing
 * never makes udev synthesise a change event (that follows a close after
 * write) and never writes to a stranger's stick. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <blkid.h>

static void copy_value(blkid_probe pr, const char *name, char *dst, size_t size)
{
	const char *data = NULL;
	size_t len = 0;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &data, &len) < 0 || !data)
		return;
	/* len includes the terminating NUL blkid adds */
	if (len > 0 && data[len - 1] == '\0')
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, data, len);
	dst[len] = '\0';
}

int probe_device(const char *devname, struct fsinfo *fs)
{
	blkid_probe pr;
	int fd, rc, r = 0;

	memset(fs, 0, sizeof(*fs));
	fd = open(devname, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(fs->error, sizeof(fs->error), "cannot open %s: %s",
			 devname, strerror(-r));
		return r;
	}
	pr = blkid_new_probe();
	errno = 0;
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		/* an empty drive (floppy, card reader, optical) lands here:
		 * say what the kernel said, e.g. "No medium found" */
		r = errno ? -errno : -ENOMEM;
		snprintf(fs->error, sizeof(fs->error), "cannot read the device: %s",
			 strerror(-r));
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
						      BLKID_SUBLKS_VERSION);
	blkid_probe_enable_partitions(pr, 1);
	/* a partition's entry in its disk's table: its type tells an EFI
	 * system partition and an extended one (policy.c) */
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	errno = 0;
	rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		snprintf(fs->error, sizeof(fs->error),
			 "ambivalent probe: more than one filesystem signature");
		r = -EUCLEAN;
	} else if (rc < 0) {
		r = errno ? -errno : -EIO;
		snprintf(fs->error, sizeof(fs->error), "probe failed: %s", strerror(-r));
	} else if (rc == 1) {
		snprintf(fs->error, sizeof(fs->error),
			 "no filesystem found (unknown, damaged or blank)");
		r = -ENODATA;
	} else {
		copy_value(pr, "TYPE", fs->fstype, sizeof(fs->fstype));
		copy_value(pr, "VERSION", fs->fsversion, sizeof(fs->fsversion));
		copy_value(pr, "USAGE", fs->usage, sizeof(fs->usage));
		copy_value(pr, "LABEL", fs->label, sizeof(fs->label));
		copy_value(pr, "UUID", fs->uuid, sizeof(fs->uuid));
		copy_value(pr, "PTTYPE", fs->pttype, sizeof(fs->pttype));
		copy_value(pr, "PART_ENTRY_TYPE", fs->parttype, sizeof(fs->parttype));
		fs->found = fs->fstype[0] != '\0';
		if (!fs->found && !fs->pttype[0]) {
			/* only the partition's own entry: nothing on it */
			snprintf(fs->error, sizeof(fs->error),
				 "no filesystem found (unknown, damaged or blank)");
			r = -ENODATA;
		}
	}
out:
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return r;
}
