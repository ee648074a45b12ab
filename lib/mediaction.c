/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unmount and eject of one medium for the daemon's action child and for
 * medialist: what they may touch (offered media, mounts directly on
 * <media_dir>/auto/X), in which order (all checks, then every flush, then
 * the unmounts, then the power-off), and the reply. Must never unmount or
 * power off anything it has not first proven to be an offered medium's. */
#include "mediaction.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "eject.h"
#include "flush.h"
#include "mountid.h"

#define PASSES 8 /* automount may mount a medium again meanwhile */

struct ctx {
	const struct mediaction *a;
	const struct record *rec;
	char auto_dir[PATH_MAX]; /* <media_dir>/auto, as mountinfo spells it */
	int dirfd;               /* O_PATH of it, -1 when there is none */
	long long dir_mnt;       /* the mount holding it: every mount of ours sits on it */
	struct flush_result fr;
};

static bool is_offered(const struct mediaction *a, dev_t dev)
{
	for (size_t i = 0; i < a->n_offered; i++)
		if (a->offered[i] == dev)
			return true;
	return false;
}

/* A mount automount (or mediad) made: directly on <media_dir>/auto/X,
 * sitting on the directory we hold. Anywhere else it is the system's. */
static bool is_ours(const struct ctx *c, const struct mountid *m)
{
	size_t len = strlen(c->auto_dir);
	const char *x = m->target + len;

	return c->dirfd >= 0 && !strncmp(m->target, c->auto_dir, len) && x[0] == '/' &&
	       x[1] && !strchr(x + 1, '/') && m->parent == c->dir_mnt;
}

static int open_auto_dir(struct ctx *c)
{
	char real[PATH_MAX];
	struct statx sx;

	c->dirfd = -1;
	c->dir_mnt = -1;
	/* mountinfo gives canonical paths */
	if (!realpath(c->a->media_dir, real))
		snprintf(real, sizeof(real), "%s", c->a->media_dir);
	if (snprintf(c->auto_dir, sizeof(c->auto_dir), "%s/auto",
		     strcmp(real, "/") ? real : "") >= (int)sizeof(c->auto_dir))
		return -ENAMETOOLONG;
	c->dirfd = open(c->auto_dir, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return -errno; /* then nothing is ours */
	if (statx(c->dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID)) {
		close(c->dirfd);
		c->dirfd = -1;
		return -ENOSYS;
	}
	c->dir_mnt = (long long)sx.stx_mnt_id;
	return 0;
}

static const char *why(int r)
{
	return r == -ESTALE ? "it changed meanwhile (renamed, or something mounted over it)"
			    : strerror(-r);
}

/* Flushes every one of our mounts (timed, into c->fr) before the first
 * is unmounted, then unmounts them, the last mounted first. On failure
 * *bad is the mount that stayed. */
static int flush_unmount(struct ctx *c, const struct mountid *v, size_t n, size_t *bad)
{
	for (size_t i = n; i-- > 0;) {
		int fd = mountid_open(c->dirfd, &v[i]);

		/* one not reachable now (another of ours over it): flushed
		 * with it, or its unmount below says why */
		if (fd < 0)
			continue;
		flush_at(fd, major(v[i].dev), minor(v[i].dev), &c->fr); /* the unmount tells */
		close(fd);
	}
	for (size_t i = n; i-- > 0;) {
		int r = mountid_umount(c->dirfd, &v[i]);

		if (r < 0 && r != -ENOENT) {
			*bad = i;
			return r;
		}
	}
	return 0;
}

static int do_unmount(struct ctx *c, char *msg, size_t size)
{
	const struct record *rec = c->rec;
	dev_t dev = makedev(rec->devmajor, rec->devminor);
	char target[PATH_MAX + NAME_BUF + 2];
	struct mountid *v;
	size_t n, bad;
	int r;

	snprintf(target, sizeof(target), "%s/%s", c->auto_dir, rec->name);
	if ((r = mountid_scan(&dev, 1, &v, &n)) < 0) {
		snprintf(msg, size, "cannot unmount %s: cannot read the mount table: %s",
			 rec->name, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_ours(c, &v[i]) || strcmp(v[i].target, target)) {
			snprintf(msg, size, "cannot unmount %s: mounted by the system on %.200s: "
				 "not unmounted", rec->name, v[i].target);
			free(v);
			return -EPERM;
		}
	if (n == 0)
		snprintf(msg, size, "%s was not mounted", rec->name);
	else if ((r = flush_unmount(c, v, n, &bad)) == 0)
		snprintf(msg, size, "%s unmounted", rec->name);
	else
		snprintf(msg, size, "cannot unmount %s (%.200s): %s", rec->name, target, why(r));
	free(v);
	return r;
}

static const struct eject_dev *dev_of(const struct eject_unit *u, dev_t dev)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].dev == dev)
			return &u->v[i];
	return NULL;
}

/* What stands in the way of powering off u: a device in use otherwise
 * than by a mount, one that is not an offered medium, a mount that is not
 * ours. Says so in msg and returns -EPERM, or 0. */
