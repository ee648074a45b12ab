/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mount.mediad's reports: why a medium is mounted as it is, or why it
 * could not be mounted. The helper writes one per device link into
 * <state_dir>/mounts/ by rename; an inotify watch there copies it into
 * the medium's record (through daemon/change.c), so medialist and hooks
 * see it like any other field. */
#ifndef MEDIAD_MOUNTREPORT_H
#define MEDIAD_MOUNTREPORT_H

struct mediad;
struct medium;

/* Watches <state_dir>/mounts and starts its watcher on md->loop. Returns
 * 0 or -errno (then reports are not followed; logged by the caller). */
int mountreport_start(struct mediad *md);
void mountreport_stop(struct mediad *md);

/* Applies the report of medium e, if there is one (coldplug, restart). */
void mountreport_apply(struct mediad *md, struct medium *e);

#endif
