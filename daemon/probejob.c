/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probe jobs and the worker pool that runs them (see probejob.h). Why a
 * pool: a fork per probe, plus its exit and reaping, was the largest part
 * of plug-to-link on the kernel source after the read itself (measured on
 * a 2-CPU VM: fork to the child's first line 0.23-0.46 ms, exit to the
 * answer 0.13 ms, of 2.3 ms); a worker answers a request on a SOCK_SEQPACKET
 * socketpair in one round trip (6-9 us). Each worker is a child of
 * daemon/child.c like any other (drained output, deadline, kill, reaping):
 * a request restarts its deadline, which kills a worker stuck in a read;
 * the next request forks a new one. A killed worker that the kernel keeps
 * (uninterruptible read) no longer counts against PROBEJOB_MAX: eight dead
 * readers never stop the probing of other devices. Never blocks the loop:
 * a request goes to an idle worker, whose socket buffer is empty. The
 * worker's side is daemon/probeworker.c. */
#include "probejob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "optical.h"
#include "probeworker.h"

/* A cancelled probe still running after this looks stuck: its worker is
 * killed rather than left to its deadline. A younger one is let finish,
 * its answer dropped: killing it would cost the next probe a fork. */
#define CANCEL_KILL_SECS 1.0

struct probe_job {
	struct probe_job *next;
	struct probejobs *pj;
	struct devinfo info;
	struct probe_worker *worker; /* NULL: waiting for one */
	double started;
	bool retry;
};

struct probe_worker {
	struct probe_worker *next;
	struct probejobs *pj;
	struct child *child;   /* NULL once it has ended */
	int fd;                /* our end of the socketpair, -1 once closed */
	int child_fd;          /* the worker's end, until it is forked */
	ev_io io;
	bool busy;             /* a request is out: the answer will come */
	struct probe_job *job; /* whom the answer is for; NULL: dropped */
	double idle_since;
};

static void dispatch(struct probejobs *pj);

/* In the worker (forked by child.c): its end of the socketpair. */
static int worker_run(void *arg)
{
	const struct probe_worker *w = arg;

	return probeworker_run(w->child_fd);
}

void probejob_init(struct probejobs *pj, struct ev_loop *loop, probejob_done_fn *done,
		   void *arg)
{
	memset(pj, 0, sizeof(*pj));
	pj->loop = loop;
	pj->timeout = 15;
	pj->done = done;
	pj->arg = arg;
	ev_init(&pj->retire, NULL);
}

unsigned probejob_pending(const struct probejobs *pj)
{
	unsigned n = 0;

	for (const struct probe_job *j = pj->head; j; j = j->next)
		n++;
	return n;
}

static void unlink_job(struct probejobs *pj, struct probe_job *job)
{
	for (struct probe_job **p = &pj->head; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	free(job);
}

/* Hands the answer over; the job is gone after. */
static void finish(struct probejobs *pj, struct probe_job *job, const struct fsinfo *fs,
		   bool timed_out, const char *error)
{
	struct devinfo info = job->info;
	bool retry = job->retry;

	memset(&info.fs, 0, sizeof(info.fs));
	if (fs)
		info.fs = *fs;
	else if (error)
		snprintf(info.fs.error, sizeof(info.fs.error), "%s", error);
	unlink_job(pj, job);
	pj->done(&info, timed_out, retry, pj->arg);
}

static void close_worker(struct probe_worker *w)
{
	if (w->fd >= 0) {
		ev_io_stop(w->pj->loop, &w->io);
		close(w->fd);
		w->fd = -1;
	}
}

static void free_worker(struct probe_worker *w)
{
	struct probejobs *pj = w->pj;

	close_worker(w);
	for (struct probe_worker **p = &pj->workers; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	free(w);
}

/* The worker ended: retired, died, or killed at its deadline. */
static void on_worker_done(const struct child_result *res, void *arg)
{
	struct probe_worker *w = arg;
	struct probejobs *pj = w->pj;
	struct probe_job *job = w->job;

	w->child = NULL;
	if (job) {
		job->worker = NULL;
		if (res->timed_out)
			finish(pj, job, NULL, true, NULL);
		else
			finish(pj, job, NULL, false, "probe failed: the probing process died");
	}
	free_worker(w);
	dispatch(pj);
}

static void retire_check(struct probejobs *pj);

static void on_worker_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct probe_worker *w = io->data;
	struct probejobs *pj = w->pj;
	struct probe_job *job = w->job;
	struct fsinfo fs;
	ssize_t n = read(w->fd, &fs, sizeof(fs));

	(void)revents;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(fs)) {
		/* it died: on_worker_done tells its job */
		close_worker(w);
		return;
	}
	w->busy = false;
	w->job = NULL;
	w->idle_since = ev_now(loop);
	/* backs up the retirement only: retire_check closes it sooner */
	child_set_deadline(w->child, PROBEJOB_IDLE_SECS + 10, "idle probe worker");
	if (job)
		finish(pj, job, &fs, false, NULL);
	dispatch(pj);
	retire_check(pj);
}

