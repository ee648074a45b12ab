/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the state directory: media/ and ignored/ records, each with one
 * openat() and record_parse(). Never needs the daemon; must never write
 * anything. */
#include "medialist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "statedir.h"

static int load_dir(const char *path, bool ignored, struct entries *out)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct entry *v;

		if (de->d_name[0] == '.') /* ".", "..", writers' temp files */
			continue;
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			closedir(d);
			return -ENOMEM;
		}
		out->v = v;
		v[out->n].ignored = ignored;
		/* gone between readdir and open (unplugged): skip it */
		if (statedir_read_record(dirfd(d), de->d_name, &v[out->n].rec) == 0)
			out->n++;
	}
	closedir(d);
	return 0;
}

static int cmp_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->ignored != y->ignored)
		return x->ignored ? 1 : -1;
	return x->ignored ? strcmp(x->rec.kname, y->rec.kname)
			  : strcmp(x->rec.name, y->rec.name);
}

int state_load(const struct ml *ml, bool with_ignored, struct entries *out)
{
	char path[300];
	int r;

	out->v = NULL;
	out->n = 0;
	r = statedir_path(ml->cfg.state_dir, STATEDIR_MEDIA, NULL, path, sizeof(path));
	if (r >= 0)
		r = load_dir(path, false, out);
	if (r == 0 && with_ignored) {
		r = statedir_path(ml->cfg.state_dir, STATEDIR_IGNORED, NULL, path, sizeof(path));
		if (r >= 0)
			r = load_dir(path, true, out);
	}
	if (r < 0) {
		state_free(out);
		return r;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_entries);
	return 0;
}

void state_free(struct entries *e)
{
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

int state_find(const struct ml *ml, const char *name, struct entry *out)
{
	const char *sub[2] = { STATEDIR_MEDIA, STATEDIR_IGNORED };

	for (int i = 0; i < 2; i++) {
		char path[300];
		int fd, r;

		if (statedir_path(ml->cfg.state_dir, sub[i], NULL, path, sizeof(path)) < 0)
			return -ENAMETOOLONG;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = statedir_read_record(fd, name, &out->rec);
		close(fd);
		if (r == 0) {
			out->ignored = i == 1;
			return 0;
		}
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

int state_read_report(const struct ml *ml, const struct record *r, struct record *rep)
{
	char path[300], link[64];
	int fd, ret;

	if (record_devlink(r, link, sizeof(link)) < 0)
		return -EINVAL;
	if (statedir_path(ml->cfg.state_dir, STATEDIR_MOUNTS, NULL, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* believed only when mount.mediad (root) wrote it */
	ret = statedir_read_record(fd, link, rep);
	close(fd);
	return ret;
}

const char *state_name(const struct entry *e)
{
	if (e->ignored)
		return "ignored";
	return e->rec.mountpoint[0] ? "mounted" : "idle";
}

int state_connect(const struct ml *ml)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (statedir_path(ml->cfg.state_dir, STATEDIR_CONTROL, NULL, sa.sun_path,
			  sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

bool state_daemon_up(const struct ml *ml, bool warn)
{
	int fd = state_connect(ml);
	bool up = fd >= 0;

	if (fd >= 0)
		close(fd);
	if (!up && warn)
		fprintf(stderr, "medialist: mediad is not running: what %s says may be "
				"out of date\n", ml->cfg.state_dir);
	return up;
}
