/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plugtime: plug-to-visible on loop devices, for tests/bench.
 *
 *   plugtime link   IMAGE DIR LABEL N   until DIR/LABEL exists (inotify)
 *   plugtime events IMAGE DIR LABEL N   the same attach timed three ways:
 *                                       the kernel's uevent, udevd's
 *                                       processed event (ID_FS_LABEL ==
 *                                       LABEL) and DIR/LABEL; one line a
 *                                       cycle: "LINK UDEVD KERNEL" (us)
 *   (link, events: an optional PAUSE_MS after each cycle: a daemon idle
 *   for that long between plugs, as a user's plugs are)
 *   plugtime udisks IMAGE -   LABEL N   until udisksd's Block object of the
 *                                       device shows IdLabel == LABEL
 *   plugtime udisks-wait DEV=LABEL...   waits (no attach) until udisksd
 *                                       shows every LABEL on its DEV
 *   plugtime udisks-wait DEV=...        (empty label) until udisksd shows
 *                                       DEV as mounted nowhere
 *
 * Each cycle attaches IMAGE to a free loop device (LOOP_CONFIGURE with
 * autoclear, so a killed plugtime leaves no device bound), takes the time
 * from the return of the attach, waits, detaches and waits for the name to
 * go. One line per cycle: microseconds. Never polls on a timer: it sleeps
 * in poll() on inotify or on the D-Bus socket. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <libudev.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_US 20e6

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ---- the link side: inotify on DIR ---- */

static int link_wait(int in, const char *dir, const char *name, int want)
{
	char path[4096], buf[4096] __attribute__((aligned(8)));
	double end = now_us() + TIMEOUT_US;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		struct stat st;
		int present = lstat(path, &st) == 0 || errno != ENOENT;

		if (present == want)
			return 0;
		if (now_us() > end)
			return -ETIMEDOUT;
		/* the timeout only bounds a missed wakeup; inotify wakes us */
		if (poll(&p, 1, 100) > 0 && read(in, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			return -errno;
	}
}

/* ---- the events side: the kernel's and udevd's netlink, and the link ---- */

static struct udev_monitor *mon_kernel, *mon_udev;

static int events_open(void)
{
	struct udev *u = udev_new();

	if (!u)
		return -1;
	mon_kernel = udev_monitor_new_from_netlink(u, "kernel");
	mon_udev = udev_monitor_new_from_netlink(u, "udev");
	if (!mon_kernel || !mon_udev ||
	    udev_monitor_filter_add_match_subsystem_devtype(mon_kernel, "block", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(mon_udev, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon_kernel) < 0 ||
	    udev_monitor_enable_receiving(mon_udev) < 0)
		return -1;
	udev_monitor_set_receive_buffer_size(mon_kernel, 8 << 20);
	udev_monitor_set_receive_buffer_size(mon_udev, 8 << 20);
	return 0;
}

/* Drains mon; returns 1 when an event for kname arrived (with udev: one
 * that carries label as ID_FS_LABEL, i.e. udevd has probed it). */
static int events_seen(struct udev_monitor *mon, const char *kname, const char *label)
{
	struct udev_device *d;
	int seen = 0;

	while ((d = udev_monitor_receive_device(mon))) {
		const char *sys = udev_device_get_sysname(d);
		const char *act = udev_device_get_action(d);

		if (sys && !strcmp(sys, kname) && act && strcmp(act, "remove")) {
			const char *l = udev_device_get_property_value(d, "ID_FS_LABEL");

			if (!label || (l && !strcmp(l, label)))
				seen = 1;
		}
		udev_device_unref(d);
	}
	return seen;
}

/* Times the three from t0; each in *us (-1: not seen within the time). */
static int events_wait(int in, const char *dir, const char *kname, const char *label,
		       double t0, double us[3])
{
	char path[4096], buf[4096] __attribute__((aligned(8)));
	double end = now_us() + TIMEOUT_US;
	struct pollfd p[3] = {
		{ .fd = in, .events = POLLIN },
		{ .fd = udev_monitor_get_fd(mon_udev), .events = POLLIN },
		{ .fd = udev_monitor_get_fd(mon_kernel), .events = POLLIN },
	};

	snprintf(path, sizeof(path), "%s/%s", dir, label);
	us[0] = us[1] = us[2] = -1;
	for (;;) {
		struct stat st;

		if (us[0] < 0 && lstat(path, &st) == 0)
			us[0] = now_us() - t0;
		if (us[1] < 0 && events_seen(mon_udev, kname, label))
			us[1] = now_us() - t0;
		if (us[2] < 0 && events_seen(mon_kernel, kname, NULL))
			us[2] = now_us() - t0;
		if (us[0] >= 0 && us[1] >= 0 && us[2] >= 0)
			return 0;
		if (now_us() > end)
			return -ETIMEDOUT;
		if (poll(p, 3, 100) > 0 && (p[0].revents & POLLIN) &&
		    read(in, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			return -errno;
	}
}

/* ---- the udisks side: sd-bus on $DBUS_SYSTEM_BUS_ADDRESS ---- */

static sd_bus *bus;

/* 1 when udisksd shows kname mounted nowhere (MountPoints empty) */
static int udisks_unmounted(const char *path)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_get_property(bus, "org.freedesktop.UDisks2", path,
				"org.freedesktop.UDisks2.Filesystem", "MountPoints", &e, &m, "aay");
	sd_bus_error_free(&e);
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "ay");
	if (r >= 0)
		r = sd_bus_message_at_end(m, 0);
	sd_bus_message_unref(m);
	return r > 0;
}

/* 1 when udisksd's object for kname shows label, 0 when not (or absent);
 * an empty label asks for "mounted nowhere" instead */
static int udisks_has(const char *kname, const char *label)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char path[256], *v = NULL;
	int r;

	snprintf(path, sizeof(path), "/org/freedesktop/UDisks2/block_devices/%s", kname);
	if (!*label)
		return udisks_unmounted(path);
	r = sd_bus_get_property_string(bus, "org.freedesktop.UDisks2", path,
				       "org.freedesktop.UDisks2.Block", "IdLabel", &e, &v);
	sd_bus_error_free(&e);
	if (r < 0)
		return 0;
	r = strcmp(v, label) == 0;
	free(v);
	return r;
}

/* Waits until every kname shows (want) or does not show its label. Wakes
 * on any signal udisksd sends (InterfacesAdded, PropertiesChanged), then
 * asks again: what a client sees. */
static int udisks_wait(char **knames, char **labels, int n, int want)
{
	double end = now_us() + TIMEOUT_US;

	for (;;) {
		int r, all = 1;

		for (int i = 0; i < n && all; i++)
			if (udisks_has(knames[i], labels[i]) != want)
				all = 0;
		if (all)
			return 0;
		if (now_us() > end)
			return -ETIMEDOUT;
		do {
			r = sd_bus_process(bus, NULL);
			if (r < 0)
				return r;
		} while (r > 0);
		r = sd_bus_wait(bus, 100000);
		if (r < 0 && r != -EINTR)
			return r;
	}
}

static int udisks_open(void)
{
	int r = sd_bus_open_system(&bus);

	if (r >= 0)
		r = sd_bus_add_match(bus, NULL,
				     "type='signal',sender='org.freedesktop.UDisks2'", NULL, NULL);
	if (r < 0)
		fprintf(stderr, "plugtime: D-Bus: %s\n", strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	struct loop_config cfg;
	const char *mode = argc > 1 ? argv[1] : "";
	int ctl, in = -1, n, udisks, events;

	if (!strcmp(mode, "udisks-wait")) {
		int m = argc - 2;
		char **k = calloc((size_t)m + 1, sizeof(*k)), **l = calloc((size_t)m + 1, sizeof(*l));

		for (int i = 0; i < m; i++) {
			char *eq = strchr(argv[i + 2], '=');

			if (!eq)
				return 2;
			*eq = '\0';
			k[i] = strncmp(argv[i + 2], "/dev/", 5) ? argv[i + 2] : argv[i + 2] + 5;
			l[i] = eq + 1;
		}
		if (udisks_open() < 0)
			return 1;
		if (udisks_wait(k, l, m, 1) < 0) {
			fprintf(stderr, "plugtime: udisksd did not show every label\n");
			return 1;
		}
		return 0;
	}
	if (argc < 6 || argc > 7 ||
	    (strcmp(mode, "link") && strcmp(mode, "udisks") && strcmp(mode, "events"))) {
		fprintf(stderr, "usage: plugtime link|events|udisks IMAGE DIR LABEL CYCLES [PAUSE_MS]\n"
				"       plugtime udisks-wait DEV=LABEL...\n");
		return 2;
	}
	udisks = !strcmp(mode, "udisks");
	events = !strcmp(mode, "events");
	n = atoi(argv[5]);
	if (events && events_open() < 0) {
		fprintf(stderr, "plugtime: cannot open the netlink monitors\n");
		return 1;
	}
	if (udisks) {
		if (udisks_open() < 0)
			return 1;
	} else {
		in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (in < 0 || inotify_add_watch(in, argv[3], IN_CREATE | IN_MOVED_TO | IN_DELETE |
							  IN_MOVED_FROM) < 0) {
			perror("plugtime: inotify");
			return 1;
		}
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("plugtime: /dev/loop-control");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char dev[64], *kname = dev + 5, *label = argv[4];
		int num = ioctl(ctl, LOOP_CTL_GET_FREE);
		int img = open(argv[2], O_RDWR | O_CLOEXEC), lfd, r;
		double t0, t1;

		snprintf(dev, sizeof(dev), "/dev/loop%d", num);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (num < 0 || img < 0 || lfd < 0) {
			perror("plugtime: loop");
			return 1;
		}
		if (events) { /* what the last detach sent is not this attach's */
			events_seen(mon_udev, "", NULL);
			events_seen(mon_kernel, "", NULL);
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)img;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
			if (errno == EBUSY) { /* another process took it first */
				close(lfd);
				close(img);
				i--;
				continue;
			}
			perror("plugtime: LOOP_CONFIGURE");
			return 1;
		}
		t0 = now_us(); /* from the return of the attach, as losetup sees it */
		if (events) {
			double us[3];

			r = events_wait(in, argv[3], kname, label, t0, us);
			if (r < 0) {
				fprintf(stderr, "plugtime: %s on %s: link %s, udevd %s, kernel %s\n",
					label, dev, us[0] < 0 ? "missing" : "seen",
					us[1] < 0 ? "missing" : "seen", us[2] < 0 ? "missing" : "seen");
				return 1;
			}
			printf("%.0f %.0f %.0f\n", us[0], us[1], us[2]);
		} else {
			r = udisks ? udisks_wait(&kname, &label, 1, 1) : link_wait(in, argv[3], label, 1);
			t1 = now_us();
			if (r < 0) {
				fprintf(stderr, "plugtime: %s did not appear on %s\n", label, dev);
				return 1;
			}
			printf("%.0f\n", t1 - t0);
		}
		fflush(stdout);
		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
		close(img);
		r = udisks ? udisks_wait(&kname, &label, 1, 0) : link_wait(in, argv[3], label, 0);
		if (r < 0) {
			fprintf(stderr, "plugtime: %s did not go away\n", label);
			return 1;
		}
		if (argc == 7)
			usleep((useconds_t)atoi(argv[6]) * 1000);
	}
	return 0;
}
