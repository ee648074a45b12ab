/* Device events: add, change, remove and re-enumeration. Every handler
 * ends with the published state equal to what it learned about that one
 * device; handlers are idempotent, so a duplicate event is harmless. */
#include "mediad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <libudev.h>

#include "device.h"
#include "log.h"
#include "mediapoll.h"
#include "optical.h"
#include "monitor.h"
#include "policy.h"
#include "probejob.h"

/* An offered medium waiting in coldplug for its name (see
 * events_name_waiting) is not published yet: nothing to withdraw, no hook
 * to tell. */
static bool announced(const struct medium *e)
{
	return !e->offered || e->rec.name[0];
}

static void forget(struct mediad *md, struct medium *e, bool gone)
{
	if (!announced(e)) {
		watch_remove(&md->watch, e->devnum);
		media_remove(&md->media, e);
		return;
	}
	if (e->offered && gone && e->rec.mountpoint[0]) {
		/* The device is gone: detach the mount now so nothing blocks
		 * on it; whatever was not yet written is lost. */
		log_warn("%s (%s) removed while mounted on %s: detaching; unwritten data may be lost",
			 e->rec.name, e->rec.devname, e->rec.mountpoint);
		if (umount2(e->rec.mountpoint, MNT_DETACH) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			log_err("%s: lazy unmount of %s failed: %m", e->rec.name,
				e->rec.mountpoint);
	}
	if (e->offered)
		hooks_emit(&md->hooks, "remove", &e->rec);
	publish_withdraw(&md->pub, e);
	watch_remove(&md->watch, e->devnum);
	if (e->offered)
		log_info("%s (%s) withdrawn", e->rec.name, e->rec.devname);
	media_remove(&md->media, e);
}

static void publish(struct mediad *md, struct medium *e)
{
	int r = publish_write(&md->pub, e);

	if (r < 0)
		log_err("%s (%s): cannot publish: %s", e->offered ? e->rec.name : e->rec.kname,
			e->rec.devname, strerror(-r));
}

/* A new entry, named: published, logged, and told to the hooks. */
static void announce(struct mediad *md, struct medium *e)
{
	/* not fresh: mounted before we knew it, it may hold dirty data */
	dirty_assess(md, e, false);
	publish(md, e);
	if (e->offered) {
		log_info("%s (%s, %s) published", e->rec.name, e->rec.devname, e->rec.fstype);
		hooks_emit(&md->hooks, "add", &e->rec);
		dirty_schedule(md);
	} else {
		log_info("%s ignored: %s", e->rec.devname, e->rec.reason);
	}
}

/* The second half of an event, once the filesystem is known: classify,
 * name, publish. info->fs is filled in (by udev or by a probe). */
static void conclude(struct mediad *md, struct devinfo *info)
{
	dev_t devnum = info->devnum;
	struct medium *old = media_find(&md->media, devnum);
	struct record rec;
	const char *ours, *system;
	enum verdict v;

	mounts_find(&md->mounts, devnum, info->devname, &ours, &system);
	v = policy_classify(info, &md->cfg, &md->opts, system, &rec);
	if (v == VERDICT_SKIP) {
		if (old)
			forget(md, old, true);
		return;
	}
	if (ours)
		snprintf(rec.mountpoint, sizeof(rec.mountpoint), "%s", ours);
	if (old && old->offered == (v == VERDICT_OFFERED) &&
	    media_same_identity(&old->rec, &rec)) {
		/* Same medium: keep its name; rewrite only what changed. */
		memcpy(rec.name, old->rec.name, sizeof(rec.name));
		/* and what mount.mediad reported of its mount */
		memcpy(rec.mounted_type, old->rec.mounted_type, sizeof(rec.mounted_type));
		memcpy(rec.mounted_options, old->rec.mounted_options, sizeof(rec.mounted_options));
		memcpy(rec.mount_note, old->rec.mount_note, sizeof(rec.mount_note));
		memcpy(rec.mount_error, old->rec.mount_error, sizeof(rec.mount_error));
		/* the poll's answer stands until the poll says otherwise */
		rec.safe = old->rec.safe;
		memcpy(rec.dirty_source, old->rec.dirty_source, sizeof(rec.dirty_source));
		if (memcmp(&rec, &old->rec, sizeof(rec))) {
			old->rec = rec;
			if (announced(old))
				publish(md, old);
		}
		return;
	}
	if (old)
		forget(md, old, false);
	if (v == VERDICT_OFFERED) {
		const char *mounted = ours ? mounts_auto_name(&md->mounts, ours) : NULL;

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
	watch_add(&md->watch, info->devname, devnum);
	if (announced(old))
		announce(md, old);
	else
		log_debug("%s: named once coldplug is complete", rec.devname);
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
		if (!announced(m->v[i]) && wait)
			wait[n++] = m->v[i];
	/* device order, not probe order: the same sticks get the same names
	 * whichever probe answers first */
	if (n > 1)
		qsort(wait, n, sizeof(*wait), by_devnum);
	for (size_t i = 0; i < n; i++) {
		media_pick_name(m, &wait[i]->rec, NULL);
		announce(md, wait[i]);
	}
	if (!wait && m->n) {
		/* no memory for the sort: name them in table order */
		for (size_t i = 0; i < m->n; i++) {
			if (!announced(m->v[i])) {
				media_pick_name(m, &m->v[i]->rec, NULL);
				announce(md, m->v[i]);
			}
		}
	}
	free(wait);
}

struct probe_retry {
	ev_timer timer;
	struct mediad *md;
	dev_t devnum;
};

static void on_probe_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe_retry *pr = w->data;
	struct udev_device *d = udev_device_new_from_devnum(pr->md->udev, 'b', pr->devnum);
	struct devinfo info;

	(void)loop;
	(void)revents;
	if (d) {
		/* only if it is still the medium that timed out: another event
		 * since then has started its own probe */
		struct medium *e = media_find(&pr->md->media, pr->devnum);

		if (e && !e->offered && !strncmp(e->rec.reason, "probe timed out", 15) &&
		    device_read(d, pr->md->source == SOURCE_UDEV, &info) == 1) {
			log_info("%s: probing again after a timeout", info.devname);
			probejob_start(pr->md, &info, true);
		}
		udev_device_unref(d);
	}
	free(pr);
}

void events_probe_done(struct mediad *md, struct devinfo *info, bool timed_out, bool retry)
{
	if (timed_out) {
		snprintf(info->fs.error, sizeof(info->fs.error),
			 "probe timed out after %u s (the medium does not answer)%s",
			 md->cfg.probe_timeout, retry ? "" : "; trying once more");
		if (!retry) {
			struct probe_retry *pr = calloc(1, sizeof(*pr));

			if (pr) {
				pr->md = md;
				pr->devnum = info->devnum;
				ev_timer_init(&pr->timer, on_probe_retry,
					      (double)md->cfg.probe_timeout, 0.);
				pr->timer.data = pr;
				ev_timer_start(md->loop, &pr->timer);
			}
		}
	} else if (!info->fs.found && info->fs.error[0]) {
		log_debug("%s: %s", info->devname, info->fs.error);
	}
	conclude(md, info);
}

static void handle(struct mediad *md, struct udev_device *d, const char *action,
		   bool written);

void events_handle(struct mediad *md, struct udev_device *d, const char *action)
{
	handle(md, d, action, false);
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
	const char *ours, *system;

	md->events++;
	log_debug("event %s %s", action, udev_device_get_sysname(d));
	if (strcmp(action, "remove")) {
		/* before anything else: an empty drive (size 0) is exactly the
		 * one that needs polling to ever report a disc */
		int p = mediapoll_enable(d);

		if (p > 0)
			log_info("%s: media-change polling enabled (%d ms)",
				 udev_device_get_sysname(d), MEDIAPOLL_MSECS);
		else if (p < 0)
			log_warn("%s: cannot enable media-change polling: %s",
				 udev_device_get_sysname(d), strerror(-p));
	}
	if (!strcmp(action, "remove") ||
	    device_read(d, md->source == SOURCE_UDEV, &info) == 0 ||
	    !device_wanted(&info, &md->cfg) || info.size == 0) {
		probejob_cancel(md, devnum);
		if (old)
			forget(md, old, true);
		return;
	}
	bool was_mounted = old && old->rec.mountpoint[0];

	if (old && (info.eject_request || (info.media_changed && was_mounted))) {
		/* A medium about to leave, or another one under a mount: what
		 * is mounted belongs to the one before. Detach it now. (An
		 * idle medium is not withdrawn: drives report a change more
		 * than once per disc, and the probe below tells whether the
		 * medium really is another one.) */
		forget(md, old, true);
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
			int r = optical_eject_async(info.devname);

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
	mounts_find(&md->mounts, devnum, info.devname, &ours, &system);
	if (!info.udev_probed && !system) {
		int r = probejob_start(md, &info, false);

		if (r == 0)
			return;
		snprintf(info.fs.error, sizeof(info.fs.error), "cannot start a probe: %s",
			 strerror(-r));
	}
	probejob_cancel(md, devnum);
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
	events_handle(c->md, d, "add");
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
			forget(md, e, true); /* moves the last entry to i */
	}
	free(c.seen);
	return 0;
}

void events_mounts_changed(struct mediad *md)
{
	dev_t again[64];
	size_t n_again = 0;

	if (!mounts_refresh(&md->mounts))
		return;
	for (size_t i = 0; i < md->media.n; i++) {
		struct medium *e = md->media.v[i];
		const char *ours, *system;
		const char *now;
		bool fresh;

		if (!e->offered) {
			/* listed only because the system had it mounted: once
			 * that mount is gone it may be offered again */
			if (!strncmp(e->rec.reason, "mounted by the system", 21) &&
			    n_again < sizeof(again) / sizeof(again[0])) {
				mounts_find(&md->mounts, e->devnum, e->rec.devname, &ours, &system);
				if (!system)
					again[n_again++] = e->devnum;
			}
			continue;
		}
		mounts_find(&md->mounts, e->devnum, e->rec.devname, &ours, &system);
		now = ours ? ours : system ? system : "";
		if (!strcmp(now, e->rec.mountpoint))
			continue;
		log_info("%s (%s) %s%s", e->rec.name, e->rec.devname,
			 *now ? "mounted on " : "unmounted", now);
		if (!*now)
			hooks_emit(&md->hooks, "unmount", &e->rec); /* with the old path */
		fresh = *now && !e->rec.mountpoint[0];
		snprintf(e->rec.mountpoint, sizeof(e->rec.mountpoint), "%s", now);
		dirty_assess(md, e, fresh);
		publish(md, e);
		if (*now)
			hooks_emit(&md->hooks, "mount", &e->rec);
		if (*now && !e->rec.safe)
			hooks_emit(&md->hooks, "dirty", &e->rec);
	}
	/* a remount (read-only to read-write) changes no mount point */
	dirty_schedule(md);
	/* after the loop: handling an event may reorder md->media */
	for (size_t i = 0; i < n_again; i++)
		events_device_written(again[i], md);
}

void events_device_written(dev_t devnum, void *arg)
{
	struct mediad *md = arg;
	struct udev_device *d = udev_device_new_from_devnum(md->udev, 'b', devnum);

	if (!d)
		return; /* gone: its remove event follows */
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
	udev_device_unref(d);
}

void events_stop(struct mediad *md)
{
	publish_stop(&md->pub, &md->media);
}
