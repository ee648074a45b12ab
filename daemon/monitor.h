/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hotplug sources: udevd's processed events (libudev "udev" monitor) when
 * udevd runs, the kernel's raw uevents ("kernel" monitor) when it does not,
 * and coldplug enumeration of what is already there. */
#ifndef MEDIAD_MONITOR_H
#define MEDIAD_MONITOR_H

#include <stdbool.h>

#include "config.h"

struct udev;
struct udev_device;
struct udev_monitor;

/* True when udevd is running (its control socket exists). */
bool monitor_udev_running(void);

/* Resolves SOURCE_AUTO. */
enum source monitor_pick_source(enum source configured);

/* Opens and starts the monitor for block devices. rcvbuf: the netlink
 * receive buffer to ask for (bytes). Returns NULL with errno set. */
struct udev_monitor *monitor_open(struct udev *udev, enum source src, int rcvbuf);

typedef void (*monitor_cb)(struct udev_device *d, void *arg);

/* Calls cb for every block device present (for the udev source only for
 * those udevd has initialised; the rest arrive as events). Returns 0 or
 * -errno. */
int monitor_enumerate(struct udev *udev, enum source src, monitor_cb cb, void *arg);

#endif
