/* Dirty-data polling. What the kernel gives per device, and what not
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
 * pages are clean, with nothing in these counters: a medium is called
 * safe only after it has stayed clean for the journal's commit interval.
 * After syncfs the block device's own inode stays listed, with clean
 * pages, until the kernel's next periodic writeback (up to 35 s): after
 * mediad's own flush (idleflush.c) such leftovers are not counted.
 * Never blocks: a poll reads a few small files from sysfs, debugfs and
 * procfs, which never wait for a device. Never mounts debugfs itself:
 * systemd mounts it by default; where it is absent the answer is the
 * global one, and says so (dirty_source=meminfo). */
#include "dirty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flush.h"
#include "idleflush.h"
#include "log.h"
#include "mediad.h"

/* b_dirty and friends are exact; the kB counters only count above what
 * per-cpu batching can hide (WB_STAT_BATCH pages per CPU, at most 8 *
 * (1 + log2(ncpu)); 32 pages per CPU covers 8 CPUs and is still small) */
#define BDI_SLACK_KB_PER_CPU 128

static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

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
	if (read_small(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(out, 32, "%s", buf);
	}
}

/* What the kernel says is still on its way to one medium's device. */
struct counters {
	long long pages_kb;   /* dirty + under writeback, kB */
	long long inodes;     /* on b_dirty, b_io, b_more_io (per device only) */
	bool per_device;      /* debugfs's bdi counters, else /proc/meminfo's */
};

