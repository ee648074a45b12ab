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
#include "dirtydecide.h"
#include "sysfile.h"

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

/* Blocks ext4 holds written but not yet allocated on the filesystem of
 * device kname (its own sysfs counter, exact per filesystem); 0 when it
 * does not say. */
static long long ext4_delalloc(const char *kname)
{
	char path[128], buf[32];

	if (snprintf(path, sizeof(path), "/sys/fs/ext4/%s/delayed_allocation_blocks", kname) >=
	    (int)sizeof(path))
		return 0;
	return sysfile_read(path, buf, sizeof(buf)) > 0 ? strtoll(buf, NULL, 10) : 0;
}

/* News is what a flush would write: the device took writes since mediad
 * last flushed the medium or saw it mounted (its own write count: a
 * journal's commit, the kernel's writeback, a FAT driver's flush at
 * close), or the per-device counters show pages or inodes beyond what
 * that flush left, or, with only the global counters, ext4 says it holds
 * blocks not yet allocated. Never the global counters themselves: another
 * disk's writer kept them moving, and mediad flushed an idle medium again
 * and again for nothing (four flushes, three of 0 bytes, after one read). */
void idleflush_note(struct idleflush_watch *w, const struct dirty_input *in, long long stale,
		    const char *kname)
{
	const struct dirty_counters *c = &in->c;
	long long delalloc = 0;
	uint64_t own;

	if (!in->mounted_rw) {
		w->base = -1;
		w->news = false;
		return;
	}
	if (in->fresh || in->flushed)
		w->base = in->written;
	w->news = w->base < 0 || in->written < 0 || in->written != w->base;
	if (c->per_device) {
		w->news = w->news || c->pages_kb > BDI_SLACK_KB_PER_CPU * in->ncpu ||
			  c->inodes > stale;
	} else if (!strncmp(in->fstype, "ext", 3)) {
		delalloc = ext4_delalloc(kname);
		w->news = w->news || delalloc > 0;
	}
	/* the global counters move with every writer on the machine: with
	 * them, "nothing changed for flush_idle seconds" is asked of the
	 * medium's own signs */
	own = (uint64_t)in->written * 31 + (uint64_t)delalloc * 7 + in->writes;
	if (own != w->own || in->fresh) {
		w->own = own;
		w->own_quiet_since = in->now;
	}
	w->per_device = c->per_device;
}

double idleflush_quiet_since(const struct idleflush_watch *w, double quiet_since)
{
	return w->per_device ? quiet_since : w->own_quiet_since;
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
