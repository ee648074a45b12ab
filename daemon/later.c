/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A device looked at again later (see later.h): one one-shot timer per
 * request, freed when it fires. Never touches the media table itself. */
#include "later.h"

#include <stdlib.h>
#include <ev.h>
#include <libudev.h>

#include "log.h"
#include "mediad.h"

struct later {
	ev_timer timer;
	struct mediad *md;
	dev_t devnum;
	later_fn *fn;
};

static void on_later(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct later *l = w->data;
	struct udev_device *d = udev_device_new_from_devnum(l->md->udev, 'b', l->devnum);

	(void)loop;
	(void)revents;
	if (d) {
		l->fn(l->md, l->devnum, d);
		udev_device_unref(d);
	}
	free(l);
}

void later_run(struct mediad *md, dev_t devnum, double after, later_fn *fn)
{
	struct later *l = calloc(1, sizeof(*l));

	if (!l) {
		log_err("no memory to look at a device again later");
		return;
	}
	l->md = md;
	l->devnum = devnum;
	l->fn = fn;
	ev_timer_init(&l->timer, on_later, after, 0.);
	l->timer.data = l;
	ev_timer_start(md->loop, &l->timer);
}
