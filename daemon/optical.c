/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CD-ROM ioctls for the kernel source. Never called on a device that is
 * not an sr* drive. */
#include "optical.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

bool optical_is_drive(const char *kname)
{
	return !strncmp(kname, "sr", 2) && kname[2] >= '0' && kname[2] <= '9';
}

int optical_lock(int fd)
{
	return ioctl(fd, CDROM_LOCKDOOR, 1) < 0 ? -errno : 0;
}

static int eject_run(void *arg)
{
	int fd = open(arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return 1;
	ioctl(fd, CDROM_LOCKDOOR, 0);
	return ioctl(fd, CDROMEJECT, 0) < 0 ? 1 : 0;
}

static void on_ejected(const struct child_result *res, void *arg)
{
	char *devname = arg;

	if (res->status != 0)
		log_warn("%s: eject failed%s", devname, res->timed_out ? ": the drive did not answer" : "");
	free(devname);
}

int optical_eject_async(struct ev_loop *loop, const char *devname)
{
	char *dev = strdup(devname);
	struct child_spec s = {
		.what = "eject of an optical drive",
		.deadline = 30, /* a tray takes seconds, never minutes */
		.keep_fd = -1,
		.run = eject_run,
		.run_arg = dev,
		.done = on_ejected,
		.done_arg = dev,
	};
	int err;

	if (!dev)
		return -ENOMEM;
	if (!child_start(loop, &s, &err)) {
		free(dev);
		return err;
	}
	return 0;
}
