/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a power-off takes away (sysfs), and the power-off itself (ioctls,
 * sysfs attributes). Must never power off before the caller has flushed
 * and unmounted every filesystem of every device the unit holds. */
#include "eject.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mountid.h"
#include "pcislot.h"
#include "sysfile.h"

#define MAX_DEVS 256

static int read_attr(const char *dir, const char *sub, char *buf, size_t size)
{
	char path[PATH_MAX + 300];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = sysfile_read(path, buf, size);
	return n < 0 ? (int)n : n == 0 ? -EIO : 0;
}

static int read_devnum(const char *dir, const char *sub, dev_t *out)
{
	char path[PATH_MAX + 300], buf[32];
	unsigned maj, min;

	snprintf(path, sizeof(path), "%s/dev", sub);
	if (read_attr(dir, path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -EIO;
	*out = makedev(maj, min);
	return 0;
}

/* The USB device (not interface) above a disk: the nearest ancestor with
 * both idVendor and a remove attribute. */
static bool usb_ancestor(const char *disk, char out[PATH_MAX])
{
	char p[PATH_MAX + 16];
	struct stat st;

	snprintf(out, PATH_MAX, "%s", disk);
	for (char *s; (s = strrchr(out, '/')) && s != out;) {
		*s = '\0';
		snprintf(p, sizeof(p), "%s/idVendor", out);
		if (stat(p, &st) < 0)
			continue;
		snprintf(p, sizeof(p), "%s/remove", out);
		if (stat(p, &st) == 0)
			return true;
	}
	out[0] = '\0';
	return false;
}

static int add_dev(struct eject_unit *u, const char *dir, const char *sub, bool part, bool own)
{
	struct eject_dev *d;
	char buf[32], path[PATH_MAX + 300];
	DIR *h;
	struct dirent *de;

	if (u->n >= MAX_DEVS)
		return -E2BIG;
	d = &u->v[u->n];
	memset(d, 0, sizeof(*d));
	if (read_devnum(dir, sub, &d->dev) < 0)
		return 0; /* gone meanwhile */
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	snprintf(d->kname, sizeof(d->kname), "%s", strrchr(path, '/') + 1);
	d->partition = part;
	d->own_disk = own;
	snprintf(path, sizeof(path), "%s/size", sub);
	if (read_attr(dir, path, buf, sizeof(buf)) == 0) {
		unsigned long long sectors = strtoull(buf, NULL, 10);

		d->empty = sectors == 0;
		d->container = part && sectors <= 2;
	}
	/* a device-mapper or md device built on it: its data is theirs */
	snprintf(path, sizeof(path), "%s/%s/holders", dir, sub);
	if ((h = opendir(path))) {
		while ((de = readdir(h)))
			if (de->d_name[0] != '.') {
				snprintf(d->in_use, sizeof(d->in_use), "in use by %.60s",
					 de->d_name);
				break;
			}
		closedir(h);
	}
	u->n++;
	return 0;
}

/* A disk and its partitions. */
static int add_disk(struct eject_unit *u, const char *disk, bool own)
{
	size_t first = u->n;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = add_dev(u, disk, ".", false, own);

	if (r < 0 || u->n == first)
		return r;
	snprintf(u->v[first].kname, sizeof(u->v[first].kname), "%s", strrchr(disk, '/') + 1);
	if (!(d = opendir(disk)))
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		char p[PATH_MAX + 300];

		snprintf(p, sizeof(p), "%s/%s/partition", disk, de->d_name);
		if (de->d_name[0] != '.' && stat(p, &st) == 0) {
			r = add_dev(u, disk, de->d_name, true, own);
			u->v[first].container = true;
		}
	}
	closedir(d);
	return r;
}

/* Active swap on a device of u: /proc/swaps names the node it was
 * enabled on; its device number is what counts. */
static void mark_swap(struct eject_unit *u)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct stat st;
		char *sp = strpbrk(line, " \t");

		if (line[0] != '/' || !sp)
			continue;
		*sp = '\0';
		mountid_unescape(line);
		if (stat(line, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		for (size_t i = 0; i < u->n; i++)
			if (u->v[i].dev == st.st_rdev)
				snprintf(u->v[i].in_use, sizeof(u->v[i].in_use), "in use as swap");
	}
	free(line);
	fclose(f);
}

int eject_unit_find(dev_t medium, struct eject_unit *u)
{
	char path[64], real[PATH_MAX], p[PATH_MAX + 16];
	const char *above = NULL;
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t len;
	int r = 0;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(medium), minor(medium));
	if (!realpath(path, real))
		return -errno;
	snprintf(p, sizeof(p), "%s/partition", real);
	if (stat(p, &st) == 0)
		*strrchr(real, '/') = '\0'; /* a partition: its disk */
	memcpy(u->disk, real, sizeof(u->disk));
	if (!(u->v = calloc(MAX_DEVS, sizeof(*u->v))))
		return -ENOMEM;
	if (usb_ancestor(u->disk, u->usb))
		above = u->usb;
	else if (!strncmp(u->disk, "/sys/", 5) &&
		 pcislot_find("/sys", u->disk + 4, u->slot, u->pci) == 0)
		above = u->pci;
	if (!above) {
		r = add_disk(u, u->disk, true);
		mark_swap(u);
		return r;
	}
	/* removing the USB device, or the PCI device from its slot, takes
	 * every disk below it */
	if (!(d = opendir("/sys/block")))
		return -errno;
	len = strlen(above);
	while (r == 0 && (de = readdir(d))) {
		snprintf(p, sizeof(p), "/sys/block/%s", de->d_name);
		if (de->d_name[0] != '.' && realpath(p, real) &&
		    !strncmp(real, above, len) && real[len] == '/')
			r = add_disk(u, real, !strcmp(real, u->disk));
	}
	closedir(d);
	mark_swap(u);
	return r;
}

