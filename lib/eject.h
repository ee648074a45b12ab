/* Making a medium safe to pull: unmount, flush, power off. Shared by the
 * daemon (which runs it in a child process, never in its event loop) and
 * by medialist (as root, when no daemon answers). Blocking by nature:
 * never call it from an event loop. */
#ifndef MEDIAD_EJECT_H
#define MEDIAD_EJECT_H

#include <stddef.h>

#include "flush.h"

#define EJECT_MSG_BUF 512

/* Unmounts mountpoint (lazy never: a busy medium must say so). Not
 * mounted is success. Returns 0 or -errno. */
int eject_unmount(const char *mountpoint);

/* Flushes (syncfs, timed into *fr, zeroed here) and unmounts every mount
 * of the disk that holds devname and of all its partitions, flushes the
 * disk, then powers it off: a loop device is
 * detached, an optical drive's tray opened (CDROMEJECT), a USB device
 * removed from its port, a SCSI disk deleted; other devices only flushed.
 * Returns 0 or -errno; msg (EJECT_MSG_BUF bytes) says what happened or
 * what stood in the way. */
int eject_medium(const char *devname, char *msg, size_t msgsize, struct flush_result *fr);

#endif
