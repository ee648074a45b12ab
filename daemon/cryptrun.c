/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad-unlock as a child of mediad (see cryptrun.h). The run function
 * executes in the forked child: it only moves the secret's descriptor to
 * stdin, sets the bounds and execs; nothing of the secret ever passes
 * through the daemon's memory here. */
#include "cryptrun.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "run.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/lib/mediad"
#endif

#define CLOSE_SECS 30.0

const char *cryptrun_helper(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	struct stat st;
	ssize_t n;
	char *slash;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && snprintf(path, sizeof(path), "%.*s/mediad-unlock",
				      (int)(slash - self), self) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
		    !(st.st_mode & 022))
			return path;
	}
	snprintf(path, sizeof(path), "%s/mediad-unlock", LIBEXECDIR);
	return path;
}

struct exec_args {
	const char *argv[8];
	int stdin_fd;       /* -1: /dev/null */
	rlim_t as_bytes;    /* 0: unbounded */
};

/* In the child (daemon/child.c has reset signals and closed fds). */
static int run_helper(void *arg)
{
	const struct exec_args *a = arg;
	static const char *const env[] = { RUN_PATH, "LC_ALL=C", NULL };

	if (a->stdin_fd >= 0 && dup2(a->stdin_fd, STDIN_FILENO) < 0)
		return 127;
	if (a->as_bytes) {
		struct rlimit rl = { a->as_bytes, a->as_bytes };

		if (setrlimit(RLIMIT_AS, &rl) < 0)
			return 127;
	}
	execve(cryptrun_helper(), (char *const *)a->argv, (char *const *)env);
	return 127;
}

static struct child *start(struct ev_loop *loop, const char *what, double deadline,
			   const struct exec_args *a,
			   void (*done)(const struct child_result *, void *), void *arg, int *err)
{
	struct child_spec s = {
		.what = what,
		.deadline = deadline,
		.capture = 1024,
		.merge_stderr = true,
		.own_group = true,
		.kill_at_stop = true,
		.keep_fd = a->stdin_fd,
		.run = run_helper,
		.run_arg = (void *)a,
		.done = done,
		.done_arg = arg,
	};

	return child_start(loop, &s, err);
}

struct child *cryptrun_open(struct ev_loop *loop, const struct cryptrun_open *o, int *err)
{
	char devnum[32], opts[128];
	struct exec_args a = { .stdin_fd = o->secret_fd };
	struct child *c = NULL;
	size_t n = 0;

	snprintf(devnum, sizeof(devnum), "%u:%u", major(o->devnum), minor(o->devnum));
	if (unlockproto_format_opts(&o->opts, opts, sizeof(opts)) < 0) {
		*err = -EINVAL;
		goto out;
	}
	a.argv[n++] = "mediad-unlock";
	a.argv[n++] = "open";
	if (o->raw)
		a.argv[n++] = "--raw";
	a.argv[n++] = o->devname;
	a.argv[n++] = devnum;
	a.argv[n++] = o->map;
	a.argv[n++] = opts;
	a.argv[n] = NULL;
	a.as_bytes = (rlim_t)o->memory_mb << 20;
	c = start(loop, o->what, o->deadline, &a, o->done, o->arg, err);
out:
	/* the child has its own copy now (or there is none) */
	if (o->secret_fd >= 0)
		close(o->secret_fd);
	return c;
}

struct child *cryptrun_close(struct ev_loop *loop, const char *map, bool deferred,
			     void (*done)(const struct child_result *res, void *arg), void *arg,
			     int *err)
{
	struct exec_args a = {
		.argv = { "mediad-unlock", "close", map, deferred ? "deferred" : NULL, NULL },
		.stdin_fd = -1,
	};
	char what[160];

	snprintf(what, sizeof(what), "close of /dev/mapper/%s", map);
	return start(loop, what, CLOSE_SECS, &a, done, arg, err);
}

void cryptrun_message(const struct child_result *res, char *out, size_t size)
{
	const char *end = res->out + res->out_len, *line = res->out, *p;
	size_t len;

	if (res->timed_out) {
		snprintf(out, size, "timed out");
		return;
	}
	/* the last non-empty line: the helper's own, after anything else */
	for (p = res->out; p < end; p++)
		if (*p == '\n' && p + 1 < end)
			line = p + 1;
	len = (size_t)(end - line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > 6 && !strncmp(line, "error ", 6)) {
		line += 6;
		len -= 6;
	} else if (len > 3 && !strncmp(line, "ok ", 3)) {
		line += 3;
		len -= 3;
	}
	if (len == 0 || res->status == 127) {
		if (res->signal)
			snprintf(out, size, "mediad-unlock was killed by signal %d%s", res->signal,
				 res->signal == SIGSEGV || res->signal == SIGABRT
					 ? " (out of the address space unlock_memory allows?)" : "");
		else if (res->status == 127)
			snprintf(out, size, "cannot run %s (is mediad-unlock installed?)",
				 cryptrun_helper());
		else
			snprintf(out, size, "mediad-unlock ended with status %d", res->status);
		return;
	}
	/* bytes from a program: no control byte reaches a reply or the log */
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? '?' : line[i];
	out[len] = '\0';
}
