/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hook runner: a queue of events, one child at a time (daemon/child.c,
 * hook_timeout as deadline). Must never wait for a child in the loop, and
 * never run a file that someone other than root could have written or
 * swapped: the directory and each hook are checked on a descriptor, and
 * the descriptor is what runs. */
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

struct hook_job {
	struct hook_job *next;
	char event[8];
	struct record rec;
};

static void run_next(struct hooks *h);

void hooks_init(struct hooks *h, const struct config *cfg)
{
	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	h->dir_fd = -1;
}

bool hooks_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || name[0] == '.' || name[len - 1] == '~')
		return false;
	if (strstr(name, ".dpkg-") || strstr(name, ".rpm") ||
	    (len > 4 && !strcmp(name + len - 4, ".swp")))
		return false;
	return true;
}

static int add_env(char **env, size_t max, size_t *n, char *buf, size_t size,
		   size_t *o, const char *key, const char *val)
{
	int w;

	if (*n + 1 >= max)
		return -ENOSPC;
	w = snprintf(buf + *o, size - *o, "%s=%s", key, val);
	if (w < 0 || (size_t)w >= size - *o)
		return -ENOSPC;
	env[(*n)++] = buf + *o;
	env[*n] = NULL;
	*o += (size_t)w + 1;
	return 0;
}

