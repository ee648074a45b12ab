/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Coldplug: the start-up phase that makes the published state equal to
 * the devices present, giving media still plugged in the names an earlier
 * instance gave them. Its own phase with its own end: the event path only
 * asks md->coldplug whether names must wait. */
#ifndef MEDIAD_COLDPLUG_H
#define MEDIAD_COLDPLUG_H

struct mediad;

/* Enumerates, waits for every probe (running only their watchers), names
 * the rest, sweeps what earlier instances left. Returns 0 or -errno. */
int coldplug_run(struct mediad *md);

#endif
