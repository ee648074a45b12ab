/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Record and link files. All paths are relative to directory fds opened
 * once, with O_NOFOLLOW on every open, so that nothing planted in the
 * directories is ever followed. Must never touch a file outside them. */
#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "statedir.h"

static int open_dir(int parent, const char *path, const char *shown, char *err)
{
	struct stat st;
	int fd;

	if (mkdirat(parent, path, 0755) < 0 && errno != EEXIST) {
		snprintf(err, CONFIG_ERR_BUF, "cannot create %s: %s", shown, strerror(errno));
		return -errno;
	}
	fd = openat(parent, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		snprintf(err, CONFIG_ERR_BUF, "cannot open %s: %s%s", shown, strerror(-r),
			 r == -ELOOP || r == -ENOTDIR ? " (a symlink or not a directory)" : "");
		return r;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, CONFIG_ERR_BUF,
			 "refusing unsafe directory %s: it must be owned by uid %u and "
			 "writable by nobody else", shown, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* mkdir -p for the configured roots, each component created 0755. */
static int make_root(const char *path, char *err)
{
	char buf[256];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, CONFIG_ERR_BUF, "cannot create %s: %s", buf, strerror(errno));
	return -errno;
}

int publish_open(struct publisher *p, const struct config *c, char *err)
{
	char shown[300];
	int media_root;

	memset(p, 0, sizeof(*p));
	p->state_fd = p->media_fd = p->ignored_fd = p->previous_fd = p->dev_fd = -1;
	p->mounts_fd = -1;
	p->list_fd = -1;
	if (make_root(c->state_dir, err) < 0 || make_root(c->media_dir, err) < 0)
		return -EPERM;
	if ((p->state_fd = open_dir(AT_FDCWD, c->state_dir, c->state_dir, err)) < 0)
		goto fail;
#define SUB(fd, parent, dir, name)                                           \
	snprintf(shown, sizeof(shown), "%s/%s", dir, name);                  \
	if ((fd = open_dir(parent, name, shown, err)) < 0)                   \
		goto fail;
	SUB(p->media_fd, p->state_fd, c->state_dir, STATEDIR_MEDIA);
	SUB(p->ignored_fd, p->state_fd, c->state_dir, STATEDIR_IGNORED);
	SUB(p->previous_fd, p->state_fd, c->state_dir, STATEDIR_PREVIOUS);
	SUB(p->dev_fd, p->state_fd, c->state_dir, STATEDIR_DEV);
	SUB(p->mounts_fd, p->state_fd, c->state_dir, STATEDIR_MOUNTS);
	if ((media_root = open_dir(AT_FDCWD, c->media_dir, c->media_dir, err)) < 0)
		goto fail;
	snprintf(shown, sizeof(shown), "%s/list", c->media_dir);
	p->list_fd = open_dir(media_root, "list", shown, err);
	/* auto/ is automount's: it only has to exist; its mode is autofs's */
	if (mkdirat(media_root, "auto", 0755) < 0 && errno != EEXIST)
		log_warn("cannot create %s/auto: %m", c->media_dir);
	close(media_root);
	if (p->list_fd < 0)
		goto fail;
#undef SUB
	return 0;
fail:
	publish_close(p);
	return -EPERM;
}

void publish_close(struct publisher *p)
{
	int *fds[] = { &p->state_fd, &p->media_fd, &p->ignored_fd, &p->previous_fd, &p->dev_fd,
		       &p->mounts_fd, &p->list_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Kernel names may hold '/' (cciss/c0d0); file names may not. */
static void kname_file(const char *kname, char *out, size_t size)
{
	snprintf(out, size, "%s", kname);
	for (char *s = out; *s; s++)
		if (*s == '/')
			*s = '!';
}

static int write_atomic(int dirfd, const char *file, const char *buf, size_t len)
{
	char tmp[NAME_BUF + 16];
	ssize_t n;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".tmp-%s", file);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0 || (size_t)n != len)
		r = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dirfd, tmp, dirfd, file) < 0)
		r = -errno;
	if (r)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* A link that already says target is left alone: records are rewritten
 * on every state change (mount, dirty, clean), and replacing an unchanged
 * link would only make directory readers race a rename for nothing. */
static int link_atomic(int dirfd, const char *name, const char *target)
{
	char tmp[NAME_BUF + 16], cur[NAME_BUF + 16];
	ssize_t n = readlinkat(dirfd, name, cur, sizeof(cur));
	int r = 0;

	if (n >= 0 && (size_t)n == strlen(target) && !memcmp(cur, target, (size_t)n))
		return 0;
	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	unlinkat(dirfd, tmp, 0);
	if (symlinkat(target, dirfd, tmp) < 0)
		return -errno;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
	}
	return r;
}

