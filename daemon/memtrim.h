/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving the heap's free memory back to the kernel once a burst of events
 * (a storm of plugs, coldplug, a rescan) is over. glibc keeps what a burst
 * freed inside its arena: the high-water mark of a backlog stayed resident
 * for good. Must never trim in the middle of a burst (a trim walks the
 * arena) nor more than once per quiet spell. */
#ifndef MEDIAD_MEMTRIM_H
#define MEDIAD_MEMTRIM_H

#include <ev.h>

/* Free bytes in the arena worth a trim. */
#define MEMTRIM_MIN_FREE (8 * 1024)
/* Seconds without an event that end a burst. */
#define MEMTRIM_QUIET_SECS 1.0

void memtrim_init(struct ev_loop *loop);

/* An event arrived: the trim waits for MEMTRIM_QUIET_SECS without one. */
void memtrim_note(void);

/* Trims now if it is worth it (the end of coldplug). */
void memtrim_now(void);

void memtrim_stop(void);

#endif