/* Adds bdi NAME's counters to *c; -errno when debugfs does not tell. */
static int bdi_read(const char *debugfs, const char *name, struct counters *c)
{
	char path[400], buf[1024] = "";
	long long wb, rec, b_dirty, b_io, b_more;

	if (snprintf(path, sizeof(path), "%s/bdi/%s/stats", debugfs, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (read_small(path, buf, sizeof(buf)) <= 0)
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
		     struct counters *c)
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

static void meminfo_read(struct counters *c)
{
	char buf[4096] = "";

	c->pages_kb = 1; /* cannot tell: not safe */
	if (read_small("/proc/meminfo", buf, sizeof(buf)) > 0)
		c->pages_kb = value_of(buf, "Dirty") + value_of(buf, "Writeback");
}

static unsigned inflight_writes(const struct record *r)
{
	char disk[32], path[80], buf[64];
	unsigned rd, wr;

	disk_of(r->devmajor, r->devminor, disk);
	snprintf(path, sizeof(path), "/sys/dev/block/%s/inflight", disk);
	if (read_small(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%u %u", &rd, &wr) == 2)
		return wr;
	return 0;
}

/* Seconds a filesystem may keep metadata only in memory after its pages
 * are written: the journal's commit interval (ext3/4: 5 s, xfs's log
 * worker and btrfs's transaction: 30 s), or commit= where it is set. */
static double settle_secs(const char *fstype, unsigned commit, bool global)
{
	/* the global counters are folded from per-cpu parts once a second */
	double least = global ? 2.0 : 2 * DIRTY_POLL_SECS;
	double s = 0;

	if (!strcmp(fstype, "ext3") || !strcmp(fstype, "ext4"))
		s = commit ? commit : 5;
	else if (!strcmp(fstype, "btrfs"))
		s = commit ? commit : 30;
	else if (!strcmp(fstype, "xfs") || !strcmp(fstype, "f2fs"))
		s = 30;
	return s > least ? s : least;
}

/* Reads the counters for e's mount (fstype as mounted); false when e is
 * not mounted read-write, so nothing can be waiting. */
static bool read_counters(struct mediad *md, struct medium *e, struct counters *c,
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

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL; /* FNV-1a's prime, a word at a time */
}

/* fresh: just mounted; flushed: mediad's own flush of e just ended */
static bool assess(struct mediad *md, struct medium *e, bool fresh, bool flushed)
{
	struct record *r = &e->rec;
	struct counters c;
	const char *fstype;
	unsigned commit, writes;
	double now = ev_now(md->loop);
	long long bdi_slack;
	uint64_t activity;
	bool dirty;

	if (!e->offered)
		return false;
	if (!read_counters(md, e, &c, &fstype, &commit)) {
		/* nothing can be waiting to be written */
		r->safe = true;
		r->dirty_source[0] = '\0';
		e->clean_since = 0;
		e->synced = false;
		e->stale_inodes = 0;
		e->activity = e->flushed_activity = 0;
		return false;
	}
	writes = inflight_writes(r);
	bdi_slack = BDI_SLACK_KB_PER_CPU * md->dirty.ncpu;
	if (flushed) {
		/* What the kernel still lists with no page left to write and
		 * no write in flight, right after syncfs wrote everything: the
		 * block device's own inode keeps its dirty mark, with clean
		 * pages, until the flusher's next periodic pass (seen: 30 s
		 * after a syncfs, and after a sync too). */
		if (c.per_device && c.pages_kb <= bdi_slack && writes == 0)
			e->stale_inodes = c.inodes;
		e->synced = true;
	}
	if (c.per_device) {
		/* what mediad's own flush left listed is excused until the
		 * kernel's periodic writeback takes it off (within
		 * dirty_expire + dirty_writeback, 35 s): the excuse shrinks
		 * with the list and never grows back */
		if (c.inodes < e->stale_inodes)
			e->stale_inodes = c.inodes;
		dirty = c.inodes > e->stale_inodes || c.pages_kb > bdi_slack;
	} else {
		dirty = c.pages_kb > 0;
	}
	dirty = dirty || writes > 0;
	snprintf(r->dirty_source, sizeof(r->dirty_source), "%s", c.per_device ? "bdi" : "meminfo");
	activity = mix(mix(mix(mix(0xcbf29ce484222325ULL, (uint64_t)c.pages_kb),
			       (uint64_t)c.inodes), writes),
		       (uint64_t)flush_written(r->devmajor, r->devminor));
	if (activity != e->activity) {
		e->activity = activity;
		e->quiet_since = now;
	}
	if (dirty) {
		r->safe = false;
		e->clean_since = 0;
		e->synced = false;
	} else if (fresh || e->synced) {
		/* just mounted, nothing written yet (a mount's own writes,
		 * journal replay, are done before it returns); or flushed by
		 * syncfs, which commits the journal, and clean since */
		r->safe = true;
		if (e->clean_since == 0)
			e->clean_since = now;
	} else {
		if (e->clean_since == 0)
			e->clean_since = now;
		r->safe = now - e->clean_since >= settle_secs(fstype, commit, !c.per_device);
	}
	return true;
}

bool dirty_assess(struct mediad *md, struct medium *e, bool fresh)
{
	return assess(md, e, fresh, false);
}

static bool update(struct mediad *md, struct medium *e, bool flushed)
{
	bool was = e->rec.safe, needed;
	char src[sizeof(e->rec.dirty_source)];
	int r;

	memcpy(src, e->rec.dirty_source, sizeof(src));
	needed = assess(md, e, false, flushed);
	if (was == e->rec.safe && !strcmp(src, e->rec.dirty_source))
		return needed;
	if ((r = publish_write(&md->pub, e)) < 0)
		log_err("%s (%s): cannot publish: %s", e->rec.name, e->rec.devname, strerror(-r));
	if (was != e->rec.safe) {
		log_info("%s (%s) %s (%s)", e->rec.name, e->rec.devname,
			 e->rec.safe ? "clean: safe to remove"
				     : "has data waiting to be written: not safe to remove",
			 e->rec.dirty_source[0] ? e->rec.dirty_source : "not mounted read-write");
		hooks_emit(&md->hooks, e->rec.safe ? "clean" : "dirty", &e->rec);
	}
	return needed;
}

bool dirty_update(struct mediad *md, struct medium *e)
{
	return update(md, e, false);
}

void dirty_flushed(struct mediad *md, struct medium *e)
{
	update(md, e, true);
	e->flushed_activity = e->activity;
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
		/* not safe, and nothing has changed for flush_idle seconds
		 * since mediad last flushed it: the writer is done */
		if (md->cfg.flush_idle && !e->rec.safe && !e->flush_serial &&
		    e->activity != e->flushed_activity &&
		    now - e->quiet_since >= (double)md->cfg.flush_idle)
			idleflush_start(md, e);
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
