/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libmount monitor and mountinfo lookups. Never polls: the monitor's fd is
 * watched by the event loop, and the table is re-read only on change.
 * Must never take a mount for a medium's on the word of its source string. */
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmount.h>

static int reload(struct mounts *m)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");

	if (!tb)
		return -errno ? -errno : -EIO;
	if (m->tb)
		mnt_unref_table(m->tb);
	m->tb = tb;
	return 0;
}

int mounts_open(struct mounts *m, const char *media_dir)
{
	int r;

	memset(m, 0, sizeof(*m));
	snprintf(m->auto_dir, sizeof(m->auto_dir), "%s/auto/", media_dir);
	m->mon = mnt_new_monitor();
	if (!m->mon)
		return -ENOMEM;
	r = mnt_monitor_enable_kernel(m->mon, 1);
	if (r == 0)
		r = mnt_monitor_get_fd(m->mon) < 0 ? -EIO : 0;
	if (r == 0)
		r = reload(m);
	if (r < 0)
		mounts_close(m);
	return r;
}

void mounts_close(struct mounts *m)
{
	if (m->mon)
		mnt_unref_monitor(m->mon);
	if (m->tb)
		mnt_unref_table(m->tb);
	m->mon = NULL;
	m->tb = NULL;
}

int mounts_fd(const struct mounts *m)
{
	return mnt_monitor_get_fd(m->mon);
}

bool mounts_refresh(struct mounts *m)
{
	bool changed = false;

	while (mnt_monitor_next_change(m->mon, NULL, NULL) == 0)
		changed = true;
	if (changed)
		reload(m);
	return changed;
}

const char *mounts_auto_name(const struct mounts *m, const char *target)
{
	size_t len = strlen(m->auto_dir);

	if (!target || strncmp(target, m->auto_dir, len) || !target[len] ||
	    strchr(target + len, '/'))
		return NULL;
	return target + len;
}

/* Whether fs is a mount of the block device devnum (kernel name kname,
 * filesystem UUID uuid). By device number, never by the source string:
 * anyone can mount a tmpfs or a FUSE filesystem whose "source" reads
 * /dev/sdb1. btrfs alone reports an anonymous device number; a btrfs
 * mount, which only root can make, is the medium's when its source is a
 * member of the medium's filesystem as the kernel lists it in sysfs. */
static bool is_mount_of(const struct libmnt_fs *fs, dev_t devnum, const char *kname,
			const char *uuid)
{
	const char *type = mnt_fs_get_fstype((struct libmnt_fs *)fs);
	const char *src, *base;
	char path[400];

	if (!type || !strcmp(type, "fuse") || !strncmp(type, "fuse.", 5) ||
	    !strcmp(type, "tmpfs"))
		return false;
	if (mnt_fs_get_devno((struct libmnt_fs *)fs) == devnum)
		return true;
	if (strcmp(type, "btrfs") || !uuid || !*uuid || !kname || !*kname)
		return false;
	src = mnt_fs_get_srcpath((struct libmnt_fs *)fs);
	base = src ? strrchr(src, '/') : NULL;
	if (!base || !base[1])
		return false;
	/* the medium's device is a member of filesystem uuid, and so is the
	 * device this mount was made from */
	if (snprintf(path, sizeof(path), "/sys/fs/btrfs/%s/devices/%s", uuid, kname) >=
		    (int)sizeof(path) ||
	    access(path, F_OK) < 0)
		return false;
	return snprintf(path, sizeof(path), "/sys/fs/btrfs/%s/devices/%s", uuid, base + 1) <
		       (int)sizeof(path) &&
	       access(path, F_OK) == 0;
}

void mounts_find(const struct mounts *m, dev_t devnum, const char *kname, const char *uuid,
		 struct mount_found *out)
{
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;

	memset(out, 0, sizeof(*out));
	if (!it || !m->tb) {
		mnt_free_iter(it);
		return;
	}
	while (mnt_table_next_fs(m->tb, it, &fs) == 0) {
		const char *target = mnt_fs_get_target(fs);

		if (!target || !is_mount_of(fs, devnum, kname, uuid))
			continue;
		if (mounts_auto_name(m, target)) {
			if (!out->ours) {
				out->ours = target;
				out->ours_id = mnt_fs_get_id(fs);
			}
		} else if (!out->system) {
			out->system = target;
		}
	}
	mnt_free_iter(it);
}

bool mounts_get(const struct mounts *m, const char *target, const char **fstype,
		bool *rw, unsigned *commit)
{
	/* backward: the last mount on a path is the one that is seen */
	struct libmnt_fs *fs = m->tb ? mnt_table_find_target(m->tb, target, MNT_ITER_BACKWARD)
				     : NULL;
	const char *vfs, *sb;
	char *val = NULL;
	size_t len = 0;

	if (!fs)
		return false;
	vfs = mnt_fs_get_vfs_options(fs);
	sb = mnt_fs_get_fs_options(fs);
	*fstype = mnt_fs_get_fstype(fs);
	if (!*fstype)
		*fstype = "";
	*rw = vfs && sb && mnt_optstr_get_option(vfs, "rw", NULL, NULL) == 0 &&
	      mnt_optstr_get_option(sb, "rw", NULL, NULL) == 0;
	*commit = 0;
	if (sb && mnt_optstr_get_option(sb, "commit", &val, &len) == 0 && val && len &&
	    len < 8) {
		char tmp[8];

		memcpy(tmp, val, len);
		tmp[len] = '\0';
		*commit = (unsigned)strtoul(tmp, NULL, 10);
	}
	return true;
}
