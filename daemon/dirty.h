/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safe to remove: whether each mounted medium still has data on its way
 * to the device, in its record ("safe", "dirty_source") and as "dirty" and
 * "clean" hook events. Polls with a libev timer only while some medium is
 * mounted read-write; a record is rewritten only when its answer changes. */
#ifndef MEDIAD_DIRTY_H
#define MEDIAD_DIRTY_H

#include <stdbool.h>
#include <ev.h>

#include "dirtydecide.h" /* DIRTY_POLL_SECS */

struct mediad;
struct medium;

struct dirty {
	ev_timer timer;
	bool running;
	long ncpu; /* the bdi counters' per-cpu slack scales with it */
};

void dirty_init(struct mediad *md);

/* Sets e->rec.safe and e->rec.dirty_source from what the kernel says now
 * (e->rec.mountpoint must be current); publishes nothing. fresh: e was
 * just mounted, so a clean answer needs no settling time. Returns true
 * when e needs polling (mounted read-write). */
bool dirty_assess(struct mediad *md, struct medium *e, bool fresh);

/* dirty_assess, then publishes e and tells the log and the hooks when
 * the answer changed. Returns what dirty_assess returns. */
bool dirty_update(struct mediad *md, struct medium *e);

/* mediad's own flush of e (idleflush.c) succeeded: counts what the
 * kernel still lists as dirty with nothing left to write as left over,
 * takes e as synced, and updates it. */
void dirty_flushed(struct mediad *md, struct medium *e);

/* After a mount change or a new medium: starts the poll if some medium is
 * mounted (it stops itself once none is mounted read-write). */
void dirty_schedule(struct mediad *md);

void dirty_stop(struct mediad *md);

#endif
