/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Media-change polling for drives that cannot announce a new medium
 * (optical drives, card readers): without it the kernel never sends the
 * change event that tells mediad a disc was inserted. udevd's rules turn
 * it on; on the kernel source nobody does, so mediad does. */
#ifndef MEDIAD_MEDIAPOLL_H
#define MEDIAD_MEDIAPOLL_H

struct udev_device;

#define MEDIAPOLL_MSECS 2000

/* For a whole disk that reports media events but is not polled, sets its
 * events_poll_msecs. Returns 1 when it turned polling on, 0 when nothing
 * was needed, -errno on failure. */
int mediapoll_enable(struct udev_device *disk);

#endif
