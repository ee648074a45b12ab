/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device events: add, change, remove and re-enumeration. Every handler
 * ends with the published state equal to what it learned about that one
 * device; handlers are idempotent, so a duplicate event is harmless. Never
 * publishes itself: daemon/change.c does, for every source of change.
 * Longer than 450 lines because the three event sources (device monitor,
 * mount table, device-write watch) share one handler and its helpers;
 * split further, each part would need the others' statics (the deferred
 * look-again, which needs none, is daemon/later.c). */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <libudev.h>

#include "change.h"
#include "crypt.h"
#include "device.h"
#include "log.h"
#include "mediad.h"
#include "mountreport.h"
#include "mediapoll.h"
#include "memtrim.h"
#include "optical.h"
#include "later.h"
#include "monitor.h"
#include "policy.h"
#include "probejob.h"

static void reprobe(struct mediad *md, dev_t devnum, struct udev_device *d);

/* The second half of an event, once the filesystem is known: classify,
 * name, publish. info->fs is filled in (by udev or by a probe). */
static void conclude(struct mediad *md, struct devinfo *info)
{
	dev_t devnum = info->devnum;
	struct medium *old = media_find(&md->media, devnum);
	struct record rec;
	struct mount_found f;
	enum verdict v;

	mounts_find(&md->mounts, devnum, info->kname, info->fs.uuid, &f);
	crypt_adjust(md, info); /* a cleartext is on its container's stick */
	v = policy_classify(info, &md->cfg, &md->opts, f.system, &rec);
	crypt_classify(md, info, &rec, &v);
	if (f.ours)
		snprintf(rec.mountpoint, sizeof(rec.mountpoint), "%s", f.ours);
	if (old && old->offered == (v == VERDICT_OFFERED) &&
	    media_same_identity(&old->rec, &rec)) {
		/* Same medium: keep its name; rewrite only what changed. */
		memcpy(rec.name, old->rec.name, sizeof(rec.name));
		/* and what mount.mediad reported of its mount */
		record_copy_mount_report(&rec, &old->rec);
		/* the poll's answer stands until the poll says otherwise */
		rec.safe = old->rec.safe;
		memcpy(rec.dirty_source, old->rec.dirty_source, sizeof(rec.dirty_source));
		{
			struct record before = old->rec;

			old->rec = rec;
			change_commit(md, old, &before);
			crypt_after(md, old);
		}
		return;
	}
	if (old)
		change_forget(md, old, false);
	if (v == VERDICT_OFFERED) {
		const char *mounted = f.ours ? mounts_auto_name(&md->mounts, f.ours) : NULL;

		if (md->coldplug) {
			/* an unknown medium waits for the end of coldplug */
			if (!media_pick_known_name(&md->media, &rec, mounted))
				rec.name[0] = '\0';
		} else {
			media_pick_name(&md->media, &rec, mounted);
		}
	}
	old = media_add(&md->media, devnum, v == VERDICT_OFFERED, &rec);
	if (!old) {
		log_err("%s: out of memory", info->devname);
		return;
	}
	devwatch_add(&md->watch, info->devname, devnum);
	if (change_announced(old))
		change_announce(md, old);
	else
		log_debug("%s: named once coldplug is complete", rec.devname);
	crypt_after(md, old);
}

static int by_devnum(const void *a, const void *b)
{
	const struct medium *x = *(const struct medium *const *)a;
	const struct medium *y = *(const struct medium *const *)b;

	return x->devnum < y->devnum ? -1 : x->devnum > y->devnum;
}

void events_name_waiting(struct mediad *md)
{
	struct media *m = &md->media;
	struct medium **wait = m->n ? calloc(m->n, sizeof(*wait)) : NULL;
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		if (!change_announced(m->v[i]) && wait)
			wait[n++] = m->v[i];
	/* device order, not probe order: the same sticks get the same names
	 * whichever probe answers first */
	if (n > 1)
		qsort(wait, n, sizeof(*wait), by_devnum);
	for (size_t i = 0; i < n; i++) {
		media_pick_name(m, &wait[i]->rec, NULL);
		change_announce(md, wait[i]);
		crypt_after(md, wait[i]);
	}
	if (!wait && m->n) {
		/* no memory for the sort: name them in table order */
		for (size_t i = 0; i < m->n; i++) {
			if (!change_announced(m->v[i])) {
				media_pick_name(m, &m->v[i]->rec, NULL);
				change_announce(md, m->v[i]);
			}
		}
	}
	free(wait);
}