int publish_write(struct publisher *p, const struct medium *e)
{
	char buf[RECORD_MAX_BYTES], file[80], dev[64], target[NAME_BUF + 16];
	int len = record_format(&e->rec, buf, sizeof(buf));
	int r;

	if (len < 0)
		return len;
	if (!e->offered) {
		kname_file(e->rec.kname, file, sizeof(file));
		return write_atomic(p->ignored_fd, file, buf, (size_t)len);
	}
	/* device link first, record second, list link last: whoever can
	 * see a link can read its record, and the record's device link */
	if (record_devlink(&e->rec, dev, sizeof(dev)) < 0)
		return -ENOSPC;
	r = link_atomic(p->dev_fd, dev, e->rec.devname);
	if (r == 0)
		r = write_atomic(p->media_fd, e->rec.name, buf, (size_t)len);
	snprintf(target, sizeof(target), "../auto/%s", e->rec.name);
	if (r == 0)
		r = link_atomic(p->list_fd, e->rec.name, target);
	return r;
}

void publish_withdraw(struct publisher *p, const struct medium *e)
{
	char file[80], dev[64];

	if (!e->offered) {
		kname_file(e->rec.kname, file, sizeof(file));
		unlinkat(p->ignored_fd, file, 0);
		return;
	}
	/* The link first: a reader that sees the link can always read the
	 * record behind it. */
	unlinkat(p->list_fd, e->rec.name, 0);
	unlinkat(p->media_fd, e->rec.name, 0);
	if (record_devlink(&e->rec, dev, sizeof(dev)) >= 0) {
		unlinkat(p->dev_fd, dev, 0);
		unlinkat(p->mounts_fd, dev, 0);
	}
}

int publish_read_report(struct publisher *p, const struct medium *e, struct record *rep)
{
	char dev[64];

	if (!e->offered || record_devlink(&e->rec, dev, sizeof(dev)) < 0)
		return -ENOENT;
	/* only what root (mount.mediad) wrote and nobody else may change */
	return statedir_read_record(p->mounts_fd, dev, rep);
}

/* Calls fn for every entry of dirfd but "." and "..", on a private
 * copy of the descriptor (so the walk never moves dirfd's own offset). */
static void walk_dir(int dirfd, void (*fn)(int dirfd, const char *file, void *arg), void *arg)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fn(dirfd, de->d_name, arg);
	closedir(dir);
}

static void load_hint(int dirfd, const char *file, void *arg)
{
	struct record rec;

	if (file[0] != '.' && statedir_read_record(dirfd, file, &rec) == 0 &&
	    !strcmp(rec.name, file) && name_is_valid(rec.name))
		media_add_hint(arg, &rec);
}

void publish_load_hints(struct publisher *p, struct media *m)
{
	walk_dir(p->media_fd, load_hint, m);
	walk_dir(p->previous_fd, load_hint, m);
}

typedef bool (*keep_fn)(const struct media *m, const char *file);

static bool keep_offered(const struct media *m, const char *file)
{
	return media_find_name(m, file) != NULL;
}

static bool keep_ignored(const struct media *m, const char *file)
{
	char k[80];

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i]->offered)
			continue;
		kname_file(m->v[i]->rec.kname, k, sizeof(k));
		if (!strcmp(k, file))
			return true;
	}
	return false;
}

static bool keep_devlink(const struct media *m, const char *file)
{
	char dev[64];

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->offered && record_devlink(&m->v[i]->rec, dev, sizeof(dev)) >= 0 &&
		    !strcmp(dev, file))
			return true;
	return false;
}

static bool keep_none(const struct media *m, const char *file)
{
	(void)m;
	(void)file;
	return false;
}

struct sweep {
	const struct media *m;
	keep_fn keep;
};

static void sweep_one(int dirfd, const char *file, void *arg)
{
	const struct sweep *sw = arg;

	if (sw->keep(sw->m, file))
		return;
	if (unlinkat(dirfd, file, 0) < 0 && errno == EISDIR)
		log_warn("leaving directory %s in place: mediad never made it", file);
}

static void sweep_dir(int dirfd, const struct media *m, keep_fn keep)
{
	struct sweep sw = { m, keep };

	walk_dir(dirfd, sweep_one, &sw);
}

void publish_sweep(struct publisher *p, const struct media *m)
{
	sweep_dir(p->media_fd, m, keep_offered);
	sweep_dir(p->list_fd, m, keep_offered);
	sweep_dir(p->ignored_fd, m, keep_ignored);
	sweep_dir(p->previous_fd, m, keep_none);
	sweep_dir(p->dev_fd, m, keep_devlink);
	sweep_dir(p->mounts_fd, m, keep_devlink);
}

void publish_stop(struct publisher *p, const struct media *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct medium *e = m->v[i];

		if (e->offered) {
			char dev[64];

			unlinkat(p->list_fd, e->rec.name, 0);
			if (record_devlink(&e->rec, dev, sizeof(dev)) >= 0) {
				unlinkat(p->dev_fd, dev, 0);
				unlinkat(p->mounts_fd, dev, 0);
			}
			if (renameat(p->media_fd, e->rec.name, p->previous_fd, e->rec.name) < 0)
				unlinkat(p->media_fd, e->rec.name, 0);
		} else {
			publish_withdraw(p, e);
		}
	}
}
