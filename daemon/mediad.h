/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state: one instance, made by main() and passed explicitly
 * to the parts that tie the subsystems together (events, change, coldplug,
 * setup, dirty, control). The subsystems below it (child, probejob,
 * idleflush, hooks, mounts, publish, watch) never see it: they get what
 * they need and report through callbacks. */
#ifndef MEDIAD_MEDIAD_H
#define MEDIAD_MEDIAD_H

#include <stdbool.h>
#include <ev.h>

#include "config.h"
#include "control.h"
#include "dirty.h"
#include "hooks.h"
#include "media.h"
#include "mounts.h"
#include "options.h"
#include "probejob.h"
#include "publish.h"
#include "setup.h"
#include "devwatch.h"

struct udev;
struct udev_device;
struct udev_monitor;

struct mediad {
	struct config cfg;
	struct ids ids;           /* cfg's names, resolved (setup.c) */
	const char *config_path;
	bool foreground;
	struct opts_policy opts;
	enum source source;       /* resolved: udev or kernel */
	int rcvbuf;
	struct udev *udev;
	struct udev_monitor *mon;
	struct ev_loop *loop;
	ev_io mon_io, mounts_io, watch_io, report_io;
	int report_fd;            /* daemon/mountreport.c: inotify, or -1 */
	ev_signal sig_term, sig_int, sig_hup;
	struct media media;
	struct publisher pub;
	struct mounts mounts;
	struct probejobs probes;  /* daemon/probejob.c: running and queued */
	struct devwatch watch;       /* close-after-write on device nodes */
	unsigned long events;     /* uevents handled, for the log */
	unsigned long rescans;
	bool coldplug;            /* set by coldplug.c: names of unknown media wait */
	/* control socket, hooks, config-file watch (issue 4) */
	struct control control;
	struct hooks hooks;
	ev_stat config_stat;
	struct reload *reloading; /* setup.c: waiting for its name lookup */
	struct child *reloading_child;
	struct dirty dirty;       /* safe-to-remove poll (daemon/dirty.c) */
	unsigned flush_serial_next;
};

#endif
