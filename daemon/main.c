/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad: open, loop, close. Start-up order matters: the monitor listens
 * before coldplug enumerates, so no device can slip between the two; the
 * readiness signal goes out only once coldplug has published. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libudev.h>

#include "child.h"
#include "coldplug.h"
#include "events.h"
#include "log.h"
#include "mediad.h"
#include "monitor.h"
#include "mountreport.h"
#include "notify.h"
#include "setup.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

/* The parts that need no loop yet: state directories, the mount table,
 * the device watch and the monitor. Returns 0, or 1 (logged). */
static int open_parts(struct mediad *md)
{
	char err[CONFIG_ERR_BUF];
	int r;

	media_init(&md->media);
	hooks_init(&md->hooks, &md->cfg); /* coldplug's add events queue up */
	md->control.fd = -1;
	md->report_fd = -1;
	if (publish_open(&md->pub, &md->cfg, err) < 0) {
		log_err("%s", err);
		return 1;
	}
	if ((r = mounts_open(&md->mounts, md->cfg.media_dir)) < 0) {
		log_err("cannot watch mounts: %s", strerror(-r));
		return 1;
	}
	md->source = monitor_pick_source(md->cfg.source);
	/* both sources: udevd's own watch misses writes made while one of
	 * its workers handles another event for the device */
	md->watch.fd = -1;
	if ((r = devwatch_open(&md->watch)) < 0)
		log_warn("cannot watch device nodes (relabels will go unseen): %s",
			 strerror(-r));
	md->udev = udev_new();
	if (!md->udev || !(md->mon = monitor_open(md->udev, md->source, md->rcvbuf))) {
		log_err("cannot open the %s monitor: %m", config_source_name(md->source));
		return 1;
	}
	return 0;
}

static void tell_ready(int ready_fd)
{
	int r;

	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) != 1)
			log_warn("cannot report readiness: %m");
		close(ready_fd);
	}
	if ((r = notify_send("READY=1")) < 0) /* Type=notify: after coldplug */
		log_warn("cannot tell the service manager we are ready: %s", strerror(-r));
}

static void close_parts(struct mediad *md)
{
	notify_send("STOPPING=1");
	control_close(&md->control);
	setup_stop(md);
	mountreport_stop(md);
	hooks_stop(&md->hooks);
	dirty_stop(md);
	events_stop(md); /* withdraws everything */
	child_stop_all(md->loop);
	log_info("stopped after %lu events, %lu rescans", md->events, md->rescans);
	media_free(&md->media);
	mounts_close(&md->mounts);
	devwatch_close(&md->watch);
	publish_close(&md->pub);
	udev_monitor_unref(md->mon);
	udev_unref(md->udev);
	ev_loop_destroy(md->loop);
}

int main(int argc, char **argv)
{
	static struct mediad md; /* large (records); not on the stack */
	int r, ready_fd;

	if ((r = setup_args(&md, argc, argv)) >= 0)
		return r;
	if ((ready_fd = setup_detach(&md)) == -2)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (open_parts(&md))
		return 1;
	log_info("mediad %s starting: source %s, state %s, media %s", VERSION,
		 config_source_name(md.source), md.cfg.state_dir, md.cfg.media_dir);

	md.loop = ev_default_loop(EVFLAG_AUTO);
	dirty_init(&md);
	events_init(&md);
	if ((r = mountreport_start(&md)) < 0)
		log_warn("cannot watch mount reports (why a medium is mounted as it is "
			 "will not reach the records): %s", strerror(-r));
	if ((r = coldplug_run(&md)) < 0) {
		log_err("cannot enumerate block devices: %s", strerror(-r));
		return 1;
	}
	events_start(&md);
	setup_start(&md);
	if ((r = control_open(&md.control, &md, md.loop)) < 0)
		log_err("cannot open the control socket in %s: %s (unmount and eject "
			"need root and no daemon)", md.cfg.state_dir, strerror(-r));
	hooks_start(&md.hooks, md.loop);
	dirty_schedule(&md); /* media mounted before we started */
	tell_ready(ready_fd);

	ev_run(md.loop, 0);

	close_parts(&md);
	return 0;
}
