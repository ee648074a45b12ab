/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copies mount.mediad's reports into the records. A report is untrusted
 * only as far as its writer is: the mounts/ directory is root's (checked
 * by publish_open) and read without following links (publish.c). */
#include "mountreport.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "change.h"
#include "log.h"
#include "mediad.h"
#include "statedir.h"

void mountreport_apply(struct mediad *md, struct medium *e)
{
	struct record rep, before;
	struct record *r = &e->rec;

	if (publish_read_report(&md->pub, e, &rep) < 0)
		return;
	before = *r;
	record_copy_mount_report(r, &rep);
	change_commit(md, e, &before);
}

static void dispatch(struct mediad *md, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (!ev->len)
				continue;
			/* the file is named after the device link, which the
			 * medium's record gives; a handful of media: a scan */
			for (size_t i = 0; i < md->media.n; i++) {
				char dev[64];
				struct medium *e = md->media.v[i];

				if (e->offered && record_devlink(&e->rec, dev, sizeof(dev)) >= 0 &&
				    !strcmp(dev, ev->name))
					mountreport_apply(md, e);
			}
		}
	}
}

static void on_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;

	(void)loop;
	(void)revents;
	dispatch(md, md->report_fd);
}

int mountreport_start(struct mediad *md)
{
	char dir[PATH_MAX];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	md->report_fd = -1;
	if (fd < 0)
		return -errno;
	if (statedir_path(md->cfg.state_dir, STATEDIR_MOUNTS, NULL, dir, sizeof(dir)) < 0) {
		close(fd);
		return -ENAMETOOLONG;
	}
	if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_ONLYDIR) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	md->report_fd = fd;
	ev_io_init(&md->report_io, on_report, fd, EV_READ);
	md->report_io.data = md;
	ev_io_start(md->loop, &md->report_io);
	return 0;
}

void mountreport_stop(struct mediad *md)
{
	if (md->report_fd < 0)
		return;
	ev_io_stop(md->loop, &md->report_io);
	close(md->report_fd);
	md->report_fd = -1;
}
