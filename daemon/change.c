/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing, logging and hooks for one medium's changes (see change.h).
 * Must never detach a mount outside <media_dir>/auto, nor one it has not
 * proved to be the medium's: a path is only a name that anyone who can
 * rename its parent can point elsewhere. */
#include "change.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirty.h"
#include "log.h"
#include "mediad.h"

bool change_announced(const struct medium *e)
{
	return !e->offered || e->rec.name[0];
}

static void publish(struct mediad *md, struct medium *e)
{
	int r = publish_write(&md->pub, e);

	if (r < 0)
		log_err("%s (%s): cannot publish: %s", e->offered ? e->rec.name : e->rec.kname,
			e->rec.devname, strerror(-r));
}

void change_announce(struct mediad *md, struct medium *e)
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

static bool report_changed(const struct record *a, const struct record *b)
{
	return strcmp(a->mounted_type, b->mounted_type) ||
	       strcmp(a->mounted_options, b->mounted_options) ||
	       strcmp(a->mount_note, b->mount_note) || strcmp(a->mount_error, b->mount_error);
}

static void log_report(const struct record *r)
{
	if (r->mount_error[0])
		log_warn("%s (%s): cannot be mounted: %s", r->name, r->kname, r->mount_error);
	else if (r->mount_note[0])
		log_notice("%s (%s): mounted as %s %s: %s", r->name, r->kname, r->mounted_type,
			   r->mounted_options, r->mount_note);
	else
		log_debug("%s (%s): mounted as %s %s", r->name, r->kname, r->mounted_type,
			  r->mounted_options);
}

void change_commit(struct mediad *md, struct medium *e, const struct record *before)
{
	const struct record *r = &e->rec;
	bool moved = strcmp(before->mountpoint, r->mountpoint) != 0;
	bool safe_changed = before->safe != r->safe;

	if (!memcmp(before, r, sizeof(*r)))
		return;
	if (!change_announced(e))
		return; /* named, and so published, at the end of coldplug */
	if (moved) {
		log_info("%s (%s) %s%s", r->name, r->devname,
			 *r->mountpoint ? "mounted on " : "unmounted", r->mountpoint);
		if (!*r->mountpoint && e->offered)
			hooks_emit(&md->hooks, "unmount", before); /* with the old path */
	} else if (safe_changed) {
		log_info("%s (%s) %s (%s)", r->name, r->devname,
			 r->safe ? "clean: safe to remove"
				 : "has data waiting to be written: not safe to remove",
			 r->dirty_source[0] ? r->dirty_source : "not mounted read-write");
	}
	if (report_changed(before, r))
		log_report(r);
	publish(md, e);
	if (!e->offered)
		return;
	if (moved && *r->mountpoint) {
		hooks_emit(&md->hooks, "mount", r);
		if (!r->safe)
			hooks_emit(&md->hooks, "dirty", r);
	} else if (!moved && safe_changed) {
		hooks_emit(&md->hooks, r->safe ? "clean" : "dirty", r);
	}
}

/* Detaches what automount mounted for e under <media_dir>/auto, now that
 * its device is gone, so that nothing blocks on it; whatever was not yet
 * written is lost. The mount point is opened without following a link,
 * proved to be the very mount the table lists for the device (mount ID),
 * and detached through that descriptor: a name swapped meanwhile can
 * never make root detach something else. */
static void detach_gone(struct mediad *md, struct medium *e)
{
	struct mount_found f;
	struct statx stx;
	char fdpath[64];
	int fd;

	mounts_find(&md->mounts, e->devnum, e->rec.kname, e->rec.uuid, &f);
	if (!f.ours)
		return; /* nothing of ours; a system mount is the system's */
	log_warn("%s (%s) removed while mounted on %s: detaching; unwritten data may be lost",
		 e->rec.name, e->rec.devname, f.ours);
	/* O_PATH without O_DIRECTORY: looks, never triggers automount */
	fd = open(f.ours, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_err("%s: cannot open %s to detach it: %m", e->rec.name, f.ours);
		return;
	}
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != (uint64_t)f.ours_id) {
		log_err("%s: %s is not the mount the table lists for %s: left alone",
			e->rec.name, f.ours, e->rec.devname);
		close(fd);
		return;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (umount2(fdpath, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_err("%s: lazy unmount of %s failed: %m", e->rec.name, f.ours);
	close(fd);
}

void change_forget(struct mediad *md, struct medium *e, bool gone)
{
	if (!change_announced(e)) {
		devwatch_remove(&md->watch, e->devnum);
		media_remove(&md->media, e);
		return;
	}
	if (e->offered && gone)
		detach_gone(md, e);
	if (e->offered)
		hooks_emit(&md->hooks, "remove", &e->rec);
	publish_withdraw(&md->pub, e);
	devwatch_remove(&md->watch, e->devnum);
	if (e->offered)
		log_info("%s (%s) withdrawn", e->rec.name, e->rec.devname);
	media_remove(&md->media, e);
}
