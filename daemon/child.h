/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one way mediad runs a child process (probes, flushes, hooks, control
 * actions, optical eject, name lookups): fork, output drained into a bounded
 * buffer, a deadline that kills, reaping by a libev child watcher. Nothing
 * here ever waits for a child in the event loop. */
#ifndef MEDIAD_CHILD_H
#define MEDIAD_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <ev.h>

/* Killed children that the kernel has not let go yet (a probe stuck in an
 * uninterruptible read): past this many, no new child starts (-EAGAIN),
 * so a dying reader cannot make mediad fork without end. */
#define CHILD_MAX_LINGERING 64

struct child_result {
	int status;         /* exit status, or -1 when killed by a signal */
	int signal;         /* the signal that killed it, else 0 */
	bool timed_out;     /* the deadline passed: killed, not waited for */
	const char *out;    /* what it wrote on stdout (capture bytes at most) */
	size_t out_len;
	double seconds;     /* from the start to the exit (or the deadline) */
};

struct child_spec {
	const char *what;     /* for the log, e.g. "probe of /dev/sdb1" */
	double deadline;      /* seconds, > 0: every child has one */
	size_t capture;       /* stdout bytes kept; the rest is read and dropped */
	bool merge_stderr;    /* stderr into the same pipe (exec'd programs) */
	bool own_group;       /* own process group: the kill takes its children */
	bool kill_at_stop;    /* child_stop_all() kills it (else it finishes) */
	int keep_fd;          /* an fd the child keeps (a client socket), -1 none */
	/* runs in the child, after signal dispositions and the mask are
	 * reset and fds closed; its return value is the exit status (an exec
	 * does not return) */
	int (*run)(void *arg);
	void *run_arg;
	/* called exactly once, in the loop, at the exit or at the deadline;
	 * never after child_cancel() */
	void (*done)(const struct child_result *res, void *arg);
	void *done_arg;
};

struct child;

/* Starts a child. Returns its handle (owned by this module: valid until
 * done is called or child_cancel()), or NULL with -errno in *err. */
struct child *child_start(struct ev_loop *loop, const struct child_spec *spec, int *err);

/* Kills the child; done is not called. The handle is invalid after. */
void child_cancel(struct child *c);

/* Restarts c's deadline: seconds (> 0) from now, and names it what (for
 * the log; NULL: unchanged). For a child that works in turns, as a
 * pre-forked probe worker does: each request has its own deadline, and
 * an idle worker one that only backs up its own retirement. */
void child_set_deadline(struct child *c, double seconds, const char *what);

/* The child's pid (for the log). */
pid_t child_pid(const struct child *c);

/* Children killed but not reaped yet. */
unsigned child_lingering(void);

/* Clean stop: kills those started with kill_at_stop, stops watching all
 * (init reaps what is left). No done callback runs. */
void child_stop_all(struct ev_loop *loop);

/* Resets what a forked child inherits from the daemon: every signal's
 * disposition to the default, an empty signal mask. Exposed for the one
 * fork that is not a child of this module (daemonize). */
void child_reset_signals(void);

#endif
