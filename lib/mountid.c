/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounts of block devices by device number, from /proc/self/mountinfo;
 * unmounting one of them through a directory descriptor once its mount ID
 * is proven. Must never unmount lazily, never by a bare path. */
#include "mountid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_MEMBERS 16

static int read_devnum(const char *dir, const char *sub, dev_t *out)
{
	char path[PATH_MAX + 300], buf[32];
	unsigned maj, min;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/dev", dir, sub);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -EIO;
	*out = makedev(maj, min);
	return 0;
}

/* mountinfo and /proc/swaps escape ' ', '\t', '\n' and '\\' as octal */
void mountid_unescape(char *s)
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

/* Whether fd (O_PATH) is the root of mount m: the name that led there
 * may lead elsewhere by now (another mount over it, the mount gone, a
 * symlink: O_NOFOLLOW opens the link itself, never a mount's root). */
static int prove(int fd, const struct mountid *m, bool check_dev)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_TYPE, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID) || sx.stx_mnt_id != (uint64_t)m->id ||
	    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
	    (check_dev && makedev(sx.stx_dev_major, sx.stx_dev_minor) != m->sdev))
		return -ESTALE;
	return 0;
}

/* The member devices of a mounted btrfs: its fsid (ioctl on the mount's
 * root, proven to be that mount) names its sysfs directory. Only read:
 * the path may be anyone's, so nothing is done through it. */
static size_t btrfs_members(const struct mountid *m, dev_t out[MAX_MEMBERS])
{
	struct btrfs_ioctl_fs_info_args fi;
	const unsigned char *u = fi.fsid;
	char dir[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int pfd, fd, r;

	/* O_PATH without O_DIRECTORY: never triggers an automount */
	pfd = open(m->target, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return 0;
	/* a subvolume's root has its own st_dev: the mount ID proves it */
	fd = prove(pfd, m, false) < 0 ? -1 : openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return 0;
	memset(&fi, 0, sizeof(fi));
	r = ioctl(fd, BTRFS_IOC_FS_INFO, &fi);
	close(fd);
	if (r < 0)
		return 0;
	snprintf(dir, sizeof(dir), "/sys/fs/btrfs/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x/devices", u[0], u[1], u[2], u[3], u[4], u[5], u[6],
		 u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) && n < MAX_MEMBERS)
		if (de->d_name[0] != '.' && read_devnum(dir, de->d_name, &out[n]) == 0)
			n++;
	closedir(d);
	return n;
}

/* When a btrfs mount cannot be asked (its path leads elsewhere now): it
 * may be any mounted btrfs, so it counts as a mount of each device of
 * devs that belongs to one. Better an eject refused than a power-off
 * under a mounted filesystem. */
static size_t btrfs_any_members(const dev_t *devs, size_t n, dev_t out[MAX_MEMBERS])
{
	struct dirent *fs, *de;
	size_t k = 0;
	DIR *top = opendir("/sys/fs/btrfs"), *d;

	if (!top)
		return 0;
	while ((fs = readdir(top)) && k < MAX_MEMBERS) {
		char dir[300];

		snprintf(dir, sizeof(dir), "/sys/fs/btrfs/%.255s/devices", fs->d_name);
		if (fs->d_name[0] == '.' || !(d = opendir(dir)))
			continue;
		while ((de = readdir(d)) && k < MAX_MEMBERS) {
			dev_t dev = 0;

			if (de->d_name[0] == '.' || read_devnum(dir, de->d_name, &dev) < 0)
				continue;
			for (size_t i = 0; i < n; i++)
				if (devs[i] == dev) {
					out[k++] = dev;
					break;
				}
		}
		closedir(d);
	}
	closedir(top);
	return k;
}

static bool in_set(dev_t dev, const dev_t *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev)
			return true;
	return false;
}

static int parse_line(char *line, struct mountid *m, char fstype[32])
{
	unsigned maj, min;
	const char *sep = strstr(line, " - ");
	char *tgt;
	int pos = 0;

	if (!sep || sscanf(sep + 3, "%31s", fstype) != 1 ||
	    sscanf(line, "%d %d %u:%u %*s %n", &m->id, &m->parent, &maj, &min, &pos) != 4 ||
	    !pos)
		return -EINVAL;
	tgt = line + pos;
	tgt[strcspn(tgt, " ")] = '\0';
	mountid_unescape(tgt);
	if (snprintf(m->target, sizeof(m->target), "%s", tgt) >= (int)sizeof(m->target))
		return -ENAMETOOLONG;
	m->sdev = m->dev = makedev(maj, min);
	m->anon = false;
	return 0;
}

int mountid_scan(const dev_t *devs, size_t n, struct mountid **out, size_t *nout)
{
	struct mountid m, *v = NULL;
	size_t cap = 0, lcap = 0;
	char *line = NULL, fstype[32];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int r = 0;

	*out = NULL;
	*nout = 0;
	if (!f)
		return -errno;
	while (r == 0 && getline(&line, &lcap, f) > 0) {
		dev_t members[MAX_MEMBERS] = { 0 };
		size_t k = 1;

		if (parse_line(line, &m, fstype) < 0)
			continue;
		members[0] = m.sdev;
		/* btrfs shows an anonymous number: ask the filesystem which
		 * devices it is made of */
		if (!strcmp(fstype, "btrfs") && !(k = btrfs_members(&m, members)))
			k = btrfs_any_members(devs, n, members);
		for (size_t i = 0; i < k; i++) {
			if (!in_set(members[i], devs, n))
				continue;
			if (*nout == cap) {
				struct mountid *nv = realloc(v, (cap = cap * 2 + 8) * sizeof(*v));

				if (!nv) {
					r = -ENOMEM;
					break;
				}
				v = nv;
			}
			v[*nout] = m;
			v[*nout].dev = members[i];
			v[*nout].anon = members[i] != m.sdev;
			(*nout)++;
		}
	}
	free(line);
	fclose(f);
	if (r < 0) {
		free(v);
		*nout = 0;
		return r;
	}
	*out = v;
	return 0;
}

int mountid_open(int dirfd, const struct mountid *m)
{
	const char *name = strrchr(m->target, '/');
	int fd, r;

	if (!name || !name[1])
		return -EINVAL;
	fd = openat(dirfd, name + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((r = prove(fd, m, !m->anon)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Whether mount ID id is still in the mount table. */
static bool still_there(int id)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int v;

	if (!f)
		return true; /* cannot tell: not gone */
	while (!found && getline(&line, &cap, f) > 0)
		found = sscanf(line, "%d", &v) == 1 && v == id;
	free(line);
	fclose(f);
	return found;
}

int mountid_umount(int dirfd, const struct mountid *m)
{
	char path[PATH_MAX + 32];
	int fd = mountid_open(dirfd, m);

	/* expired by automount meanwhile: what was asked is done */
	if (fd == -ESTALE && !still_there(m->id))
		return -ENOENT;
	if (fd < 0)
		return fd;
	close(fd); /* an open descriptor, even O_PATH, keeps the mount busy */
	snprintf(path, sizeof(path), "/proc/self/fd/%d%s", dirfd, strrchr(m->target, '/'));
	return umount2(path, UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
}

