/* Hook runner: a queue of events, one child at a time, a timer per child.
 * Must never wait for a child in the loop, and never run a file that
 * someone other than root could have written. */
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
#include <sys/wait.h>
#include <unistd.h>

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
	if (h->loop && !h->pid)
		run_next(h);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The hooks to run for the job at the head, in name order. */
static void load_files(struct hooks *h)
{
	DIR *d = opendir(h->cfg->hooks_dir);
	struct dirent *de;

	h->n_files = h->next = 0;
	if (!d) {
		if (errno != ENOENT)
			log_warn("hooks: cannot read %s: %m", h->cfg->hooks_dir);
		return;
	}
	if (!h->files && !(h->files = calloc(HOOKS_MAX_FILES, sizeof(*h->files)))) {
		closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!hooks_name_ok(de->d_name) || strlen(de->d_name) >= 256)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111))
			continue;
		if (st.st_uid != geteuid() || (st.st_mode & 022)) {
			log_warn("hooks: %s/%s skipped: writable by others than root",
				 h->cfg->hooks_dir, de->d_name);
			continue;
		}
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

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hooks *h = w->data;

	(void)loop;
	(void)revents;
	if (!h->pid)
		return;
	log_err("hook %s still running after %u s: killed", h->running,
		h->cfg->hook_timeout);
	h->timed_out = true;
	/* the hook's whole process group: a shell hook's children too */
	kill(-h->pid, SIGKILL);
	kill(h->pid, SIGKILL);
}

static void on_exit_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hooks *h = w->data;
	int st = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &h->timer);
	if (h->timed_out) {
		h->failures++;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_debug("hook %s: done", h->running);
	} else {
		h->failures++;
		if (WIFEXITED(st))
			log_warn("hook %s failed: exit status %d", h->running, WEXITSTATUS(st));
		else
			log_warn("hook %s failed: signal %d", h->running, WTERMSIG(st));
	}
	h->pid = 0;
	h->timed_out = false;
	run_next(h);
}

static pid_t spawn(const char *dir, const char *file, const char *event, char **env)
{
	char path[600];
	pid_t pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		setpgid(pid, pid); /* also here: a timeout may come first */
		return pid;
	}
	/* child: its own process group (so a timeout kills all of it),
	 * stdin from /dev/null, default signals, no fd of ours */
	setpgid(0, 0);
	{
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		if (null >= 0 && null != 0) {
			dup2(null, 0);
			close(null);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close_range(3, ~0U, 0);
	}
	execve(path, (char *[]){ path, (char *)event, NULL }, env);
	_exit(127);
}

static void run_next(struct hooks *h)
{
	static char envbuf[8192];
	char *env[32];

	while (h->head) {
		struct hook_job *j = h->head;
		pid_t pid;

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
		pid = spawn(h->cfg->hooks_dir, h->files[h->next++], j->event, env);
		if (pid < 0) {
			log_err("hook %s: cannot start: %s", h->running, strerror((int)-pid));
			continue;
		}
		h->pid = pid;
		h->runs++;
		ev_child_init(&h->cw, on_exit_child, pid, 0);
		h->cw.data = h;
		ev_child_start(h->loop, &h->cw);
		ev_timer_init(&h->timer, on_timeout, h->cfg->hook_timeout, 0.);
		h->timer.data = h;
		ev_timer_start(h->loop, &h->timer);
		return;
	}
}

void hooks_start(struct hooks *h, struct ev_loop *loop)
{
	h->loop = loop;
	if (!h->pid)
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
	if (h->loop && h->pid) {
		ev_child_stop(h->loop, &h->cw);
		ev_timer_stop(h->loop, &h->timer);
	}
	free(h->files);
	h->files = NULL;
	h->n_files = h->next = 0;
}
