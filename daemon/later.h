/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Looking at a device again later, through the event path once the event
 * at hand is done: a probe retried after a timeout, an encrypted
 * container judged again, a medium re-offered when a system mount went
 * away. The one deferred re-judgement; callers never keep timers of
 * their own for it. */
#ifndef MEDIAD_LATER_H
#define MEDIAD_LATER_H

#include <sys/types.h>

struct mediad;
struct udev_device;

/* What later_run runs: d is the device devnum names now. */
typedef void later_fn(struct mediad *md, dev_t devnum, struct udev_device *d);

/* Runs fn on device devnum after `after` seconds (0: once the event at
 * hand is done), if the device still exists then. */
void later_run(struct mediad *md, dev_t devnum, double after, later_fn *fn);

#endif
