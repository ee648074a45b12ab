/* Flush children: fork, syncfs() the medium's mount, exit. syncfs may
 * wait on a slow or dying device for as long as the device takes; only
 * the child waits. A child never mounts anything: the mount is opened
 * with O_PATH (lib/flush.c), so an expired medium is left alone. */
#include "idleflush.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flush.h"
#include "log.h"
#include "mediad.h"

struct flush_job {
	struct flush_job *next;
	struct mediad *md;
	ev_child child_w;
	unsigned serial;   /* the medium's flush_serial while it runs */
	double started;    /* ev_now */
	int64_t written0;  /* the device's write counter at the start */
	unsigned devmajor, devminor;
};

/* exit statuses of the child */
enum { FLUSHED = 0, SYNCFS_FAILED = 1, NOT_MOUNTED = 3, OPEN_FAILED = 4 };

static void unlink_job(struct mediad *md, struct flush_job *job)
{
	for (struct flush_job **p = &md->flushes; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	free(job);
}

static struct medium *medium_of(struct mediad *md, unsigned serial)
{
	for (size_t i = 0; i < md->media.n; i++)
		if (md->media.v[i]->flush_serial == serial)
			return md->media.v[i];
	return NULL; /* gone meanwhile */
}

static void on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct flush_job *job = w->data;
	struct mediad *md = job->md;
	struct medium *e = medium_of(md, job->serial);
	int st = WIFEXITED(w->rstatus) ? WEXITSTATUS(w->rstatus) : -1;

	(void)revents;
	ev_child_stop(loop, w);
	if (e) {
		struct flush_result fr = { .done = true, .seconds = ev_now(loop) - job->started };
		int64_t written1 = flush_written(job->devmajor, job->devminor);
		char what[64];

		e->flush_serial = 0;
		fr.bytes = job->written0 >= 0 && written1 >= job->written0 ?
				   written1 - job->written0 : -1;
		flush_describe(&fr, what, sizeof(what));
		if (st == FLUSHED) {
			log_info("%s (%s): flushed %s, after %u s without writes", e->rec.name,
				 e->rec.devname, what, md->cfg.flush_idle);
			dirty_flushed(md, e);
		} else {
			/* not again until something changes */
			e->flushed_activity = e->activity;
			log_notice("%s (%s): could not flush it (%s)", e->rec.name,
				   e->rec.devname,
				   st == NOT_MOUNTED ? "no longer mounted" :
				   st == SYNCFS_FAILED ? "the device reported a write error" :
				   st == OPEN_FAILED ? "cannot open its mount" : "the flush died");
		}
	}
	unlink_job(md, job);
}

void idleflush_start(struct mediad *md, struct medium *e)
{
	struct flush_job *job = calloc(1, sizeof(*job));
	pid_t pid;

	if (!job) {
		log_err("%s: cannot flush: %s", e->rec.name, strerror(ENOMEM));
		return;
	}
	job->md = md;
	if (++md->flush_serial_next == 0) /* 0 means "none running" */
		md->flush_serial_next = 1;
	job->serial = md->flush_serial_next;
	job->started = ev_now(md->loop);
	job->devmajor = e->rec.devmajor;
	job->devminor = e->rec.devminor;
	job->written0 = flush_written(job->devmajor, job->devminor);
	pid = fork();
	if (pid < 0) {
		log_err("%s (%s): cannot fork a flush: %m", e->rec.name, e->rec.devname);
		free(job);
		return;
	}
	if (pid == 0) {
		int fd = flush_open_mounted(e->rec.mountpoint);

		if (fd < 0)
			_exit(fd == -ENOENT ? NOT_MOUNTED : OPEN_FAILED);
		_exit(syncfs(fd) < 0 ? SYNCFS_FAILED : FLUSHED);
	}
	e->flush_serial = job->serial;
	ev_child_init(&job->child_w, on_child, pid, 0);
	job->child_w.data = job;
	ev_child_start(md->loop, &job->child_w);
	job->next = md->flushes;
	md->flushes = job;
	log_debug("%s (%s): flushing, %u s without writes", e->rec.name, e->rec.devname,
		  md->cfg.flush_idle);
}

void idleflush_stop_all(struct mediad *md)
{
	while (md->flushes) {
		struct flush_job *job = md->flushes;

		ev_child_stop(md->loop, &job->child_w);
		md->flushes = job->next;
		free(job);
	}
}
