/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-data polling: reads the counters, keeps each medium's answer in
 * its record; the decision itself is dirtydecide.c's (pure, unit-tested).
 * What the kernel gives per device, and what not
 * (measured on 6.18; the same on Debian 12's 6.1):
 *  - /sys/block/DISK/inflight: requests in flight, exact, always there;
 *  - debugfs bdi/MAJ:MIN/stats: per backing device (a partition shares its
 *    disk's): b_dirty, b_io, b_more_io (inodes with unwritten pages or
 *    inode data, exact) and BdiReclaimable/BdiWriteback (kB, per-cpu
 *    counters read without their per-cpu parts: off by up to a batch per
 *    CPU, 64 kB seen on an idle disk);
 *  - nothing per device in sysfs (/sys/class/bdi has no counters): without
 *    debugfs only /proc/meminfo's global Dirty and Writeback, which make a
 *    conservative answer (any dirty page anywhere keeps every mounted
 *    medium "not safe").
 * A journal commits what writeback allocated a few seconds after the
 * pages are clean, with nothing in these counters: a journalled medium the
 * kernel's writeback made clean is flushed once more (which commits the
 * journal), and called safe when that flush ends with it still clean;
 * staying clean for the journal's commit interval is only the fallback
 * where the flush fails, since a commit due by then can still come late
 * on a loaded machine (seen: dirty again 0.5 s after a 5 s wait on ext4).
 * A filesystem without a journal (FAT, exFAT) keeps its metadata in the
 * block device's own pages, which the counters see: clean for half a
 * second, it is safe before such a flush would be due.
 * After syncfs the block device's own inode stays listed, with clean
 * pages, until the kernel's next periodic writeback (up to 35 s): after
 * mediad's own flush (idleflush.c) such leftovers are not counted.
 * Never blocks: a poll reads a few small files from sysfs, debugfs and
 * procfs, which never wait for a device. Never mounts debugfs itself:
 * systemd mounts it by default; where it is absent the answer is the
 * global one, and says so (dirty_source=meminfo).
 * (Past 400 lines: the counter reading per source, bdi and meminfo, is
 * one concern with the poll that uses it.)
 */
#include "dirty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"
#include "dirtydecide.h"
#include "flush.h"
#include "idleflush.h"
#include "log.h"
#include "mediad.h"
#include "sysfile.h"

/* The value after "key" in a "key: value" file, or -1. */
static long long value_of(const char *buf, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == ':')
			return strtoll(l + klen + 1, NULL, 10);
	}
	return -1;
}

