/* Unmount, flush and power-off of block devices through sysfs and ioctls.
 * Acts only on the disk holding the device it is given and on that disk's
 * partitions; must never unmount lazily (a busy medium is not safe). */
#include "eject.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_PARTS 128

int eject_unmount(const char *mountpoint)
{
	if (!mountpoint || !*mountpoint)
		return 0;
	if (umount2(mountpoint, UMOUNT_NOFOLLOW) < 0)
		return errno == EINVAL || errno == ENOENT ? 0 : -errno;
	return 0;
}

static int read_devnum(const char *dir, const char *sub, dev_t *out)
{
	char path[PATH_MAX], buf[32];
	unsigned maj, min;
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s/dev", dir, sub) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -EIO;
	*out = makedev(maj, min);
	return 0;
}

/* The sysfs directory of the whole disk holding rdev, and the device
 * numbers of the disk and its partitions. */
static int find_disk(dev_t rdev, char disk[PATH_MAX], dev_t *nums, size_t *n)
{
	char path[64], real[PATH_MAX];
	struct stat st;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	if (!realpath(path, real))
		return -errno;
	{
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s/partition", real);
		if (stat(p, &st) == 0)
			*strrchr(real, '/') = '\0'; /* a partition: its parent */
	}
	memcpy(disk, real, PATH_MAX);
	*n = 0;
	if (read_devnum(disk, ".", &nums[(*n)]) == 0)
		(*n)++;
	d = opendir(disk);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && *n < MAX_PARTS) {
		char p[PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/partition", disk, de->d_name);
		if (stat(p, &st) == 0 && read_devnum(disk, de->d_name, &nums[*n]) == 0)
			(*n)++;
	}
	closedir(d);
	return 0;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as octal */
static void unoctal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* syncfs on every mount of nums before any is unmounted: the time the
 * data took to reach the device is measured apart from the unmounts. */
static void flush_all(const dev_t *nums, size_t n, struct flush_result *fr)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mp[PATH_MAX];

		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mp) != 3)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (nums[i] != makedev(maj, min))
				continue;
			unoctal(mp);
			flush_mount(mp, maj, min, fr); /* failures: the unmount tells */
			break;
		}
	}
	fclose(f);
}

/* Unmounts every mount of nums, deepest (last mounted) first, by passes
 * until none is left, so that stacked mounts come off too. */
static int unmount_all(const dev_t *nums, size_t n, char *msg, size_t msgsize)
{
	for (int pass = 0; pass < 16; pass++) {
		char line[4096], found[PATH_MAX] = "";
		FILE *f = fopen("/proc/self/mountinfo", "re");

		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			unsigned maj, min;
			char mp[PATH_MAX];

			if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mp) != 3)
				continue;
			for (size_t i = 0; i < n; i++)
				if (nums[i] == makedev(maj, min))
					snprintf(found, sizeof(found), "%s", mp);
		}
		fclose(f);
		if (!*found)
			return 0;
		unoctal(found);
		if (umount2(found, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL) {
			int r = -errno;

			snprintf(msg, msgsize, "cannot unmount %s: %s", found, strerror(-r));
			return r;
		}
	}
	snprintf(msg, msgsize, "mounts keep coming back");
	return -EBUSY;
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
	return false;
}

static int power_off(const char *disk, const char *kname, int fd, char *msg,
		     size_t msgsize)
{
	char p[PATH_MAX + 32], usb[PATH_MAX];
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
	if (usb_ancestor(disk, usb)) {
		snprintf(p, sizeof(p), "%s/remove", usb);
		if ((r = write_attr(p, "1")) < 0)
			return r;
		snprintf(msg, msgsize, "%s powered off: it can be unplugged safely", kname);
		return 0;
	}
	snprintf(p, sizeof(p), "%s/device/delete", disk);
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

int eject_medium(const char *devname, char *msg, size_t msgsize, struct flush_result *fr)
{
	char disk[PATH_MAX], node[PATH_MAX + 8];
	dev_t nums[MAX_PARTS] = { 0 };
	const char *kname;
	struct stat st;
	size_t n = 0;
	int r, fd;

	snprintf(msg, msgsize, "%s", devname);
	if (stat(devname, &st) < 0 || !S_ISBLK(st.st_mode)) {
		r = errno ? -errno : -ENOTBLK;
		snprintf(msg, msgsize, "%s: not a block device", devname);
		return r;
	}
	if ((r = find_disk(st.st_rdev, disk, nums, &n)) < 0) {
		snprintf(msg, msgsize, "%s: not in sysfs: %s", devname, strerror(-r));
		return r;
	}
	memset(fr, 0, sizeof(*fr));
	flush_all(nums, n, fr);
	if ((r = unmount_all(nums, n, msg, msgsize)) < 0)
		return r;
	kname = strrchr(disk, '/') + 1;
	snprintf(node, sizeof(node), "/dev/%s", kname);
	fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, msgsize, "cannot open %s: %s", node, strerror(-r));
		return r;
	}
	/* unmounting wrote the filesystem back; this writes the disk's own
	 * cache and drops ours, so nothing is left to lose */
	fsync(fd);
	ioctl(fd, BLKFLSBUF, 0);
	r = power_off(disk, kname, fd, msg, msgsize);
	close(fd);
	if (r < 0)
		snprintf(msg, msgsize, "%s flushed but not powered off: %s", kname,
			 strerror(-r));
	return r;
}
