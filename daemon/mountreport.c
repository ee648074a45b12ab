/* Copies mount.mediad's reports into the records. */
#include "mountreport.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "mediad.h"

int mountreport_open(const char *state_dir)
{
	char dir[PATH_MAX];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "%s/mounts", state_dir);
	if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_ONLYDIR) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

void mountreport_apply(struct mediad *md, struct medium *e)
{
	struct record rep;
	struct record *r = &e->rec;

	if (publish_read_report(&md->pub, e, &rep) < 0)
		return;
	if (!strcmp(r->mounted_type, rep.mounted_type) &&
	    !strcmp(r->mounted_options, rep.mounted_options) &&
	    !strcmp(r->mount_note, rep.mount_note) && !strcmp(r->mount_error, rep.mount_error))
		return;
	memcpy(r->mounted_type, rep.mounted_type, sizeof(r->mounted_type));
	memcpy(r->mounted_options, rep.mounted_options, sizeof(r->mounted_options));
	memcpy(r->mount_note, rep.mount_note, sizeof(r->mount_note));
	memcpy(r->mount_error, rep.mount_error, sizeof(r->mount_error));
	if (r->mount_error[0])
		log_warn("%s (%s): cannot be mounted: %s", r->name, r->kname, r->mount_error);
	else if (r->mount_note[0])
		log_notice("%s (%s): mounted as %s %s: %s", r->name, r->kname, r->mounted_type,
			   r->mounted_options, r->mount_note);
	else
		log_debug("%s (%s): mounted as %s %s", r->name, r->kname, r->mounted_type,
			  r->mounted_options);
	if (publish_write(&md->pub, e) < 0)
		log_warn("%s: cannot publish the record: %m", r->name);
}

void mountreport_dispatch(struct mediad *md, int fd)
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
