/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The requests of encrypted media (see cryptctl.h, cryptreq.h): the
 * unlock's secret, the back-off, the helper and the one answer of each;
 * the verbs that start them are daemon/cryptverb.c. One request per
 * container at a time. Must never log, copy or keep a secret: it is read
 * into one locked page-aligned buffer, written into the helper's pipe and
 * wiped on the spot. */
#include "cryptctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backoff.h"
#include "change.h"
#include "control.h"
#include "crypt.h"
#include "cryptreq.h"
#include "cryptrun.h"
#include "log.h"
#include "mediad.h"

#define CREQ_MAX (CONTROL_MAX_CLIENTS + 16) /* the rest: auto-unlocks */
#define PUBLISH_SECS 15.0 /* the cleartext's event and probe, after the helper */

static struct creq reqs[CREQ_MAX];
static struct backoff backoff;
static char *secbuf; /* secbuf_size >= UNLOCK_MSG_MAX + 1: locked, not dumped */
static size_t secbuf_size;

static struct creq *of_client(const struct control_client *cl)
{
	for (size_t i = 0; cl && i < CREQ_MAX; i++)
		if (reqs[i].used && reqs[i].cl == cl)
			return &reqs[i];
	return NULL;
}

bool cryptctl_busy(const char *kname)
{
	for (size_t i = 0; i < CREQ_MAX; i++)
		if (reqs[i].used && !strcmp(reqs[i].kname, kname))
			return true;
	return false;
}

struct creq *creq_new(struct mediad *md, struct control_client *cl, const struct medium *ct,
		      const char *verb)
{
	for (size_t i = 0; i < CREQ_MAX; i++) {
		struct creq *q = &reqs[i];

		if (q->used)
			continue;
		memset(q, 0, sizeof(*q));
		q->used = true;
		q->cl = cl;
		q->md = md;
		q->uid = cl ? cl->uid : 0;
		q->secret_fd = -1;
		snprintf(q->kname, sizeof(q->kname), "%s", ct->rec.kname);
		snprintf(q->devname, sizeof(q->devname), "%s", ct->rec.devname);
		snprintf(q->what, sizeof(q->what), "%s of %s", verb, ct->rec.kname);
		q->devnum = ct->devnum;
		if (unlockproto_map_name(ct->rec.kname, (unsigned long long)ct->rec.diskseq,
					 q->map, sizeof(q->map)) < 0)
			q->map[0] = '\0';
		ev_init(&q->timer, NULL);
		q->timer.data = q;
		return q;
	}
	return NULL;
}

void creq_free(struct creq *q)
{
	ev_timer_stop(q->md->loop, &q->timer);
	if (q->child)
		child_cancel(q->child);
	if (q->secret_fd >= 0)
		close(q->secret_fd);
	q->used = false;
}

void creq_answer(struct creq *q, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	control_vreply(q->cl, ok, fmt, ap);
	va_end(ap);
	creq_free(q);
}

void creq_refuse(struct control_client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	control_vreply(cl, false, fmt, ap);
	va_end(ap);
}

static bool secbuf_ready(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (secbuf)
		return true;
	page = page > 0 ? page : 4096;
	secbuf_size = (UNLOCK_MSG_MAX + 1 + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, secbuf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	madvise(p, secbuf_size, MADV_DONTDUMP);
	if (mlock(p, secbuf_size) < 0)
		log_warn("unlock: cannot lock the secret's buffer in memory: %m");
	secbuf = p;
	return true;
}

static void on_publish_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct creq *q = w->data;

	(void)loop;
	(void)revents;
	creq_answer(q, true, "%s opened as /dev/mapper/%s, not published yet (medialist --all)",
	       q->kname, q->map);
}

static void on_open_done(const struct child_result *res, void *arg)
{
	struct creq *q = arg;
	const struct medium *clear;
	char msg[400];

	q->child = NULL;
	cryptrun_message(res, msg, sizeof(msg));
	if (res->timed_out) {
		log_err("%s for uid %u: still running after %u s: killed", q->what,
			(unsigned)q->uid, q->md->cfg.unlock_timeout);
		creq_answer(q, false, "%s: the unlock took longer than %u s (unlock_timeout): "
			    "stopped", q->kname, q->md->cfg.unlock_timeout);
		return;
	}
	if (res->status == UNLOCK_EXIT_WRONG) {
		if (q->cl)
			backoff_failed(&backoff, q->uid, ev_now(q->md->loop));
		log_notice("%s for uid %u: %s (%u in a row; %.2f s)", q->what, (unsigned)q->uid,
			   msg, backoff_fails(&backoff, q->uid, ev_now(q->md->loop)), res->seconds);
		creq_answer(q, false, "%s", msg);
		return;
	}
	if (res->status != 0 || res->signal) {
		log_err("%s for uid %u failed: %s", q->what, (unsigned)q->uid, msg);
		creq_answer(q, false, "%s", msg);
		return;
	}
	if (q->cl)
		backoff_succeeded(&backoff, q->uid);
	/* the seconds: the key derivation's cost, as the README reports it */
	log_info("%s for uid %u: %s (%.2f s)", q->what, (unsigned)q->uid, msg, res->seconds);
	if (q->opts.test || !q->cl) {
		creq_answer(q, true, "%s", msg);
		return;
	}
	/* the answer names the medium: wait for its event and probe */
	q->state = CR_PUBLISH;
	ev_timer_init(&q->timer, on_publish_timeout, PUBLISH_SECS, 0.);
	ev_timer_start(q->md->loop, &q->timer);
	clear = crypt_find_cleartext(q->md, q->kname);
	if (clear && change_announced(clear))
		cryptctl_published(q->md, q->kname, clear);
}

