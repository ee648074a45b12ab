/* Without udevd nobody turns "a program wrote to this disk" into a change
 * event (udevd does it with inotify, its "watch" option). On the kernel
 * source mediad does the same, so a relabel or mkfs is seen. */
#ifndef MEDIAD_WATCH_H
#define MEDIAD_WATCH_H

#include <stddef.h>
#include <sys/types.h>

struct watch_entry {
	int wd;
	dev_t devnum;
};

struct watch {
	int fd; /* inotify; -1 when not in use */
	struct watch_entry *v;
	size_t n, cap;
};

int watch_open(struct watch *w);
void watch_close(struct watch *w);
/* Watches devname for close-after-write; idempotent per devnum. */
void watch_add(struct watch *w, const char *devname, dev_t devnum);
void watch_remove(struct watch *w, dev_t devnum);
/* Reads pending events; calls cb for each device written to. */
void watch_dispatch(struct watch *w, void (*cb)(dev_t devnum, void *arg), void *arg);

#endif
