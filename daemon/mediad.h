/* The daemon's state, shared by the event handlers and main(). One
 * instance, passed explicitly; no hidden globals. */
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
#include "publish.h"
#include "watch.h"

struct udev;
struct udev_device;
struct udev_monitor;

struct mediad {
	struct config cfg;
	const char *config_path;
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
	struct probe_job *probes;  /* daemon/probejob.c: running and queued */
	struct watch watch;       /* close-after-write on device nodes */
	unsigned long events;     /* uevents handled, for the log */
	unsigned long rescans;
	bool coldplug;            /* names of unknown media wait (events.c) */
	/* control socket, hooks, config-file watch (issue 4) */
	struct control control;
	struct hooks hooks;
	ev_stat config_stat;
	struct dirty dirty;       /* safe-to-remove poll (daemon/dirty.c) */
	struct flush_job *flushes; /* daemon/idleflush.c: running */
	unsigned flush_serial_next;
};

/* A probe child answered (or timed out: retry says whether this was the
 * retry already). Publishes the outcome. */
struct devinfo;
void events_probe_done(struct mediad *md, struct devinfo *info, bool timed_out, bool retry);

/* Handles one device event: action is "add", "change", "remove", ... */
void events_handle(struct mediad *md, struct udev_device *d, const char *action);

/* Coldplug and re-enumeration after lost events: makes the published
 * state equal to the devices present. */
int events_rescan(struct mediad *md);

/* The end of coldplug, once every probe has answered and the hints are
 * dropped: names and publishes the media that had no name from before. */
void events_name_waiting(struct mediad *md);

/* Re-reads mount state into the records (libmount monitor fired). */
void events_mounts_changed(struct mediad *md);

/* A device node was closed after writing (kernel source). */
void events_device_written(dev_t devnum, void *md);

/* Withdraws everything (clean stop). */
void events_stop(struct mediad *md);

#endif