/* Starts the helper on q->secret_fd (taken over). */
static void run_helper(struct creq *q)
{
	struct cryptrun_open o = {
		.what = q->what,
		.devname = q->devname,
		.devnum = q->devnum,
		.map = q->map,
		.opts = q->opts,
		.raw = q->raw,
		.secret_fd = q->secret_fd,
		.deadline = q->md->cfg.unlock_timeout,
		.memory_mb = q->md->cfg.unlock_memory,
		.done = on_open_done,
		.arg = q,
	};
	int err;

	q->secret_fd = -1; /* cryptrun_open closes it, whatever happens */
	q->state = CR_RUN;
	q->child = cryptrun_open(q->md->loop, &o, &err);
	if (!q->child)
		creq_answer(q, false, "%s: cannot start mediad-unlock: %s", q->kname, strerror(-err));
}

static void on_backoff(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_helper(w->data);
}

static void on_secret_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct creq *q = w->data;

	(void)loop;
	(void)revents;
	creq_answer(q, false, "timed out waiting for the secret");
}

void creq_expect_secret(struct creq *q)
{
	q->state = CR_SECRET;
	ev_timer_stop(q->md->loop, &q->cl->timer); /* control.c's: ours now */
	ev_timer_init(&q->timer, on_secret_timeout, CONTROL_IDLE_SECS, 0.);
	ev_timer_start(q->md->loop, &q->timer);
}

bool cryptctl_reads(const struct control_client *cl)
{
	return of_client(cl) != NULL;
}

/* The secret message: into the locked buffer, checked, into a pipe for
 * the helper, wiped. */
void cryptctl_on_readable(struct control_client *cl)
{
	struct creq *q = of_client(cl);
	unsigned pim;
	size_t off;
	ssize_t n;
	int p[2], r;
	double delay;

	if (!q || q->state != CR_SECRET) {
		ev_io_stop(cl->ctl->loop, &cl->io); /* nothing more is read */
		return;
	}
	if (!secbuf_ready()) {
		creq_answer(q, false, "out of memory");
		return;
	}
	/* MSG_TRUNC: the real length, so an oversized secret is refused
	 * rather than used in part */
	n = recv(cl->fd, secbuf, UNLOCK_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_debug("%s: uid %u left before sending the secret", q->what, (unsigned)q->uid);
		creq_answer(q, false, "no secret");
		return;
	}
	r = (size_t)n > UNLOCK_MSG_MAX ? -E2BIG : unlockproto_parse_secret(secbuf, (size_t)n,
									    &pim, &off);
	if (r == 0 && pim && q->opts.type != UNLOCK_VERACRYPT)
		r = -EINVAL;
	if (r == 0 && pipe2(p, O_CLOEXEC) < 0)
		r = -errno;
	if (r == 0) {
		/* at most UNLOCK_MSG_MAX bytes: far below a pipe's capacity,
		 * so the write never waits */
		if (write(p[1], secbuf, (size_t)n) != n)
			r = -EIO;
		close(p[1]);
		q->secret_fd = p[0];
	}
	explicit_bzero(secbuf, (size_t)n < secbuf_size ? (size_t)n : secbuf_size);
	ev_io_stop(cl->ctl->loop, &cl->io);
	ev_timer_stop(q->md->loop, &q->timer);
	if (r < 0) {
		creq_answer(q, false, "%s",
			    r == -E2BIG ? "secret longer than 8192 bytes"
			    : r == -EIO ? "cannot pass the secret on"
					: "malformed secret message (a PIM is for VeraCrypt only)");
		return;
	}
	delay = backoff_delay(&backoff, q->uid, ev_now(q->md->loop));
	if (delay > 0) {
		log_notice("%s for uid %u waits %.0f s after %u wrong secrets", q->what,
			   (unsigned)q->uid, delay,
			   backoff_fails(&backoff, q->uid, ev_now(q->md->loop)));
		q->state = CR_WAIT;
		ev_timer_init(&q->timer, on_backoff, delay, 0.);
		ev_timer_start(q->md->loop, &q->timer);
		return;
	}
	run_helper(q);
}

void cryptctl_published(struct mediad *md, const char *container, const struct medium *clear)
{
	(void)md;
	for (size_t i = 0; i < CREQ_MAX; i++) {
		struct creq *q = &reqs[i];

		if (!q->used || q->state != CR_PUBLISH || strcmp(q->kname, container))
			continue;
		if (clear->offered)
			creq_answer(q, true, "%s unlocked as %s\nunlocked_as %s", container,
			       clear->rec.name, clear->rec.name);
		else
			creq_answer(q, true, "%s unlocked, but %s is not offered: %s\nunlocked_as %s",
			       container, clear->rec.kname, clear->rec.reason, clear->rec.kname);
	}
}

void cryptctl_gone(struct mediad *md, const char *container)
{
	(void)md;
	for (size_t i = 0; i < CREQ_MAX; i++) {
		struct creq *q = &reqs[i];

		/* a lock or eject child finds out itself, and answers */
		if (q->used && q->state != CR_LOCK && !strcmp(q->kname, container))
			creq_answer(q, false, "%s was removed", container);
	}
}

int cryptctl_auto(struct mediad *md, const struct medium *ct, int keyfd)
{
	struct creq *q = cryptctl_busy(ct->rec.kname) ? NULL : creq_new(md, NULL, ct, "auto-unlock");

	if (!q) {
		close(keyfd);
		return -EBUSY;
	}
	q->opts.type = crypt_type_of(&ct->rec);
	q->opts.keyfile = true;
	q->raw = true;
	q->secret_fd = keyfd;
	log_info("%s: with its key in %s", q->what, md->cfg.key_dir);
	run_helper(q);
	return 0;
}
