/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probe isolation: libblkid reads a medium, and a scratched disc or a dying
 * card reader can make that read hang for minutes. Probes run in a small
 * pool of pre-forked worker processes (daemon/child.c), at most
 * PROBEJOB_MAX busy at once, each request with a deadline (probe_timeout)
 * at which its worker is killed and later replaced, so one bad medium never
 * delays the others nor the event loop. Idle workers retire after
 * PROBEJOB_IDLE_SECS: nothing is left behind. Must never call back into the
 * event handlers directly: the answer goes to the completion callback its
 * owner registered. */
#ifndef MEDIAD_PROBEJOB_H
#define MEDIAD_PROBEJOB_H

#include <stdbool.h>
#include <sys/types.h>
#include <ev.h>

#include "device.h"

#define PROBEJOB_MAX 8
/* A worker idle this long exits; the next probe forks a new one. */
#define PROBEJOB_IDLE_SECS 5.0

struct probe_job;
struct probe_worker;

/* info->fs is filled in (or its error says why not). timed_out: the
 * probe was killed at its deadline; retry: this was the retry already. */
typedef void probejob_done_fn(struct devinfo *info, bool timed_out, bool retry, void *arg);

struct probejobs {
	struct ev_loop *loop;
	struct probe_job *head;  /* queued and running, oldest first */
	struct probe_worker *workers;
	ev_timer retire;         /* retires idle workers */
	unsigned timeout;        /* seconds (config probe_timeout) */
	bool lock_discs;         /* lock a drive's door once a disc reads
				  * (kernel source: nobody else does) */
	probejob_done_fn *done;
	void *arg;
};

void probejob_init(struct probejobs *pj, struct ev_loop *loop, probejob_done_fn *done,
		   void *arg);

/* Probes info->devname off the loop; the answer goes to pj->done. A job
 * already queued or running for the device is cancelled: only the newest
 * event's probe counts. retry: this is the one retry after a timeout.
 * Returns 0 or -errno. */
int probejob_start(struct probejobs *pj, const struct devinfo *info, bool retry);

/* Cancels the probe of devnum, if any (the device went away). */
void probejob_cancel(struct probejobs *pj, dev_t devnum);

/* Makes sure an idle worker is ready: called as an event arrives, so that
 * the fork, when one is needed, overlaps the reading of the device's
 * facts instead of following it. */
void probejob_prewarm(struct probejobs *pj);

/* Jobs queued or running (coldplug waits for this to reach 0). */
unsigned probejob_pending(const struct probejobs *pj);

/* Forgets every job and kills every worker (clean stop). */
void probejob_stop_all(struct probejobs *pj);

#endif