/* The whole disk of MAJ:MIN (a partition's parent), as "MAJ:MIN". */
static void disk_of(unsigned maj, unsigned min, char out[32])
{
	char path[80], buf[32];

	snprintf(out, 32, "%u:%u", maj, min);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", maj, min);
	if (access(path, F_OK) < 0)
		return;
	/* the kernel resolves the link before "..": the parent's dir */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", maj, min);
	if (sysfile_read(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(out, 32, "%s", buf);
	}
}

/* Adds bdi NAME's counters to *c; -errno when debugfs does not tell. */
static int bdi_read(const char *debugfs, const char *name, struct dirty_counters *c)
{
	char path[400], buf[1024] = "";
	long long wb, rec, b_dirty, b_io, b_more;

	if (snprintf(path, sizeof(path), "%s/bdi/%s/stats", debugfs, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (sysfile_read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	wb = value_of(buf, "BdiWriteback");
	rec = value_of(buf, "BdiReclaimable");
	b_dirty = value_of(buf, "b_dirty");
	b_io = value_of(buf, "b_io");
	b_more = value_of(buf, "b_more_io");
	if (wb < 0 || rec < 0 || b_dirty < 0 || b_io < 0 || b_more < 0)
		return -EPROTO;
	c->pages_kb += wb + rec;
	c->inodes += b_dirty + b_io + b_more;
	return 0;
}

/* The backing devices that hold a mount's dirty pages: the disk's own,
 * and the filesystem's where it has one (btrfs: linked from its sysfs
 * directory; FUSE block filesystems such as ntfs-3g: "MAJ:MIN-fuseblk"). */
static int bdis_read(const char *debugfs, const struct record *r, const char *fstype,
		     struct dirty_counters *c)
{
	char disk[32], name[300], path[300];
	int d;

	disk_of(r->devmajor, r->devminor, disk);
	if ((d = bdi_read(debugfs, disk, c)) < 0)
		return d;
	if (!strcmp(fstype, "btrfs")) {
		char link[300];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/fs/btrfs/%s/bdi", r->uuid);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			return -ENOENT;
		link[n] = '\0';
		snprintf(name, sizeof(name), "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	} else if (!strcmp(fstype, "fuseblk")) {
		snprintf(name, sizeof(name), "%u:%u-fuseblk", r->devmajor, r->devminor);
	} else {
		return 0;
	}
	return bdi_read(debugfs, name, c);
}

static void meminfo_read(struct dirty_counters *c)
{
	char buf[4096] = "";

	c->pages_kb = 1; /* cannot tell: not safe */
	if (sysfile_read("/proc/meminfo", buf, sizeof(buf)) > 0)
		c->pages_kb = value_of(buf, "Dirty") + value_of(buf, "Writeback");
}

static unsigned inflight_writes(const struct record *r)
{
	char disk[32], path[80], buf[64];
	unsigned rd, wr;

	disk_of(r->devmajor, r->devminor, disk);
	snprintf(path, sizeof(path), "/sys/dev/block/%s/inflight", disk);
	if (sysfile_read(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%u %u", &rd, &wr) == 2)
		return wr;
	return 0;
}

/* Reads the counters for e's mount (fstype as mounted); false when e is
 * not mounted read-write, so nothing can be waiting. */
static bool read_counters(struct mediad *md, struct medium *e, struct dirty_counters *c,
			  const char **fstype, unsigned *commit)
{
	bool rw = false;

	memset(c, 0, sizeof(*c));
	*fstype = "";
	*commit = 0;
	if (!e->rec.mountpoint[0] ||
	    !mounts_get(&md->mounts, e->rec.mountpoint, fstype, &rw, commit) || !rw)
		return false;
	c->per_device = strcmp(md->cfg.debugfs_dir, "none") &&
			bdis_read(md->cfg.debugfs_dir, &e->rec, *fstype, c) == 0;
	if (!c->per_device) {
		memset(c, 0, sizeof(*c));
		meminfo_read(c);
	}
	return true;
}

/* fresh: just mounted; flushed: mediad's own flush of e just ended. The
 * readings here, the decision in dirtydecide.c. */
static bool assess(struct mediad *md, struct medium *e, bool fresh, bool flushed)
{
	struct dirty_input in = {
		.ncpu = md->dirty.ncpu,
		.now = ev_now(md->loop),
		.fresh = fresh,
		.flushed = flushed,
		.flushing = e->flush_serial != 0,
	};
	struct dirty_verdict v;

	if (!e->offered)
		return false;
	in.mounted_rw = read_counters(md, e, &in.c, &in.fstype, &in.commit);
	if (in.mounted_rw) {
		in.writes = inflight_writes(&e->rec);
		in.written = flush_written(e->rec.devmajor, e->rec.devminor);
	}
	v = dirty_decide(&in, &e->dirty);
	idleflush_note(&e->flushw, &in, e->dirty.stale_inodes, e->rec.kname);
	e->rec.safe = v.safe;
	e->settling = v.settling;
	snprintf(e->rec.dirty_source, sizeof(e->rec.dirty_source), "%s", v.source);
	return v.needed;
}

bool dirty_assess(struct mediad *md, struct medium *e, bool fresh)
{
	return assess(md, e, fresh, false);
}

static bool update(struct mediad *md, struct medium *e, bool flushed)
{
	struct record before = e->rec;
	bool needed = assess(md, e, false, flushed);

	change_commit(md, e, &before);
	return needed;
}

bool dirty_update(struct mediad *md, struct medium *e)
{
	return update(md, e, false);
}

void dirty_flushed(struct mediad *md, struct medium *e)
{
	update(md, e, true);
	e->dirty.flushed_activity = e->dirty.activity;
}

/* mediad's own flush of a medium ended (idleflush.c). serial tells which
 * medium it was for: it may have left meanwhile. */
static void on_flushed(unsigned serial, enum idleflush_outcome o,
		       const struct flush_result *fr, void *arg)
{
	struct mediad *md = arg;
	struct medium *e = NULL;
	char what[64];

	for (size_t i = 0; i < md->media.n && !e; i++)
		if (md->media.v[i]->flush_serial == serial)
			e = md->media.v[i];
	if (!e)
		return; /* gone meanwhile */
	e->flush_serial = 0;
	flush_describe(fr, what, sizeof(what));
	if (o == IDLEFLUSH_FLUSHED && e->flush_settling) {
		log_info("%s (%s): written back by the kernel; synced to commit it: %s",
			 e->rec.name, e->rec.devname, what);
		dirty_flushed(md, e);
	} else if (o == IDLEFLUSH_FLUSHED) {
		log_info("%s (%s): flushed %s, after %u s without writes", e->rec.name,
			 e->rec.devname, what, md->cfg.flush_idle);
		dirty_flushed(md, e);
	} else {
		/* not again until something changes */
		e->dirty.flushed_activity = e->dirty.activity;
		log_notice("%s (%s): could not flush it (%s)", e->rec.name, e->rec.devname,
			   idleflush_strerror(o));
	}
}

/* A flush may wait for as long as a slow stick takes to write what is
 * dirty; past this it is not an idle flush any more (the kernel's own
 * writeback goes on regardless). */
#define FLUSH_DEADLINE_SECS 120.0

static void flush_start(struct mediad *md, struct medium *e, bool settling)
{
	struct idleflush_target t = {
		.devname = e->rec.devname,
		.mountpoint = e->rec.mountpoint,
		.fstype = "",
		.maj = e->rec.devmajor,
		.min = e->rec.devminor,
	};
	bool rw;
	unsigned commit;
	int r;

	if (++md->flush_serial_next == 0) /* 0 means "none running" */
		md->flush_serial_next = 1;
	mounts_get(&md->mounts, e->rec.mountpoint, &t.fstype, &rw, &commit);
	r = idleflush_start(md->loop, &t, md->flush_serial_next, FLUSH_DEADLINE_SECS,
			    on_flushed, md);
	if (r < 0) {
		log_err("%s (%s): cannot start a flush: %s", e->rec.name, e->rec.devname,
			strerror(-r));
		e->dirty.flushed_activity = e->dirty.activity;
		return;
	}
	e->flush_serial = md->flush_serial_next;
	e->flush_settling = settling;
	log_debug("%s (%s): flushing, %s", e->rec.name, e->rec.devname,
		  settling ? "written back by the kernel" : "its writer done");
}

/* A medium the kernel's writeback made clean is synced once it has been
 * quiet this long (flush_idle, whole seconds, is never shorter): the sync
 * then writes only what the journal still holds, and proves the medium
 * safe; the pause keeps a writer that syncs its own writes from being
 * followed by a flush at every poll. */
#define SETTLE_FLUSH_QUIET_SECS 1.0

/* Whether to flush e now: not safe, something written since mediad last
 * flushed it, and quiet: for flush_idle seconds while data waits (the
 * writer is done), or for SETTLE_FLUSH_QUIET_SECS once the kernel wrote it
 * (flush_idle = 0 leaves the data to the kernel, not the proof). */
static bool flush_due(const struct mediad *md, const struct medium *e, double now)
{
	double quiet;

	if (e->rec.safe || e->flush_serial || !e->flushw.news ||
	    e->dirty.activity == e->dirty.flushed_activity)
		return false;
	quiet = now - idleflush_quiet_since(&e->flushw, e->dirty.quiet_since);
	if (e->settling)
		return quiet >= SETTLE_FLUSH_QUIET_SECS;
	return md->cfg.flush_idle > 0 && quiet >= (double)md->cfg.flush_idle;
}

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mediad *md = w->data;
	bool needed = false;
	double now = ev_now(loop);

	(void)revents;
	for (size_t i = 0; i < md->media.n; i++) {
		struct medium *e = md->media.v[i];

		/* (no name yet: not published before coldplug names it) */
		if (!e->offered || !e->rec.mountpoint[0] || !e->rec.name[0])
			continue;
		needed |= dirty_update(md, e);
		if (flush_due(md, e, now))
			flush_start(md, e, e->settling);
	}
	if (!needed) {
		ev_timer_stop(loop, w);
		md->dirty.running = false;
		log_debug("dirty-data poll stopped: nothing mounted read-write");
	}
}

void dirty_init(struct mediad *md)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	md->dirty.ncpu = ncpu > 0 ? ncpu : 1;
	ev_timer_init(&md->dirty.timer, on_poll, DIRTY_POLL_SECS, DIRTY_POLL_SECS);
	md->dirty.timer.data = md;
	md->dirty.running = false;
}

void dirty_schedule(struct mediad *md)
{
	if (md->dirty.running || !md->loop)
		return;
	for (size_t i = 0; i < md->media.n; i++) {
		if (md->media.v[i]->offered && md->media.v[i]->rec.mountpoint[0]) {
			ev_timer_again(md->loop, &md->dirty.timer);
			md->dirty.running = true;
			log_debug("dirty-data poll started");
			return;
		}
	}
}

void dirty_stop(struct mediad *md)
{
	if (md->loop)
		ev_timer_stop(md->loop, &md->dirty.timer);
	md->dirty.running = false;
}
