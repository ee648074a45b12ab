/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safe to remove or not: the decision over one poll's readings (what the
 * counters mean and why is told in daemon/dirty.c, which reads them).
 * Pure: never reads a file nor the clock; same readings, same answer. */
#include "dirtydecide.h"

#include <string.h>

/* Seconds a filesystem may keep metadata only in memory after its pages
 * are written: the journal's commit interval (ext3/4: 5 s, xfs's log
 * worker and btrfs's transaction: 30 s), or commit= where it is set;
 * f2fs's checkpoint interval (cp_interval, 60 s). Only the fallback of
 * a medium mediad could not flush (dirty.c flushes one that settles):
 * a commit due then can still come late on a loaded machine. */
static double settle_secs(const char *fstype, unsigned commit, bool global)
{
	/* the global counters are folded from per-cpu parts once a second */
	double least = global ? 2.0 : 2 * DIRTY_POLL_SECS;
	double s = 0;

	if (!strcmp(fstype, "ext3") || !strcmp(fstype, "ext4"))
		s = commit ? commit : 5;
	else if (!strcmp(fstype, "btrfs"))
		s = commit ? commit : 30;
	else if (!strcmp(fstype, "xfs"))
		s = 30;
	else if (!strcmp(fstype, "f2fs"))
		s = 60;
	return s > least ? s : least;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL; /* FNV-1a's prime, a word at a time */
}

struct dirty_verdict dirty_decide(const struct dirty_input *in, struct dirty_state *st)
{
	struct dirty_verdict v = { .safe = true, .source = "", .needed = false };
	const struct dirty_counters *c = &in->c;
	long long bdi_slack;
	uint64_t activity;
	bool dirty;

	if (!in->mounted_rw) {
		/* nothing can be waiting to be written */
		st->clean_since = 0;
		st->synced = false;
		st->stale_inodes = 0;
		st->activity = st->flushed_activity = 0;
		return v;
	}
	bdi_slack = BDI_SLACK_KB_PER_CPU * in->ncpu;
	if (in->flushed) {
		/* What the kernel still lists with no page left to write and
		 * no write in flight, right after syncfs wrote everything: the
		 * block device's own inode keeps its dirty mark, with clean
		 * pages, until the flusher's next periodic pass (seen: 30 s
		 * after a syncfs, and after a sync too). */
		if (c->per_device && c->pages_kb <= bdi_slack && in->writes == 0)
			st->stale_inodes = c->inodes;
		st->synced = true;
	}
	if (c->per_device) {
		/* what mediad's own flush left listed is excused until the
		 * kernel's periodic writeback takes it off (within
		 * dirty_expire + dirty_writeback, 35 s): the excuse shrinks
		 * with the list and never grows back */
		if (c->inodes < st->stale_inodes)
			st->stale_inodes = c->inodes;
		dirty = c->inodes > st->stale_inodes || c->pages_kb > bdi_slack;
	} else {
		dirty = c->pages_kb > 0;
	}
	dirty = dirty || in->writes > 0;
	v.source = c->per_device ? "bdi" : "meminfo";
	v.needed = true;
	activity = mix(mix(mix(mix(0xcbf29ce484222325ULL, (uint64_t)c->pages_kb),
			       (uint64_t)c->inodes), in->writes),
		       (uint64_t)in->written);
	if (activity != st->activity) {
		st->activity = activity;
		st->quiet_since = in->now;
	}
	if (dirty) {
		v.safe = false;
		st->clean_since = 0;
		st->synced = false;
	} else if (in->fresh || st->synced) {
		/* just mounted, nothing written yet (a mount's own writes,
		 * journal replay, are done before it returns); or flushed by
		 * syncfs, which commits the journal, and clean since */
		if (st->clean_since == 0)
			st->clean_since = in->now;
	} else {
		/* written since, and clean now: what writeback allocated may
		 * still wait for the journal; never called safe while
		 * mediad's flush, which would prove it, is running */
		if (st->clean_since == 0)
			st->clean_since = in->now;
		v.settling = true;
		v.safe = !in->flushing && in->now - st->clean_since >=
						  settle_secs(in->fstype, in->commit, !c->per_device);
	}
	return v;
}