static void probe_retry(struct mediad *md, dev_t devnum, struct udev_device *d)
{
	/* only if it is still the medium that timed out: another event since
	 * then has started its own probe */
	struct medium *e = media_find(&md->media, devnum);
	struct devinfo info;

	if (e && !e->offered && !strncmp(e->rec.reason, "probe timed out", 15) &&
	    device_read(d, md->source == SOURCE_UDEV, &info) == 1 &&
	    device_wanted(&info, &md->cfg)) {
		log_info("%s: probing again after a timeout", info.devname);
		probejob_start(&md->probes, &info, true);
	}
}

/* A probe child answered (or timed out: retry says whether this was the
 * retry already). */
static void on_probe_done(struct devinfo *info, bool timed_out, bool retry, void *arg)
{
	struct mediad *md = arg;

	if (timed_out) {
		snprintf(info->fs.error, sizeof(info->fs.error),
			 "probe timed out after %u s (the medium does not answer)%s",
			 md->cfg.probe_timeout, retry ? "" : "; trying once more");
		if (!retry)
			later_run(md, info->devnum, (double)md->cfg.probe_timeout, probe_retry);
	} else if (!info->fs.found && info->fs.error[0]) {
		log_debug("%s: %s", info->devname, info->fs.error);
	}
	conclude(md, info);
}

static void handle(struct mediad *md, struct udev_device *d, const char *action,
		   bool written);

void events_handle(struct mediad *md, struct udev_device *d, const char *action)
{
	/* a partition came or went: judge its disk again (policy.c). When
	 * it came, the disk first: the name the disk's own signature held
	 * (a hybrid ISO's label) is free again before the partition is
	 * named. When it went, the partition first, for the same reason. */
	struct udev_device *disk = device_parent_disk(d, action); /* borrowed */
	bool added = !strcmp(action, "add");

	if (disk && added)
		handle(md, disk, "change", false);
	handle(md, d, action, false);
	if (disk && !added)
		handle(md, disk, "change", false);
}

/* written: a program wrote to the device (our inotify watch). udevd's
 * own watch may have missed it (it drops the watch while a worker handles
 * another event for the device), so its database may hold the old
 * filesystem: probe ourselves. */
