/* mount.mediad's reports: why a medium is mounted as it is, or why it
 * could not be mounted. The helper writes one per device link into
 * <state_dir>/mounts/ by rename; an inotify watch there copies it into
 * the medium's record, so medialist and hooks see it like any other
 * field. */
#ifndef MEDIAD_MOUNTREPORT_H
#define MEDIAD_MOUNTREPORT_H

struct mediad;
struct medium;

/* Watches <state_dir>/mounts. Returns the inotify descriptor, or -errno. */
int mountreport_open(const char *state_dir);

/* Reads the pending inotify events of fd and applies the reports named. */
void mountreport_dispatch(struct mediad *md, int fd);

/* Applies the report of medium e, if there is one (coldplug, restart). */
void mountreport_apply(struct mediad *md, struct medium *e);

#endif
