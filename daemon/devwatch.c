/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inotify IN_CLOSE_WRITE on device nodes. mediad's own probes open devices
 * read-only, so they never trigger this watch (no feedback loop). */
#include "devwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

int devwatch_open(struct devwatch *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return w->fd < 0 ? -errno : 0;
}

void devwatch_close(struct devwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->v);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

void devwatch_add(struct devwatch *w, const char *devname, dev_t devnum)
{
	int wd;

	if (w->fd < 0)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].devnum == devnum)
			return;
	wd = inotify_add_watch(w->fd, devname, IN_CLOSE_WRITE);
	if (wd < 0)
		return; /* node gone or not there yet: its events will tell */
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct devwatch_entry *v = realloc(w->v, cap * sizeof(*v));

		if (!v) {
			inotify_rm_watch(w->fd, wd);
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n].wd = wd;
	w->v[w->n].devnum = devnum;
	w->n++;
}

void devwatch_remove(struct devwatch *w, dev_t devnum)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].devnum != devnum)
			continue;
		/* fails harmlessly when the node is already gone */
		inotify_rm_watch(w->fd, w->v[i].wd);
		w->v[i] = w->v[--w->n];
		return;
	}
}

void devwatch_dispatch(struct devwatch *w, void (*cb)(dev_t devnum, void *arg), void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			p += sizeof(*ev) + ev->len;
			for (size_t i = 0; i < w->n; i++) {
				if (w->v[i].wd != ev->wd)
					continue;
				if (ev->mask & IN_IGNORED)
					w->v[i] = w->v[--w->n]; /* node deleted */
				else
					cb(w->v[i].devnum, arg);
				break;
			}
		}
	}
}
