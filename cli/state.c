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

int ml_read_record(int dirfd, const char *file, struct record *rec)
{
	char buf[RECORD_MAX_BYTES + 1];
	ssize_t n;
	int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n > RECORD_MAX_BYTES)
		return -EFBIG;
	return record_parse(buf, (size_t)n, rec, NULL);
}

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
		if (ml_read_record(dirfd(d), de->d_name, &v[out->n].rec) == 0)
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

int ml_load(const struct ml *ml, bool with_ignored, struct entries *out)
{
	char path[300];
	int r;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "%s/media", ml->cfg.state_dir);
	r = load_dir(path, false, out);
	if (r == 0 && with_ignored) {
		snprintf(path, sizeof(path), "%s/ignored", ml->cfg.state_dir);
		r = load_dir(path, true, out);
	}
	if (r < 0) {
		ml_free(out);
		return r;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_entries);
	return 0;
}

void ml_free(struct entries *e)
{
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

int ml_find(const struct ml *ml, const char *name, struct entry *out)
{
	const char *sub[2] = { "media", "ignored" };

	for (int i = 0; i < 2; i++) {
		char path[300];
		int fd, r;

		snprintf(path, sizeof(path), "%s/%s", ml->cfg.state_dir, sub[i]);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = ml_read_record(fd, name, &out->rec);
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

int ml_read_report(const struct ml *ml, const struct record *r, struct record *rep)
{
	char path[300], link[64];
	struct stat st;
	int fd, ret;

	if (record_devlink(r, link, sizeof(link)) < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/mounts", ml->cfg.state_dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* believed only when mount.mediad (root) wrote it */
	if (fstatat(fd, link, &st, AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		ret = -EPERM;
	else
		ret = ml_read_record(fd, link, rep);
	close(fd);
	return ret;
}

const char *ml_state(const struct entry *e)
{
	if (e->ignored)
		return "ignored";
	return e->rec.mountpoint[0] ? "mounted" : "idle";
}

int ml_connect(const struct ml *ml)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(ml->cfg.state_dir);
	int fd, r;

	if (len + sizeof("/control") > sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, ml->cfg.state_dir, len);
	memcpy(sa.sun_path + len, "/control", sizeof("/control"));
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

bool ml_daemon_up(const struct ml *ml, bool warn)
{
	int fd = ml_connect(ml);
	bool up = fd >= 0;

	if (fd >= 0)
		close(fd);
	if (!up && warn)
		fprintf(stderr, "medialist: mediad is not running: what %s says may be "
				"out of date\n", ml->cfg.state_dir);
	return up;
}
