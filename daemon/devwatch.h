/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Without udevd nobody turns "a program wrote to this disk" into a change
 * event (udevd does it with inotify, its "watch" option). On the kernel
 * source mediad does the same, so a relabel or mkfs is seen. */
#ifndef MEDIAD_DEVWATCH_H
#define MEDIAD_DEVWATCH_H

#include <stddef.h>
#include <sys/types.h>

struct devwatch_entry {
	int wd;
	dev_t devnum;
};

struct devwatch {
	int fd; /* inotify; -1 when not in use */
	struct devwatch_entry *v;
	size_t n, cap;
};

int devwatch_open(struct devwatch *w);
void devwatch_close(struct devwatch *w);
/* Watches devname for close-after-write; idempotent per devnum. */
void devwatch_add(struct devwatch *w, const char *devname, dev_t devnum);
void devwatch_remove(struct devwatch *w, dev_t devnum);
/* Reads pending events; calls cb for each device written to. */
void devwatch_dispatch(struct devwatch *w, void (*cb)(dev_t devnum, void *arg), void *arg);

#endif
