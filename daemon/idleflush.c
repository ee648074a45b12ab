/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flush children: sync the medium's filesystem, exit. The sync may wait on
 * a slow or dying device for as long as the device takes; only the child
 * waits, and only until its deadline. A child never walks to the mount
 * where it can help it: every path walk that crosses an automounted
 * directory (O_PATH included) restarts automount's idle clock, so a flush
 * through the mount kept an idle medium mounted a flush longer (measured:
 * one O_PATH open a second kept an expire_timeout=3 mount for as long as
 * it went on). BLKFLSBUF on the block device syncs the filesystem that
 * holds it (sync_filesystem, as syncfs does) without touching the mount,
 * then drops the device's clean cached blocks (re-read on the next use).
 * Only btrfs, whose superblock does not hold its device on older kernels,
 * is still flushed through the mount (opened with O_PATH, lib/flush.c, so
 * an expired medium is never mounted again). The price of the device
 * route: BLKFLSBUF does not report a write error (the kernel logs it);
 * medialist's unmount and eject flush through the mount and do. */
#include "idleflush.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child.h"

struct flush_job {
	unsigned serial;
	unsigned devmajor, devminor;
	int64_t written0;  /* the device's write counter at the start */
	bool by_device;
	char devname[128];
	char mountpoint[PATH_MAX];
	idleflush_done_fn *done;
	void *arg;
};

/* exit statuses of the child */
enum { FLUSHED = 0, SYNCFS_FAILED = 1, NOT_MOUNTED = 3, OPEN_FAILED = 4 };

/* The device route: the node must be the very device (a name is only a
 * name); opened read-only, so closing it makes no change event. */
static int flush_device(const struct flush_job *job)
{
	int fd = open(job->devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return OPEN_FAILED;
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    st.st_rdev != makedev(job->devmajor, job->devminor)) {
		close(fd);
		return OPEN_FAILED;
	}
	r = ioctl(fd, BLKFLSBUF, 0) < 0 ? SYNCFS_FAILED : FLUSHED;
	close(fd);
	return r;
}

static int flush_run(void *arg)
{
	const struct flush_job *job = arg;
	int fd;

	if (job->by_device)
		return flush_device(job);
	fd = flush_open_mounted(job->mountpoint);
	if (fd < 0)
		return fd == -ENOENT ? NOT_MOUNTED : OPEN_FAILED;
	return syncfs(fd) < 0 ? SYNCFS_FAILED : FLUSHED;
}

bool idleflush_by_device(const char *fstype)
{
	return strcmp(fstype, "btrfs") != 0;
}

static void on_done(const struct child_result *res, void *arg)
{
	struct flush_job *job = arg;
	struct flush_result fr = { .done = true, .seconds = res->seconds };
	int64_t written1 = flush_written(job->devmajor, job->devminor);
	enum idleflush_outcome o;

	fr.bytes = job->written0 >= 0 && written1 >= job->written0 ?
			   written1 - job->written0 : -1;
	switch (res->timed_out ? -1 : res->status) {
	case FLUSHED: o = IDLEFLUSH_FLUSHED; break;
	case SYNCFS_FAILED: o = IDLEFLUSH_WRITE_ERROR; break;
	case NOT_MOUNTED: o = IDLEFLUSH_NOT_MOUNTED; break;
	case OPEN_FAILED: o = IDLEFLUSH_OPEN_FAILED; break;
	default: o = IDLEFLUSH_DIED; break;
	}
	job->done(job->serial, o, &fr, job->arg);
	free(job);
}

int idleflush_start(struct ev_loop *loop, const struct idleflush_target *t, unsigned serial,
		    double deadline, idleflush_done_fn *done, void *arg)
{
	struct flush_job *job = calloc(1, sizeof(*job));
	char what[PATH_MAX + 16];
	struct child_spec s = {
		.what = what,
		.deadline = deadline,
		.keep_fd = -1,
		.run = flush_run,
		.done = on_done,
	};
	int err;

	if (!job)
		return -ENOMEM;
	job->serial = serial;
	job->devmajor = t->maj;
	job->devminor = t->min;
	job->written0 = flush_written(t->maj, t->min);
	job->done = done;
	job->arg = arg;
	job->by_device = idleflush_by_device(t->fstype);
	snprintf(job->devname, sizeof(job->devname), "%s", t->devname);
	snprintf(job->mountpoint, sizeof(job->mountpoint), "%s", t->mountpoint);
	snprintf(what, sizeof(what), "flush of %s", job->by_device ? t->devname : t->mountpoint);
	s.run_arg = s.done_arg = job;
	if (!child_start(loop, &s, &err)) {
		free(job);
		return err;
	}
	return 0;
}

const char *idleflush_strerror(enum idleflush_outcome o)
{
	switch (o) {
	case IDLEFLUSH_FLUSHED: return "flushed";
	case IDLEFLUSH_WRITE_ERROR: return "the device reported a write error";
	case IDLEFLUSH_NOT_MOUNTED: return "no longer mounted";
	case IDLEFLUSH_OPEN_FAILED: return "cannot open its mount";
	case IDLEFLUSH_DIED: return "the flush died or did not end in time";
	}
	return "?";
}
