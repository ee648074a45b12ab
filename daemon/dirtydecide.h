/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The safe-to-remove decision for one mounted medium, as a pure function:
 * from one poll's readings (daemon/dirty.c reads them) and the little the
 * decision keeps between polls, whether the medium is safe to pull now.
 * Must never read a file, ask the clock or touch the daemon's state: what
 * it needs comes in, what it decides goes out (tests/unit/test_dirty.c). */
#ifndef MEDIAD_DIRTYDECIDE_H
#define MEDIAD_DIRTYDECIDE_H

#include <stdbool.h>
#include <stdint.h>

#define DIRTY_POLL_SECS 0.25

/* b_dirty and friends are exact; the kB counters only count above what
 * per-cpu batching can hide (WB_STAT_BATCH pages per CPU, at most 8 *
 * (1 + log2(ncpu)); 32 pages per CPU covers 8 CPUs and is still small) */
#define BDI_SLACK_KB_PER_CPU 128

/* What the kernel says is still on its way to one medium's device. */
struct dirty_counters {
	long long pages_kb; /* dirty + under writeback, kB */
	long long inodes;   /* on b_dirty, b_io, b_more_io (per device only) */
	bool per_device;    /* debugfs's bdi counters, else /proc/meminfo's */
};

/* One poll's readings of one medium. Only mounted_rw counts when it is
 * false. */
struct dirty_input {
	bool mounted_rw;          /* mounted, and read-write */
	struct dirty_counters c;
	unsigned writes;          /* write requests in flight on its disk */
	int64_t written;          /* the device's write count (-1: unknown);
				   * it only tells activity, never dirt */
	const char *fstype;       /* as mounted */
	unsigned commit;          /* the commit= it is mounted with, 0: none */
	long ncpu;                /* the bdi counters' slack scales with it */
	double now;               /* seconds (ev_now) */
	bool fresh;               /* just mounted: clean needs no settling */
	bool flushed;             /* mediad's own flush of it just ended */
	bool flushing;            /* mediad's own flush of it is running */
};

/* What the decision keeps of a medium from one poll to the next (struct
 * medium's fields of the same names, daemon/media.h). */
struct dirty_state {
	double clean_since;       /* first seen clean (0: not clean now) */
	uint64_t activity;        /* the readings hashed, to see a change */
	uint64_t flushed_activity; /* cleared here when not mounted rw */
	double quiet_since;       /* since when activity has not changed */
	long long stale_inodes;   /* listed after mediad's flush: excused */
	bool synced;              /* flushed by mediad, clean since */
};

struct dirty_verdict {
	bool safe;
	const char *source;       /* "bdi", "meminfo"; "" when not mounted rw */
	bool needed;              /* mounted read-write: keep polling */
	bool settling;            /* clean since a write, but neither just
				   * mounted nor flushed by mediad since: a
				   * flush would prove it (it commits the
				   * journal), waiting can only guess */
};

/* Decides for in, updating *st. */
struct dirty_verdict dirty_decide(const struct dirty_input *in, struct dirty_state *st);

#endif
