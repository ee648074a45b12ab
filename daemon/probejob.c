/* Probe children: fork, probe, write struct fsinfo into a pipe, exit. The
 * parent never blocks on them: a libev child watcher reads the result when
 * the child exits, a timer kills one that takes longer than probe_timeout.
 * A killed child stuck in an uninterruptible read is still reaped by its
 * watcher when the kernel lets it go; it never blocks the loop. */
#include "probejob.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "mediad.h"
#include "optical.h"
#include "probe.h"

struct probe_job {
	struct probe_job *next;
	struct mediad *md;
	struct devinfo info;
	pid_t pid;          /* 0: waiting for a slot */
	int fd;             /* read end of the result pipe */
	bool cancelled;
	bool timed_out;
	bool retry;
	ev_child child_w;
	ev_timer timer_w;
};

static unsigned running(const struct mediad *md)
{
	unsigned n = 0;

	for (const struct probe_job *j = md->probes; j; j = j->next)
		n += j->pid > 0;
	return n;
}

unsigned probejob_pending(const struct mediad *md)
{
	unsigned n = 0;

	for (const struct probe_job *j = md->probes; j; j = j->next)
		n += !j->cancelled;
	return n;
}

static void unlink_job(struct mediad *md, struct probe_job *job)
{
	for (struct probe_job **p = &md->probes; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	if (job->fd >= 0)
		close(job->fd);
	free(job);
}

static void start_waiting(struct mediad *md);

static void finish(struct probe_job *job)
{
	struct mediad *md = job->md;
	struct devinfo info = job->info;
	bool deliver = !job->cancelled, timed_out = job->timed_out, retry = job->retry;

	if (!timed_out && deliver) {
		ssize_t n = read(job->fd, &info.fs, sizeof(info.fs));

		if (n != (ssize_t)sizeof(info.fs)) {
			memset(&info.fs, 0, sizeof(info.fs));
			snprintf(info.fs.error, sizeof(info.fs.error),
				 "probe failed: the probing process died");
		}
	}
	ev_timer_stop(md->loop, &job->timer_w);
	unlink_job(md, job);
	if (deliver)
		events_probe_done(md, &info, timed_out, retry);
	start_waiting(md);
}

static void on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct probe_job *job = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	finish(job);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe_job *job = w->data;

	(void)loop;
	(void)revents;
	/* The child watcher still reaps it; we stop waiting for it now. */
	job->timed_out = true;
	kill(job->pid, SIGKILL);
	log_warn("%s: probe did not answer within %u s: killed", job->info.devname,
		 job->md->cfg.probe_timeout);
	{
		struct mediad *md = job->md;
		struct devinfo info = job->info;
		bool retry = job->retry;

		memset(&info.fs, 0, sizeof(info.fs));
		/* deliver now; the job lingers, cancelled, until reaped */
		job->cancelled = true;
		events_probe_done(md, &info, true, retry);
	}
}

static int spawn(struct probe_job *job)
{
	struct mediad *md = job->md;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		struct fsinfo fs;
		ssize_t n;

		close(p[0]);
		if (job->info.media_changed || optical_is_drive(job->info.kname)) {
			/* drop what the block cache still holds of a medium
			 * that is gone, so the probe reads the new one */
			int fd = open(job->info.devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

			if (fd >= 0) {
				ioctl(fd, BLKFLSBUF, 0);
				close(fd);
			}
		}
		probe_device(job->info.devname, &fs);
		if (fs.found && optical_is_drive(job->info.kname) &&
		    md->source == SOURCE_KERNEL) {
			/* as udev's cdrom_id --lock-media: the button then asks */
			int fd = open(job->info.devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

			if (fd >= 0) {
				optical_lock(fd);
				close(fd);
			}
		}
		n = write(p[1], &fs, sizeof(fs));
		_exit(n == (ssize_t)sizeof(fs) ? 0 : 1);
	}
	close(p[1]);
	job->pid = pid;
	job->fd = p[0];
	ev_child_init(&job->child_w, on_child, pid, 0);
	job->child_w.data = job;
	ev_child_start(md->loop, &job->child_w);
	ev_timer_init(&job->timer_w, on_timeout, (double)md->cfg.probe_timeout, 0.);
	job->timer_w.data = job;
	ev_timer_start(md->loop, &job->timer_w);
	return 0;
}

static void start_waiting(struct mediad *md)
{
	for (struct probe_job *j = md->probes; j && running(md) < PROBEJOB_MAX;) {
		struct probe_job *next = j->next;

		if (j->pid == 0 && !j->cancelled) {
			int r = spawn(j);

			if (r < 0) {
				struct devinfo info = j->info;

				log_err("%s: cannot start a probe: %s", info.devname, strerror(-r));
				snprintf(info.fs.error, sizeof(info.fs.error),
					 "cannot start a probe: %s", strerror(-r));
				unlink_job(md, j);
				events_probe_done(md, &info, false, true);
			}
		} else if (j->pid == 0 && j->cancelled) {
			unlink_job(md, j);
		}
		j = next;
	}
}

void probejob_cancel(struct mediad *md, dev_t devnum)
{
	for (struct probe_job *j = md->probes; j; j = j->next) {
		if (j->info.devnum != devnum || j->cancelled)
			continue;
		j->cancelled = true;
		if (j->pid > 0) {
			kill(j->pid, SIGKILL);
			ev_timer_stop(md->loop, &j->timer_w);
		}
	}
}

int probejob_start(struct mediad *md, const struct devinfo *info, bool retry)
{
	struct probe_job *job = calloc(1, sizeof(*job));
	struct probe_job **tail;

	if (!job)
		return -ENOMEM;
	probejob_cancel(md, info->devnum);
	job->md = md;
	job->info = *info;
	job->fd = -1;
	job->retry = retry;
	for (tail = &md->probes; *tail; tail = &(*tail)->next)
		;
	*tail = job;
	start_waiting(md);
	return 0;
}

void probejob_stop_all(struct mediad *md)
{
	while (md->probes) {
		struct probe_job *j = md->probes;

		if (j->pid > 0) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
			ev_child_stop(md->loop, &j->child_w);
			ev_timer_stop(md->loop, &j->timer_w);
		}
		unlink_job(md, j);
	}
}