static void handle(struct mediad *md, struct udev_device *d, const char *action,
		   bool written)
{
	dev_t devnum = udev_device_get_devnum(d);
	struct medium *old = media_find(&md->media, devnum);
	struct devinfo info;
	struct mount_found f;

	md->events++;
	log_debug("event %s %s", action, udev_device_get_sysname(d));
	if (strcmp(action, "remove")) {
		/* before anything else: an empty drive (size 0) is exactly the
		 * one that needs polling to ever report a disc */
		int p = mediapoll_enable(d);

		/* kernel source: the probe follows; a worker forked now is
		 * ready by the time the device's facts are read */
		if (md->source == SOURCE_KERNEL)
			probejob_prewarm(&md->probes);

		if (p > 0)
			log_info("%s: media-change polling enabled (%d ms)",
				 udev_device_get_sysname(d), MEDIAPOLL_MSECS);
		else if (p < 0)
			log_warn("%s: cannot enable media-change polling: %s",
				 udev_device_get_sysname(d), strerror(-p));
	}
	if (!strcmp(action, "remove") ||
	    device_read(d, md->source == SOURCE_UDEV, &info) == 0 ||
	    !device_wanted(&info, &md->cfg)) {
		probejob_cancel(&md->probes, devnum);
		if (old) {
			log_debug("%s: gone (%s)", old->rec.devname,
				  !strcmp(action, "remove") ? "removed" : "no longer a candidate");
			crypt_gone(md, old); /* a container takes its cleartext along */
			change_forget(md, old, true);
		}
		return;
	}
	bool was_mounted = old && old->rec.mountpoint[0];

	if (old && (info.eject_request || (info.media_changed && was_mounted))) {
		log_debug("%s: %s", old->rec.devname,
			  info.eject_request ? "eject requested" : "another medium under a mount");
		/* A medium about to leave, or another one under a mount: what
		 * is mounted belongs to the one before. Detach it now. (An
		 * idle medium is not withdrawn: drives report a change more
		 * than once per disc, and the probe below tells whether the
		 * medium really is another one.) */
		change_forget(md, old, true);
		old = NULL;
	}
	if (info.eject_request) {
		/* Without udevd nobody else ejects. With it, udev's
		 * 60-cdrom_id.rules has run cdrom_id --eject-media before we
		 * hear of the event, and that ejects a mounted disc too (SCSI
		 * commands through SG_IO, which no mount refuses to root): a
		 * second eject from us opened the tray again on the disc the
		 * user had just put in, which then read as "medium not
		 * present" (seen in the QEMU suite). Never twice. */
		if (optical_is_drive(info.kname) && md->source == SOURCE_KERNEL) {
			int r = optical_eject_async(md->loop, info.devname);

			log_info("%s: eject requested: %s", info.devname,
				 r < 0 ? strerror(-r) : "ejecting");
		}
		return;
	}
	if (info.media_changed || written) {
		/* udev's answer may be the old medium's, read through the
		 * block cache, or from before the write: probe ourselves */
		info.udev_probed = false;
		memset(&info.fs, 0, sizeof(info.fs));
	}
	/* Mounted by the system: that says all; no need to read it. udev
	 * probed it already: no second probe. Otherwise a probe child reads
	 * it, off the loop, and conclude() runs when it answers. */
	mounts_find(&md->mounts, devnum, info.kname, info.fs.uuid, &f);
	if (!info.udev_probed && !f.system) {
		int r;

		md->probes.timeout = md->cfg.probe_timeout; /* reloads apply */
		r = probejob_start(&md->probes, &info, false);

		if (r == 0)
			return;
		snprintf(info.fs.error, sizeof(info.fs.error), "cannot start a probe: %s",
			 strerror(-r));
	}
	probejob_cancel(&md->probes, devnum);
	conclude(md, &info);
}

struct rescan_ctx {
	struct mediad *md;
	dev_t *seen;
	size_t n, cap;
};

static void rescan_one(struct udev_device *d, void *arg)
{
	struct rescan_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		dev_t *s = realloc(c->seen, cap * sizeof(*s));

		if (!s)
			return;
		c->seen = s;
		c->cap = cap;
	}
	c->seen[c->n++] = udev_device_get_devnum(d);
	/* not events_handle: the enumeration reaches every disk anyway */
	handle(c->md, d, "add", false);
}

int events_rescan(struct mediad *md)
{
	struct rescan_ctx c = { .md = md };
	int r;

	md->rescans++;
	r = monitor_enumerate(md->udev, md->source, rescan_one, &c);
	if (r < 0) {
		free(c.seen);
		return r;
	}
	/* Whatever we know of that the enumeration did not see is gone. */
	for (size_t i = 0; i < md->media.n;) {
		struct medium *e = md->media.v[i];
		bool found = false;

		for (size_t k = 0; k < c.n && !found; k++)
			found = c.seen[k] == e->devnum;
		if (found)
			i++;
		else
			change_forget(md, e, true); /* moves the last entry to i */
	}
	free(c.seen);
	return 0;
}