static struct probe_worker *spawn_worker(struct probejobs *pj, int *err)
{
	struct probe_worker *w = calloc(1, sizeof(*w));
	struct child_spec s = {
		.what = "idle probe worker",
		.deadline = PROBEJOB_IDLE_SECS + 10,
		.kill_at_stop = true,
		.run = worker_run,
		.done = on_worker_done,
	};
	int sv[2];

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		*err = -errno;
		free(w);
		return NULL;
	}
	w->pj = pj;
	w->fd = sv[0];
	w->child_fd = sv[1];
	w->idle_since = ev_now(pj->loop);
	s.keep_fd = sv[1];
	s.run_arg = s.done_arg = w;
	w->next = pj->workers; /* listed before the fork: see child.c */
	pj->workers = w;
	w->child = child_start(pj->loop, &s, err);
	close(sv[1]);
	w->child_fd = -1;
	if (!w->child) {
		free_worker(w);
		return NULL;
	}
	fcntl(w->fd, F_SETFL, O_NONBLOCK);
	ev_io_init(&w->io, on_worker_io, w->fd, EV_READ);
	w->io.data = w;
	ev_io_start(pj->loop, &w->io);
	return w;
}

static unsigned busy_workers(const struct probejobs *pj)
{
	unsigned n = 0;

	for (const struct probe_worker *w = pj->workers; w; w = w->next)
		n += w->busy;
	return n;
}

static struct probe_worker *idle_worker(const struct probejobs *pj)
{
	for (struct probe_worker *w = pj->workers; w; w = w->next)
		if (!w->busy && w->fd >= 0 && w->child)
			return w;
	return NULL;
}

/* Sends job to w; false when w turned out to be gone (it is closed). */
static bool send_job(struct probe_worker *w, struct probe_job *job)
{
	struct probe_req rq;
	char what[160];

	memset(&rq, 0, sizeof(rq));
	snprintf(rq.devname, sizeof(rq.devname), "%s", job->info.devname);
	rq.flush = job->info.media_changed || optical_is_drive(job->info.kname);
	rq.lock = w->pj->lock_discs && optical_is_drive(job->info.kname);
	if (send(w->fd, &rq, sizeof(rq), MSG_NOSIGNAL) != (ssize_t)sizeof(rq)) {
		close_worker(w);
		return false;
	}
	snprintf(what, sizeof(what), "probe of %s", job->info.devname);
	child_set_deadline(w->child, w->pj->timeout, what);
	w->busy = true;
	w->job = job;
	job->worker = w;
	job->started = ev_now(w->pj->loop);
	return true;
}

static void dispatch(struct probejobs *pj)
{
	for (struct probe_job *j = pj->head; j;) {
		struct probe_job *next = j->next;
		struct probe_worker *w;
		int err = 0;

		if (j->worker) {
			j = next;
			continue;
		}
		if (busy_workers(pj) >= PROBEJOB_MAX)
			return;
		w = idle_worker(pj);
		if (!w)
			w = spawn_worker(pj, &err);
		if (!w) {
			char why[100];

			log_err("%s: cannot start a probe: %s", j->info.devname, strerror(-err));
			snprintf(why, sizeof(why), "cannot start a probe: %s", strerror(-err));
			finish(pj, j, NULL, false, why);
			/* the callback may have changed the list */
			j = pj->head;
			continue;
		}
		if (!send_job(w, j))
			continue; /* that worker is gone: the same job again */
		j = next;
	}
}

static void on_retire(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	retire_check(t->data);
}

/* Closes the socket of workers idle for PROBEJOB_IDLE_SECS (they exit on
 * the end of file); keeps the timer only while some are idle. */
static void retire_check(struct probejobs *pj)
{
	double now = ev_now(pj->loop), next = 0;

	for (struct probe_worker *w = pj->workers; w; w = w->next) {
		double left;

		if (w->busy || w->fd < 0)
			continue;
		left = w->idle_since + PROBEJOB_IDLE_SECS - now;
		if (left <= 0)
			close_worker(w);
		else if (!next || left < next)
			next = left;
	}
	ev_timer_stop(pj->loop, &pj->retire);
	if (next > 0) {
		ev_timer_init(&pj->retire, on_retire, next, 0.);
		pj->retire.data = pj;
		ev_timer_start(pj->loop, &pj->retire);
	}
}

void probejob_prewarm(struct probejobs *pj)
{
	int err;

	if (!idle_worker(pj) && busy_workers(pj) < PROBEJOB_MAX && spawn_worker(pj, &err))
		retire_check(pj);
}

void probejob_cancel(struct probejobs *pj, dev_t devnum)
{
	for (struct probe_job *j = pj->head, *next; j; j = next) {
		struct probe_worker *w = j->worker;

		next = j->next;
		if (j->info.devnum != devnum)
			continue;
		if (w && ev_now(pj->loop) - j->started >= CANCEL_KILL_SECS) {
			child_cancel(w->child); /* its done is not called */
			w->child = NULL;
			free_worker(w);
		} else if (w) {
			w->job = NULL; /* busy still: its answer is dropped */
		}
		unlink_job(pj, j);
	}
}

int probejob_start(struct probejobs *pj, const struct devinfo *info, bool retry)
{
	struct probe_job *job = calloc(1, sizeof(*job));
	struct probe_job **tail;

	if (!job)
		return -ENOMEM;
	probejob_cancel(pj, info->devnum);
	job->pj = pj;
	job->info = *info;
	job->retry = retry;
	for (tail = &pj->head; *tail; tail = &(*tail)->next)
		;
	*tail = job;
	dispatch(pj);
	return 0;
}

void probejob_stop_all(struct probejobs *pj)
{
	while (pj->head)
		unlink_job(pj, pj->head);
	while (pj->workers) {
		struct probe_worker *w = pj->workers;

		pj->workers = w->next; /* off the list first: free_worker frees it */
		w->next = NULL;
		child_cancel(w->child);
		w->child = NULL;
		free_worker(w);
	}
	ev_timer_stop(pj->loop, &pj->retire);
}