static int check(const struct ctx *c, const struct eject_unit *u, const struct mountid *v,
		 size_t n, bool first, char *msg, size_t size)
{
	const char *name = c->rec->name;
	const char *end = first ? "nothing unmounted, not powered off" : "not powered off";

	/* a mount first: the most telling reason, and often why the
	 * device is not offered either */
	for (size_t i = 0; i < n; i++) {
		const struct eject_dev *d = dev_of(u, v[i].dev);

		if (!is_ours(c, &v[i]) || !is_offered(c->a, v[i].dev)) {
			snprintf(msg, size, "cannot eject %s: %s%s is mounted by the system on "
				 "%.200s: %s", name, d ? d->kname : "?",
				 d && !d->own_disk ? " (on the same USB device)" : "", v[i].target,
				 end);
			return -EPERM;
		}
	}
	for (size_t i = 0; i < u->n; i++) {
		const struct eject_dev *d = &u->v[i];
		const char *sib = d->own_disk ? "" : " (on the same USB device)";

		if (d->in_use[0]) {
			snprintf(msg, size, "cannot eject %s: %s%s is %s: %s", name, d->kname, sib,
				 d->in_use, end);
			return -EPERM;
		}
		/* a disk holding partitions, an extended partition and an
		 * empty slot hold no data of their own */
		if (!d->container && !d->empty && !is_offered(c->a, d->dev)) {
			snprintf(msg, size, "cannot eject %s: %s%s is not an offered medium "
				 "(medialist -a says why): %s", name, d->kname, sib, end);
			return -EPERM;
		}
	}
	return 0;
}

static int do_eject(struct ctx *c, char *msg, size_t size)
{
	const struct record *rec = c->rec;
	char prefix[NAME_BUF + 32], what[EJECT_MSG_BUF];
	struct eject_unit u;
	dev_t *devs = NULL;
	size_t bad = 0;
	int r, pass;

	snprintf(prefix, sizeof(prefix), "cannot eject %s: ", rec->name);
	if ((r = eject_unit_find(makedev(rec->devmajor, rec->devminor), &u)) < 0) {
		snprintf(msg, size, "%s%s: not in sysfs: %s", prefix, rec->devname, strerror(-r));
		goto out;
	}
	if (!c->a->root && !rec->removable) {
		snprintf(msg, size, "%s%s is an internal disk: only root may eject it", prefix,
			 strrchr(u.disk, '/') + 1);
		r = -EPERM;
		goto out;
	}
	if (!(devs = calloc(u.n + 1, sizeof(*devs)))) {
		snprintf(msg, size, "%s%s", prefix, strerror(ENOMEM));
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < u.n; i++)
		devs[i] = u.v[i].dev;
	/* every check before anything is done; again after each round of
	 * unmounts, since automount may have mounted a medium again */
	for (pass = 0; pass < PASSES; pass++) {
		struct mountid *v;
		size_t n;

		if ((r = mountid_scan(devs, u.n, &v, &n)) < 0) {
			snprintf(msg, size, "%scannot read the mount table: %s", prefix,
				 strerror(-r));
			goto out;
		}
		r = check(c, &u, v, n, pass == 0, msg, size);
		if (r == 0 && n && (r = flush_unmount(c, v, n, &bad)) < 0) {
			const struct eject_dev *d = dev_of(&u, v[bad].dev);

			snprintf(msg, size, "%s%s%s stays mounted on %.200s: %s: not powered off",
				 prefix, d ? d->kname : "?",
				 d && !d->own_disk ? " (on the same USB device)" : "",
				 v[bad].target, why(r));
		}
		free(v);
		if (r < 0)
			goto out;
		if (n == 0)
			break;
	}
	if (pass == PASSES) {
		snprintf(msg, size, "%smounts keep coming back: not powered off", prefix);
		r = -EBUSY;
		goto out;
	}
	r = eject_power_off(&u, what, sizeof(what));
	snprintf(msg, size, "%s%.300s", r < 0 ? prefix : "", what);
out:
	free(devs);
	eject_unit_free(&u);
	return r;
}

int mediaction_run(const struct mediaction *a, const char *verb, const struct record *rec,
		   char *reply, size_t size)
{
	struct ctx c = { .a = a, .rec = rec };
	char msg[EJECT_MSG_BUF], line[64] = "";
	int r;

	open_auto_dir(&c); /* without it nothing is ours: every mount refuses */
	if (!strcmp(verb, "unmount"))
		r = do_unmount(&c, msg, sizeof(msg));
	else if (!strcmp(verb, "eject"))
		r = do_eject(&c, msg, sizeof(msg));
	else {
		snprintf(msg, sizeof(msg), "%s: unknown action", verb);
		r = -EINVAL;
	}
	if (c.dirfd >= 0)
		close(c.dirfd);
	if (c.fr.done)
		flush_format_line(&c.fr, line, sizeof(line));
	/* the flush line after a newline: names never hold one */
	snprintf(reply, size, "%s %.400s%s%s", r < 0 ? "error" : "ok", msg, *line ? "\n" : "",
		 line);
	return r < 0 ? r : 0;
}