void eject_unit_free(struct eject_unit *u)
{
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

static int write_attr(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, value, strlen(value));
	if (w < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* The node of a device, checked to be that device. */
static int open_dev(const struct eject_dev *d)
{
	char node[96];
	struct stat st;
	int fd;

	snprintf(node, sizeof(node), "/dev/%s", d->kname);
	fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != d->dev) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

static int power_off(const struct eject_unit *u, const char *kname, int fd, char *msg,
		     size_t msgsize)
{
	char p[PATH_MAX + 32];
	struct stat st;
	int r;

	if (!strncmp(kname, "loop", 4)) {
		if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
			return -errno;
		snprintf(msg, msgsize, "%s detached", kname);
		return 0;
	}
	if (!strncmp(kname, "sr", 2)) {
		ioctl(fd, CDROM_LOCKDOOR, 0); /* a locked door would refuse */
		if (ioctl(fd, CDROMEJECT, 0) < 0)
			return -errno;
		snprintf(msg, msgsize, "%s ejected: the disc can be taken out", kname);
		return 0;
	}
	if (u->usb[0]) {
		snprintf(p, sizeof(p), "%s/remove", u->usb);
		if ((r = write_attr(p, "1")) < 0)
			return r;
		snprintf(msg, msgsize, "%s powered off: it can be unplugged safely", kname);
		return 0;
	}
	if (u->slot[0]) {
		snprintf(p, sizeof(p), "%s/power", u->slot);
		if ((r = write_attr(p, "0")) < 0)
			return r;
		snprintf(msg, msgsize, "%s: its slot powered off: it can be unplugged safely",
			 kname);
		return 0;
	}
	snprintf(p, sizeof(p), "%s/device/delete", u->disk);
	if (stat(p, &st) == 0) {
		if ((r = write_attr(p, "1")) < 0)
			return r;
		snprintf(msg, msgsize, "%s stopped and removed: it can be unplugged safely",
			 kname);
		return 0;
	}
	snprintf(msg, msgsize, "%s unmounted and flushed: it can be removed safely", kname);
	return 0;
}

int eject_power_off(const struct eject_unit *u, char *msg, size_t msgsize)
{
	const char *kname = strrchr(u->disk, '/') + 1;
	int r, fd = -1;

	/* unmounting wrote each filesystem back; this writes each disk's own
	 * cache and drops ours, so nothing is left to lose on any of them */
	for (size_t i = 0; i < u->n; i++) {
		const struct eject_dev *d = &u->v[i];
		int dfd;

		if (d->partition || d->empty)
			continue;
		dfd = open_dev(d);
		if (dfd < 0 && d->own_disk) {
			snprintf(msg, msgsize, "cannot open /dev/%s: %s", d->kname, strerror(-dfd));
			if (fd >= 0)
				close(fd);
			return dfd;
		}
		if (dfd < 0)
			continue;
		fsync(dfd);
		ioctl(dfd, BLKFLSBUF, 0);
		if (d->own_disk && fd < 0)
			fd = dfd;
		else
			close(dfd);
	}
	if (fd < 0) {
		snprintf(msg, msgsize, "%s: not found in /dev", kname);
		return -ENODEV;
	}
	r = power_off(u, kname, fd, msg, msgsize);
	close(fd);
	if (r < 0)
		snprintf(msg, msgsize, "%s flushed but not powered off: %s", kname, strerror(-r));
	return r;
}
