/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libudev monitor and enumeration for the block subsystem. */
#include "monitor.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <libudev.h>

/* udevd listens on /run/udev/control. The file outlives a udevd that
 * exited, so only a successful connect() counts. */
bool monitor_udev_running(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/udev/control" };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

enum source monitor_pick_source(enum source configured)
{
	if (configured != SOURCE_AUTO)
		return configured;
	return monitor_udev_running() ? SOURCE_UDEV : SOURCE_KERNEL;
}

struct udev_monitor *monitor_open(struct udev *udev, enum source src, int rcvbuf)
{
	struct udev_monitor *mon =
		udev_monitor_new_from_netlink(udev, src == SOURCE_UDEV ? "udev" : "kernel");

	if (!mon)
		return NULL;
	if (udev_monitor_filter_add_match_subsystem_devtype(mon, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon) < 0) {
		udev_monitor_unref(mon);
		errno = EIO;
		return NULL;
	}
	/* After enable_receiving: libudev may have set its own size on the
	 * socket; ours (usually larger, SO_RCVBUFFORCE) wins. Failure only
	 * means a smaller buffer, and ENOBUFS is handled by rescanning. */
	if (rcvbuf > 0)
		udev_monitor_set_receive_buffer_size(mon, rcvbuf);
	return mon;
}

int monitor_enumerate(struct udev *udev, enum source src, monitor_cb cb, void *arg)
{
	struct udev_enumerate *en = udev_enumerate_new(udev);
	struct udev_list_entry *e;

	if (!en)
		return -ENOMEM;
	if (udev_enumerate_add_match_subsystem(en, "block") < 0 ||
	    udev_enumerate_scan_devices(en) < 0) {
		udev_enumerate_unref(en);
		return -EIO;
	}
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *d =
			udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));

		if (!d)
			continue; /* gone since the scan: its remove event follows */
		if (src == SOURCE_KERNEL || udev_device_get_is_initialized(d))
			cb(d, arg);
		udev_device_unref(d);
	}
	udev_enumerate_unref(en);
	return 0;
}
