/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flushing a medium once it has stopped being written: its filesystem
 * synced, in a child process (daemon/child.c), when it still has data
 * waiting and nothing has changed for flush_idle seconds. The kernel would
 * otherwise keep the data in memory for 30 s and more; a user who sees
 * "safe" sooner pulls the stick sooner. Must never walk to the mount (that
 * restarts automount's idle clock) where the device itself can do: see
 * idleflush.c. Knows nothing of the media table: the outcome goes to the
 * caller's callback. */
#ifndef MEDIAD_IDLEFLUSH_H
#define MEDIAD_IDLEFLUSH_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>

#include "flush.h"

/* how a flush ended */
enum idleflush_outcome {
	IDLEFLUSH_FLUSHED,
	IDLEFLUSH_WRITE_ERROR,   /* syncfs failed: the device said no */
	IDLEFLUSH_NOT_MOUNTED,   /* expired meanwhile: nothing to do */
	IDLEFLUSH_OPEN_FAILED,
	IDLEFLUSH_DIED,          /* killed at the deadline, or crashed */
};

/* serial: the caller's token for the medium (it may be gone when the
 * flush ends); fr: how long it took and what the device took meanwhile */
typedef void idleflush_done_fn(unsigned serial, enum idleflush_outcome outcome,
			       const struct flush_result *fr, void *arg);

/* What to flush: the filesystem on device devname (MAJ:MIN), mounted on
 * mountpoint as fstype. */
struct idleflush_target {
	const char *devname;
	const char *mountpoint;
	const char *fstype;
	unsigned maj, min;
};

/* Starts the flush of t. deadline: seconds before the child is killed.
 * Returns 0 or -errno; done is called once when it started. */
int idleflush_start(struct ev_loop *loop, const struct idleflush_target *t, unsigned serial,
		    double deadline, idleflush_done_fn *done, void *arg);

/* Whether the flush of a filesystem of this type goes through its block
 * device (never touching the mount), else through the mount (btrfs: its
 * superblock is not the block device's holder on older kernels). */
bool idleflush_by_device(const char *fstype);

/* Whether a flush of one mounted medium would have work to do, kept
 * between polls (struct medium's flushw). */
struct idleflush_watch {
	int64_t base;          /* its device's write count when last flushed by
				* mediad or seen mounted; -1: not known */
	bool news;             /* something was written since */
	uint64_t own;          /* the medium's own activity: its device's
				* writes, ext4's delayed blocks */
	double own_quiet_since; /* since when that has not changed */
	bool per_device;       /* the poll has per-device counters */
};

struct dirty_input;

/* Updates w from one poll's readings of the medium on device kname (see
 * idleflush.c for what counts as news); stale: the inodes the last flush
 * left listed (dirtydecide.h). */
void idleflush_note(struct idleflush_watch *w, const struct dirty_input *in, long long stale,
		    const char *kname);

/* Since when the medium has been quiet for the flush's purpose: quiet_since
 * (the dirty poll's, over its device's own counters) where there are
 * per-device counters, else its own signs' (w). */
double idleflush_quiet_since(const struct idleflush_watch *w, double quiet_since);

/* A short text for an outcome other than IDLEFLUSH_FLUSHED. */
const char *idleflush_strerror(enum idleflush_outcome outcome);

#endif
