/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes sysfs events_poll_msecs. Touches nothing but that attribute, and
 * only on drives whose "events" attribute says they have media events. */
#include "mediapoll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

int mediapoll_enable(struct udev_device *d)
{
	const char *devtype = udev_device_get_devtype(d);
	const char *events, *poll;
	char buf[16];
	long msecs;
	int r;

	if (!devtype || strcmp(devtype, "disk"))
		return 0;
	/* removable drives only (optical, card readers): loop devices, for
	 * one, list media_change but cannot be polled (ENODEV) */
	events = udev_device_get_sysattr_value(d, "removable");
	if (!events || strcmp(events, "1"))
		return 0;
	events = udev_device_get_sysattr_value(d, "events");
	if (!events || !strstr(events, "media_change"))
		return 0;
	poll = udev_device_get_sysattr_value(d, "events_poll_msecs");
	msecs = poll ? strtol(poll, NULL, 10) : 0;
	if (msecs > 0)
		return 0;
	if (msecs < 0) {
		/* -1: the module default, which is 0 (off) unless set */
		FILE *f = fopen("/sys/module/block/parameters/events_dfl_poll_msecs", "re");
		long dfl = 0;

		if (f) {
			if (fscanf(f, "%ld", &dfl) != 1)
				dfl = 0;
			fclose(f);
		}
		if (dfl > 0)
			return 0;
	}
	snprintf(buf, sizeof(buf), "%d", MEDIAPOLL_MSECS);
	r = udev_device_set_sysattr_value(d, "events_poll_msecs", buf);
	if (r == -ENODEV || r == -EINVAL)
		return 0; /* the driver cannot poll: nothing to do */
	return r < 0 ? r : 1;
}
