/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor: the memory floor of mediad, for tests/bench. A process that links
 * what mediad links (libudev, libblkid, libmount, libev), opens the same
 * monitors (udev or kernel netlink, libmount's) and waits in the same
 * loop, doing nothing else; the bench reads its RSS beside mediad's.
 * Prints "ready" once everything is open; exits on SIGTERM. Never
 * touches a device.
 *
 *   floor udev|kernel */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <blkid.h>
#include <ev.h>
#include <libmount.h>
#include <libudev.h>

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	struct udev *u = udev_new();
	struct udev_monitor *mon;
	struct libmnt_monitor *mm = mnt_new_monitor();
	blkid_probe pr = blkid_new_probe();
	ev_io io_mon, io_mnt;
	ev_signal sig;

	if (argc != 2 || !u || !mm || !pr)
		return 2;
	mon = udev_monitor_new_from_netlink(u, strcmp(argv[1], "udev") ? "kernel" : "udev");
	if (!mon || udev_monitor_filter_add_match_subsystem_devtype(mon, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon) < 0 ||
	    mnt_monitor_enable_kernel(mm, 1) < 0 || mnt_monitor_enable_userspace(mm, 1, NULL) < 0 ||
	    mnt_monitor_get_fd(mm) < 0)
		return 1;
	ev_io_init(&io_mon, on_io, udev_monitor_get_fd(mon), EV_READ);
	ev_io_start(loop, &io_mon);
	ev_io_init(&io_mnt, on_io, mnt_monitor_get_fd(mm), EV_READ);
	ev_io_start(loop, &io_mnt);
	ev_signal_init(&sig, on_term, SIGTERM);
	ev_signal_start(loop, &sig);
	printf("ready\n");
	fflush(stdout);
	ev_run(loop, 0);
	blkid_free_probe(pr);
	mnt_unref_monitor(mm);
	udev_monitor_unref(mon);
	udev_unref(u);
	return 0;
}
