/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Child processes: fork, drain, deadline, kill, reap (see child.h). The
 * table of children is this module's own, as libev's table of child
 * watchers is libev's: every caller runs children the same way and none
 * keeps a copy of the bookkeeping. Must never block on a child. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

struct child {
	struct child *next;
	struct ev_loop *loop;
	struct child_spec spec;
	char what[128];
	pid_t pid;
	int out_fd;            /* read end of the output pipe, -1 once closed */
	char *out;             /* spec.capture bytes */
	size_t out_len;
	double started;
	bool delivered;        /* done was called, or the child was cancelled */
	ev_child cw;
	ev_timer timer;
	ev_io io;
};

static struct child *children;
static unsigned lingering;

static void unlink_child(struct child *c)
{
	for (struct child **p = &children; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			return;
		}
	}
}

/* Reads what is there without waiting; keeps the first capture bytes. */
static void drain(struct child *c)
{
	static char sink[4096]; /* what is read past capture: dropped */

	while (c->out_fd >= 0) {
		size_t room = c->spec.capture - c->out_len;
		char *to = room ? c->out + c->out_len : sink;
		ssize_t n = read(c->out_fd, to, room ? room : sizeof(sink));

		if (n > 0) {
			if (room)
				c->out_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN) {
			/* end of file or an error: nothing more will come */
			ev_io_stop(c->loop, &c->io);
			close(c->out_fd);
			c->out_fd = -1;
		}
		return;
	}
}

static void close_output(struct child *c)
{
	if (c->out_fd < 0)
		return;
	ev_io_stop(c->loop, &c->io);
	close(c->out_fd);
	c->out_fd = -1;
}

static void on_output(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	drain(w->data);
}

static void deliver(struct child *c, int status, int sig, bool timed_out)
{
	struct child_result res = {
		.status = status,
		.signal = sig,
		.timed_out = timed_out,
		.out = c->out,
		.out_len = c->out_len,
		.seconds = ev_now(c->loop) - c->started,
	};

	c->delivered = true;
	if (c->spec.done)
		c->spec.done(&res, c->spec.done_arg);
}

static void free_child(struct child *c)
{
	close_output(c);
	ev_timer_stop(c->loop, &c->timer);
	ev_child_stop(c->loop, &c->cw);
	unlink_child(c);
	free(c->out);
	free(c);
}

static void on_exit_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child *c = w->data;
	int st = w->rstatus;

	(void)loop;
	(void)revents;
	ev_child_stop(c->loop, &c->cw);
	ev_timer_stop(c->loop, &c->timer);
	if (c->delivered) {
		/* killed earlier (deadline or cancel): only the reaping was left */
		lingering--;
		free_child(c);
		return;
	}
	/* Whatever it wrote before exiting is in the pipe now. A grandchild
	 * (a FUSE daemon, a hook's background job) may keep the pipe open for
	 * ever: read what is there, never wait for the end of file. */
	drain(c);
	close_output(c);
	unlink_child(c); /* done may start other children */
	deliver(c, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		WIFSIGNALED(st) ? WTERMSIG(st) : 0, false);
	c->next = NULL;
	free(c->out);
	free(c);
}

static void kill_child(struct child *c)
{
	if (c->spec.own_group)
		kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct child *c = w->data;

	(void)loop;
	(void)revents;
	log_warn("%s still running after %g s: killed (pid %d)", c->what, c->spec.deadline,
		 (int)c->pid);
	kill_child(c);
	drain(c);
	close_output(c);
	lingering++;
	/* told now: a child stuck in the kernel may never be reaped; it stays
	 * in the table, delivered, until it is */
	deliver(c, -1, SIGKILL, true);
}

void child_reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* SIGKILL, SIGSTOP and RT internals refuse: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child, between fork and run: nothing of the daemon's leaks in. */
static void in_child(const struct child_spec *s, int out_w)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	child_reset_signals();
	if (s->own_group)
		setpgid(0, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out_w >= 0 ? out_w : null, STDOUT_FILENO) < 0 ||
	    (s->merge_stderr && dup2(out_w >= 0 ? out_w : null, STDERR_FILENO) < 0))
		_exit(127);
	if (s->keep_fd > STDERR_FILENO) {
		close_range(STDERR_FILENO + 1, (unsigned)s->keep_fd - 1, 0);
		close_range((unsigned)s->keep_fd + 1, ~0U, 0);
	} else {
		close_range(STDERR_FILENO + 1, ~0U, 0);
	}
	_exit(s->run(s->run_arg) & 0xff);
}

struct child *child_start(struct ev_loop *loop, const struct child_spec *spec, int *err)
{
	struct child *c;
	int p[2] = { -1, -1 };

	*err = 0;
	if (!spec->run || spec->deadline <= 0) {
		*err = -EINVAL;
		return NULL;
	}
	if (lingering >= CHILD_MAX_LINGERING) {
		*err = -EAGAIN;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || (spec->capture && !(c->out = malloc(spec->capture)))) {
		free(c);
		*err = -ENOMEM;
		return NULL;
	}
	c->loop = loop;
	c->spec = *spec;
	c->out_fd = -1;
	snprintf(c->what, sizeof(c->what), "%s", spec->what ? spec->what : "child");
	c->spec.what = c->what;
	if (pipe2(p, O_CLOEXEC) < 0) {
		*err = -errno;
		free(c->out);
		free(c);
		return NULL;
	}
	/* in the table before the fork: in the child too, nothing of the
	 * daemon's is left unreachable (valgrind follows forks, and counts
	 * an unlinked handle as a leak of the child's) */
	c->next = children;
	children = c;
	c->pid = fork();
	if (c->pid < 0) {
		*err = -errno;
		unlink_child(c);
		close(p[0]);
		close(p[1]);
		free(c->out);
		free(c);
		return NULL;
	}
	if (c->pid == 0) {
		close(p[0]);
		in_child(spec, p[1]);
	}
	close(p[1]);
	if (spec->own_group)
		setpgid(c->pid, c->pid); /* here too: the deadline may come first */
	c->out_fd = p[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	c->started = ev_now(loop);
	ev_io_init(&c->io, on_output, c->out_fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_child_init(&c->cw, on_exit_child, c->pid, 0);
	c->cw.data = c;
	ev_child_start(loop, &c->cw);
	ev_timer_init(&c->timer, on_deadline, spec->deadline, 0.);
	c->timer.data = c;
	ev_timer_start(loop, &c->timer);
	return c;
}

void child_cancel(struct child *c)
{
	if (!c || c->delivered)
		return;
	kill_child(c);
	ev_timer_stop(c->loop, &c->timer);
	close_output(c);
	c->delivered = true;
	lingering++;
}

void child_set_deadline(struct child *c, double seconds, const char *what)
{
	if (!c || c->delivered || seconds <= 0)
		return;
	if (what)
		snprintf(c->what, sizeof(c->what), "%s", what);
	c->spec.deadline = seconds;
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, seconds, 0.);
	ev_timer_start(c->loop, &c->timer);
}

pid_t child_pid(const struct child *c)
{
	return c->pid;
}

unsigned child_lingering(void)
{
	return lingering;
}

void child_stop_all(struct ev_loop *loop)
{
	(void)loop;
	while (children) {
		struct child *c = children;

		if (c->spec.kill_at_stop && !c->delivered)
			kill_child(c);
		free_child(c);
	}
	lingering = 0;
}
