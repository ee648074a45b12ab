/* Probe isolation: libblkid reads a medium, and a scratched disc or a dying
 * card reader can make that read hang for minutes. Each probe runs in a
 * child process with a timeout (probe_timeout), at most PROBEJOB_MAX at
 * once, so one bad medium never delays the others nor the event loop. */
#ifndef MEDIAD_PROBEJOB_H
#define MEDIAD_PROBEJOB_H

#include <stdbool.h>
#include <sys/types.h>

#include "device.h"

#define PROBEJOB_MAX 8

struct mediad;
struct probe_job;

/* Probes info->devname off the loop and, when done (or timed out), calls
 * events_probe_done() with info->fs filled in. A job already running for
 * the device is cancelled: only the newest event's probe counts. retry:
 * this is the one retry after a timeout. Returns 0 or -errno. */
int probejob_start(struct mediad *md, const struct devinfo *info, bool retry);

/* Cancels the probe of devnum, if any (the device went away). */
void probejob_cancel(struct mediad *md, dev_t devnum);

/* Jobs queued or running (coldplug waits for this to reach 0). */
unsigned probejob_pending(const struct mediad *md);

/* Kills and reaps every child (clean stop). */
void probejob_stop_all(struct mediad *md);

#endif