int hooks_build_env(const char *event, const struct record *rec,
		    const struct config *cfg, char *buf, size_t size,
		    char **env, size_t max)
{
	char devnum[32], sz[32], path[600];
	size_t n = 0, o = 0;
	int r = 0;

	snprintf(devnum, sizeof(devnum), "%u:%u", rec->devmajor, rec->devminor);
	snprintf(sz, sizeof(sz), "%" PRIu64, rec->size);
	snprintf(path, sizeof(path), "%s/list/%s", cfg->media_dir, rec->name);
#define E(k, v) if (r == 0) r = add_env(env, max, &n, buf, size, &o, k, v)
	E("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	E("MEDIAD_EVENT", event);
	E("MEDIAD_NAME", rec->name);
	E("MEDIAD_PATH", path);
	E("MEDIAD_KNAME", rec->kname);
	E("MEDIAD_DEVNAME", rec->devname);
	E("MEDIAD_DEVNUM", devnum);
	E("MEDIAD_FSTYPE", rec->fstype);
	E("MEDIAD_LABEL", rec->label);
	E("MEDIAD_UUID", rec->uuid);
	E("MEDIAD_BUS", rec->bus);
	E("MEDIAD_VENDOR", rec->vendor);
	E("MEDIAD_MODEL", rec->model);
	E("MEDIAD_SERIAL", rec->serial);
	E("MEDIAD_SIZE", sz);
	E("MEDIAD_READONLY", rec->readonly ? "1" : "0");
	E("MEDIAD_REMOVABLE", rec->removable ? "1" : "0");
	E("MEDIAD_MOUNTPOINT", rec->mountpoint);
	E("MEDIAD_OPTIONS", rec->options);
	E("MEDIAD_SAFE", rec->safe ? "1" : "0");
	E("MEDIAD_DIRTY_SOURCE", rec->dirty_source);
	E("MEDIAD_STATE_DIR", cfg->state_dir);
	E("MEDIAD_MEDIA_DIR", cfg->media_dir);
#undef E
	return r;
}

void hooks_emit(struct hooks *h, const char *event, const struct record *rec)
{
	struct hook_job *j;

	if (h->queued >= HOOKS_MAX_QUEUE) {
		log_warn("hooks: %zu events waiting: %s of %s not run", h->queued, event,
			 rec->name);
		return;
	}
	j = malloc(sizeof(*j));
	if (!j) {
		log_err("hooks: out of memory: %s of %s not run", event, rec->name);
		return;
	}
	j->next = NULL;
	snprintf(j->event, sizeof(j->event), "%s", event);
	j->rec = *rec;
	if (h->tail)
		h->tail->next = j;
	else
		h->head = j;
	h->tail = j;
	h->queued++;
	if (h->loop && !h->child)
		run_next(h);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The hooks directory, opened without following a symlink and checked
 * as the hooks in it are: a directory that someone other than root can
 * write (or swap for a link) lets that someone run code as root. Returns
 * an O_PATH descriptor, or -errno (logged). */
static int open_dir(const char *dir)
{
	struct stat st;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		log_warn("hooks: %s refused: %s", dir,
			 errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link?)"
							    : strerror(errno));
		return -EPERM;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		log_warn("hooks: %s refused: not owned by root or writable by others", dir);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* A hook file, opened O_PATH without following a link: what is checked is
 * what runs (execveat on this descriptor), whatever happens to the name
 * meanwhile. -errno when it must not run. */
static int open_hook(int dirfd, const char *name, bool quiet)
{
	struct stat st;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		close(fd);
		return -ENOEXEC; /* a link, a directory, not executable: not a hook */
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		if (!quiet)
			log_warn("hooks: %s skipped: writable by others than root", name);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The hooks to run for the job at the head, in name order. */
static void load_files(struct hooks *h)
{
	DIR *d;
	struct dirent *de;
	int fd;

	h->n_files = h->next = 0;
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	h->dir_fd = open_dir(h->cfg->hooks_dir);
	if (h->dir_fd < 0)
		return;
	if (!h->files && !(h->files = calloc(HOOKS_MAX_FILES, sizeof(*h->files))))
		return;
	fd = openat(h->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		log_warn("hooks: cannot read %s: %m", h->cfg->hooks_dir);
		return;
	}
	while ((de = readdir(d))) {
		int hfd;

		if (!hooks_name_ok(de->d_name) || strlen(de->d_name) >= 256)
			continue;
		if ((hfd = open_hook(h->dir_fd, de->d_name, false)) < 0)
			continue;
		close(hfd);
		if (h->n_files == HOOKS_MAX_FILES) {
			log_warn("hooks: more than %d hooks in %s: the rest skipped",
				 HOOKS_MAX_FILES, h->cfg->hooks_dir);
			break;
		}
		snprintf(h->files[h->n_files++], 256, "%s", de->d_name);
	}
	closedir(d);
	qsort(h->files, h->n_files, sizeof(*h->files), cmp_names);
}

struct hook_exec {
	int fd;
	const char *event;
	char **env;
	char *name;
};

/* In the child: the hook itself, by its descriptor. A script's
 * interpreter opens it again through /proc/self/fd: the descriptor must
 * survive the exec for that. */
static int hook_run(void *arg)
{
	const struct hook_exec *x = arg;
	char *argv[] = { x->name, (char *)x->event, NULL };

	fcntl(x->fd, F_SETFD, 0);
	syscall(SYS_execveat, x->fd, "", argv, x->env, AT_EMPTY_PATH);
	return 127;
}

static void on_hook_done(const struct child_result *res, void *arg)
{
	struct hooks *h = arg;

	h->child = NULL;
	if (res->timed_out) {
		h->failures++; /* child.c said so */
	} else if (res->status == 0) {
		log_debug("hook %s: done", h->running);
	} else {
		char first[200];
		size_t n = res->out_len < sizeof(first) - 1 ? res->out_len : sizeof(first) - 1;

		memcpy(first, res->out, n);
		first[n] = '\0';
		first[strcspn(first, "\n")] = '\0';
		h->failures++;
		if (res->status > 0)
			log_warn("hook %s failed: exit status %d%s%.160s", h->running,
				 res->status, *first ? ": " : "", first);
		else
			log_warn("hook %s failed: signal %d", h->running, res->signal);
	}
	run_next(h);
}

static void run_next(struct hooks *h)
{
	static char envbuf[8192];
	char *env[32];

	while (h->head && !h->child) {
		struct hook_job *j = h->head;
		struct hook_exec x;
		char what[300];
		struct child_spec s = {
			.what = what,
			.deadline = h->cfg->hook_timeout,
			.capture = 512, /* the first words of a failure, for the log */
			.merge_stderr = true,
			.own_group = true, /* the timeout kills a shell hook's children too */
			.run = hook_run,
			.run_arg = &x,
			.done = on_hook_done,
			.done_arg = h,
		};
		int err;

		if (h->next == 0 && h->n_files == 0)
			load_files(h);
		if (h->next >= h->n_files) {
			h->head = j->next;
			if (!h->head)
				h->tail = NULL;
			h->queued--;
			free(j);
			h->n_files = h->next = 0;
			continue;
		}
		if (hooks_build_env(j->event, &j->rec, h->cfg, envbuf, sizeof(envbuf), env,
				    sizeof(env) / sizeof(env[0])) < 0) {
			log_err("hooks: environment for %s too large", j->rec.name);
			h->next = h->n_files;
			continue;
		}
		snprintf(h->running, sizeof(h->running), "%s (%s %s)", h->files[h->next],
			 j->event, j->rec.name);
		snprintf(what, sizeof(what), "hook %s", h->running);
		x.fd = open_hook(h->dir_fd, h->files[h->next], false);
		x.event = j->event;
		x.env = env;
		x.name = h->files[h->next++];
		if (x.fd < 0) {
			log_warn("hook %s: not run: %s", h->running, strerror(-x.fd));
			continue;
		}
		s.keep_fd = x.fd;
		h->child = child_start(h->loop, &s, &err);
		close(x.fd);
		if (!h->child) {
			log_err("hook %s: cannot start: %s", h->running, strerror(-err));
			continue;
		}
		h->runs++;
	}
}

void hooks_start(struct hooks *h, struct ev_loop *loop)
{
	h->loop = loop;
	if (!h->child)
		run_next(h);
}

void hooks_stop(struct hooks *h)
{
	while (h->head) {
		struct hook_job *j = h->head;

		h->head = j->next;
		free(j);
	}
	h->tail = NULL;
	h->queued = 0;
	/* a running hook is left to finish: child_stop_all() stops watching */
	h->child = NULL;
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	h->dir_fd = -1;
	free(h->files);
	h->files = NULL;
	h->n_files = h->next = 0;
}