/* Re-reads mount state into the records (libmount's monitor fired). */
static void mounts_changed(struct mediad *md)
{
	if (!mounts_refresh(&md->mounts))
		return;
	for (size_t i = 0; i < md->media.n; i++) {
		struct medium *e = md->media.v[i];
		struct mount_found f;
		struct record before;
		const char *now;

		mounts_find(&md->mounts, e->devnum, e->rec.kname, e->rec.uuid, &f);
		if (!e->offered) {
			/* listed only because the system had it mounted: once
			 * that mount is gone it may be offered again. Judged
			 * anew through the event path once this change is
			 * applied to every medium (an event may reorder
			 * md->media), as the write watch does. */
			if (!strncmp(e->rec.reason, "mounted by the system", 21) && !f.system)
				later_run(md, e->devnum, 0., reprobe);
			continue;
		}
		now = f.ours ? f.ours : f.system ? f.system : "";
		if (!strcmp(now, e->rec.mountpoint))
			continue;
		before = e->rec;
		snprintf(e->rec.mountpoint, sizeof(e->rec.mountpoint), "%s", now);
		dirty_assess(md, e, *now && !before.mountpoint[0]);
		change_commit(md, e, &before);
	}
	/* a remount (read-only to read-write) changes no mount point */
	dirty_schedule(md);
}

/* A device node was closed after writing (our inotify watch), or a
 * system mount that kept a device from being offered went away: its
 * content may be another, so it is probed again. */
static void reprobe(struct mediad *md, dev_t devnum, struct udev_device *d)
{
	(void)devnum;
	log_debug("%s written to: re-probing", udev_device_get_devnode(d));
	if (md->source == SOURCE_UDEV) {
		/* Let udevd probe it again, as its own watch would have: a
		 * synthetic change uevent is queued behind whatever udevd
		 * still has in flight for the device, so no older answer of
		 * udevd's can arrive after ours and undo it. */
		if (udev_device_set_sysattr_value(d, "uevent", (char *)"change") < 0)
			handle(md, d, "change", true);
	} else {
		handle(md, d, "change", true);
	}
}

static void device_written(dev_t devnum, void *arg)
{
	struct mediad *md = arg;
	struct udev_device *d = udev_device_new_from_devnum(md->udev, 'b', devnum);

	if (!d)
		return; /* gone: its remove event follows */
	reprobe(md, devnum, d);
	udev_device_unref(d);
}

static void on_monitor(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;
	struct udev_device *d;

	(void)loop;
	(void)revents;
	memtrim_note(); /* the heap is trimmed once the burst is over */
	for (;;) {
		const char *action;

		errno = 0;
		d = udev_monitor_receive_device(md->mon);
		if (!d)
			break;
		action = udev_device_get_action(d);
		events_handle(md, d, action ? action : "change");
		udev_device_unref(d);
	}
	if (errno == ENOBUFS) {
		/* The kernel dropped events: what we know may be wrong. */
		log_warn("netlink receive buffer overflowed: re-enumerating devices");
		events_rescan(md);
	}
}

static void on_mounts(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	mounts_changed(w->data);
}

static void on_watch(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;

	(void)loop;
	(void)revents;
	devwatch_dispatch(&md->watch, device_written, md);
}

void events_init(struct mediad *md)
{
	probejob_init(&md->probes, md->loop, on_probe_done, md);
	md->probes.timeout = md->cfg.probe_timeout;
	md->probes.lock_discs = md->source == SOURCE_KERNEL;
	memtrim_init(md->loop);
}

void events_start(struct mediad *md)
{
	ev_io_init(&md->mon_io, on_monitor, udev_monitor_get_fd(md->mon), EV_READ);
	md->mon_io.data = md;
	ev_io_start(md->loop, &md->mon_io);
	ev_io_init(&md->mounts_io, on_mounts, mounts_fd(&md->mounts), EV_READ);
	md->mounts_io.data = md;
	ev_io_start(md->loop, &md->mounts_io);
	if (md->watch.fd >= 0) {
		ev_io_init(&md->watch_io, on_watch, md->watch.fd, EV_READ);
		md->watch_io.data = md;
		ev_io_start(md->loop, &md->watch_io);
	}
}

void events_stop(struct mediad *md)
{
	ev_io_stop(md->loop, &md->mon_io);
	ev_io_stop(md->loop, &md->mounts_io);
	ev_io_stop(md->loop, &md->watch_io);
	probejob_stop_all(&md->probes);
	memtrim_stop();
	publish_stop(&md->pub, &md->media);
}
