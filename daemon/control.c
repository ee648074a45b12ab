/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control socket: accepts, checks the peer, parses one bounded request,
 * answers or starts an action child. Every fd is non-blocking and every
 * client has a timer: nothing a client does can stall the loop. Must
 * never act on a name that is not a published medium. Past 400 lines:
 * accept, slots, parse and action share the client state; the unlock
 * exchange lives apart in cryptctl.c. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "child.h"
#include "cryptctl.h"
#include "eject.h"
#include "events.h"
#include "flush.h"
#include "log.h"
#include "mediad.h"
#include "statedir.h"

int control_parse(const char *buf, size_t len, char verb[16], char arg[NAME_BUF])
{
	char tmp[CONTROL_REQ_MAX + 1];
	const char *sp;
	size_t vlen;

	if (len > CONTROL_REQ_MAX || len == 0)
		return -EINVAL;
	if (buf[len - 1] == '\n')
		len--;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	if (strlen(tmp) != len)
		return -EINVAL; /* a NUL inside */
	sp = strchr(tmp, ' ');
	vlen = sp ? (size_t)(sp - tmp) : len;
	if (vlen == 0 || vlen >= 16)
		return -EINVAL;
	memcpy(verb, tmp, vlen);
	verb[vlen] = '\0';
	arg[0] = '\0';
	if (!strcmp(verb, "ping") || !strcmp(verb, "rescan"))
		return sp ? -EINVAL : 0;
	if (strcmp(verb, "unmount") && strcmp(verb, "eject"))
		return -EINVAL;
	if (!sp || !name_is_valid(sp + 1))
		return -EINVAL;
	snprintf(arg, NAME_BUF, "%s", sp + 1);
	return 0;
}

static void client_close(struct control_client *cl)
{
	struct ev_loop *loop = cl->ctl->loop;

	if (cl->fd < 0)
		return;
	ev_io_stop(loop, &cl->io);
	ev_timer_stop(loop, &cl->timer);
	close(cl->fd);
	cl->fd = -1;
	/* a running action child stays watched: its slot is busy until it
	 * has been reaped (see on_child) */
}

static void reply(struct control_client *cl, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply(struct control_client *cl, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	control_vreply(cl, ok, fmt, ap);
	va_end(ap);
}

void control_answer(struct control_client *cl, const char *text)
{
	if (cl->fd >= 0 && send(cl->fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: client pid %d gone before the reply: %m", (int)cl->peer_pid);
	client_close(cl);
}

void control_vreply(struct control_client *cl, bool ok, const char *fmt, va_list ap)
{
	char buf[CONTROL_REPLY_MAX];
	int n = snprintf(buf, sizeof(buf), "%s ", ok ? "ok" : "error");

	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (cl)
		control_answer(cl, buf);
}

static void on_action_done(const struct child_result *res, void *arg)
{
	struct control_client *cl = arg;

	cl->child = NULL;
	if (res->timed_out) {
		log_err("control: %s for uid %u still running after %.0f s: killed",
			cl->what, (unsigned)cl->uid, CONTROL_ACTION_SECS);
		reply(cl, false, "%s timed out", cl->what);
		return;
	}
	if (res->status == 0)
		log_info("control: %s for uid %u done", cl->what, (unsigned)cl->uid);
	else
		log_err("control: %s for uid %u failed: %s", cl->what, (unsigned)cl->uid,
			res->status > 0 ? strerror(res->status) : "killed");
	/* the child's message travels on the client's socket: it wrote the
	 * reply itself; here only the fd is released */
	client_close(cl);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_client *cl = w->data;

	(void)loop;
	(void)revents;
	log_debug("control: client pid %d sent nothing: dropped", (int)cl->peer_pid);
	reply(cl, false, "timed out waiting for a request");
}

struct action {
	const struct control_client *cl;
	const char *verb;
	const struct medium *e;
};

/* In the child (daemon/child.c): the action itself. It answers the
 * client and exits with 0 or an errno value. */
static int action_run(void *arg)
{
	const struct action *a = arg;
	const struct control_client *cl = a->cl;
	const struct media *mt = &cl->ctl->md->media;
	struct mediaction act = {
		.media_dir = cl->ctl->md->cfg.media_dir,
		.root = cl->uid == 0,
	};
	/* the offered media of the table (this child's copy of it): only
	 * their mounts under <media_dir>/auto may be touched */
	dev_t *offered = calloc(mt->n + 1, sizeof(*offered));
	char buf[CONTROL_REPLY_MAX];
	int r;

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; offered && i < mt->n; i++)
		if (mt->v[i]->offered)
			offered[act.n_offered++] = mt->v[i]->devnum;
	act.offered = offered;
	/* lib/mediaction.c: the same checks and reply as medialist's */
	r = mediaction_run(&act, a->verb, &a->e->rec, buf, sizeof(buf));
	free(offered);
	if (send(cl->fd, buf, strlen(buf), MSG_NOSIGNAL) < 0)
		r = r ? r : -EPIPE;
	return r < 0 ? (-r & 0xff) : 0;
}

/* Runs the action in a child: umount and power-off may block for as long
 * as the device takes to write back. */
static void start_action(struct control_client *cl, const char *verb,
			 const struct medium *e)
{
	struct control *ctl = cl->ctl;
	struct action a = { .cl = cl, .verb = verb, .e = e };
	struct child_spec s = {
		.what = cl->what,
		.deadline = CONTROL_ACTION_SECS,
		.keep_fd = cl->fd,
		.run = action_run,
		.run_arg = &a,
		.done = on_action_done,
		.done_arg = cl,
	};
	int err;

	snprintf(cl->what, sizeof(cl->what), "%s %s", verb, e->rec.name);
	cl->child = child_start(ctl->loop, &s, &err);
	if (!cl->child) {
		reply(cl, false, "%s: cannot start: %s", e->rec.name, strerror(-err));
		return;
	}
	/* the child answers; the client's own timer no longer applies */
	ev_io_stop(ctl->loop, &cl->io);
	ev_timer_stop(ctl->loop, &cl->timer);
	log_info("control: %s requested by uid %u (pid %d)", cl->what, (unsigned)cl->uid,
		 (int)cl->peer_pid);
}

static void handle(struct control_client *cl, const char *buf, size_t len)
{
	struct mediad *md = cl->ctl->md;
	char verb[16], arg[NAME_BUF];
	struct medium *e;

	if (cryptctl_request(cl, buf, len)) /* unlock, lock, eject of a container */
		return;
	if (control_parse(buf, len, verb, arg) < 0) {
		log_debug("control: malformed request from pid %d", (int)cl->peer_pid);
		reply(cl, false, "malformed request (see mediad(8))");
		return;
	}
	if (!strcmp(verb, "ping")) {
		reply(cl, true, "mediad %s", VERSION);
		return;
	}
	if (!cl->allowed) {
		log_notice("control: %s%s%s refused to uid %u: not root, not in group %s",
			   verb, *arg ? " " : "", arg, (unsigned)cl->uid, cl->ctl->group);
		reply(cl, false, "permission denied: only root and members of group '%s' may %s",
		      cl->ctl->group, verb);
		return;
	}
	if (!strcmp(verb, "rescan")) {
		events_rescan(md);
		reply(cl, true, "rescanned: %zu devices known", md->media.n);
		return;
	}
	e = media_find_name(&md->media, arg);
	if (!e || !e->offered) {
		reply(cl, false, "%s: no such medium", arg);
		return;
	}
	start_action(cl, verb, e);
}

static void on_client(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *cl = w->data;
	char buf[CONTROL_REQ_MAX + 1];
	ssize_t n;

	(void)loop;
	(void)revents;
	if (cryptctl_reads(cl)) { /* the secret of an unlock: read where it is locked */
		cryptctl_on_readable(cl);
		return;
	}
	/* MSG_TRUNC: the real length, so an oversized message is refused
	 * rather than read in part */
	n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	if ((size_t)n > CONTROL_REQ_MAX) {
		log_debug("control: %zd-byte request from pid %d refused", n,
			  (int)cl->peer_pid);
		reply(cl, false, "request longer than %d bytes", CONTROL_REQ_MAX);
		return;
	}
	handle(cl, buf, (size_t)n);
}

static bool peer_allowed(const struct control *ctl, int fd, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (uid == 0)
		return true;
	if (!ctl->have_gid)
		return false;
	if (gid == ctl->gid)
		return true;
	/* the groups the peer had when it connected, from the kernel: no
	 * race with /proc, no trust in what the client says */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == ctl->gid)
			return true;
	return false;
}

static bool slot_free(const struct control_client *c)
{
	return c->fd < 0 && !c->child;
}

/* A slot for a new client. Anyone may ask (ping, or to be told no), but a
 * local user must not be able to starve root and allow_group, who need
 * the socket to unmount before pulling a stick: others get at most
 * CONTROL_MAX_PER_UID slots each and never the last CONTROL_RESERVED;
 * when even those are taken, a privileged client takes the slot of the
 * oldest idle unprivileged one. */
static struct control_client *pick_slot(struct control *ctl, uid_t uid, bool allowed)
{
	struct control_client *free_slot = NULL, *victim = NULL;
	size_t used = 0, mine = 0;

	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *c = &ctl->c[i];

		if (slot_free(c)) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		used++;
		mine += c->uid == uid;
		if (!c->allowed && c->fd >= 0 && !c->child &&
		    (!victim || c->since < victim->since))
			victim = c;
	}
	if (allowed) {
		if (free_slot || !victim)
			return free_slot;
		log_notice("control: all slots taken: dropping idle uid %u (pid %d) for uid %u",
			   (unsigned)victim->uid, (int)victim->peer_pid, (unsigned)uid);
		reply(victim, false, "too many clients, try again");
		return slot_free(victim) ? victim : NULL;
	}
	if (mine >= CONTROL_MAX_PER_UID || used >= CONTROL_MAX_CLIENTS - CONTROL_RESERVED) {
		log_debug("control: uid %u refused: %zu connections of its own, %zu in all",
			  (unsigned)uid, mine, used);
		return NULL;
	}
	return free_slot;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;

	(void)revents;
	for (;;) {
		struct control_client *cl;
		struct ucred cred;
		bool allowed;
		socklen_t len = sizeof(cred);
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept: %m");
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		allowed = peer_allowed(ctl, fd, cred.uid, cred.gid);
		cl = pick_slot(ctl, cred.uid, allowed);
		if (!cl) {
			static const char busy[] = "error too many clients, try again";

			send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->uid = cred.uid;
		cl->peer_pid = cred.pid;
		cl->allowed = allowed;
		cl->what[0] = '\0';
		cl->since = ev_now(loop);
		ev_io_init(&cl->io, on_client, fd, EV_READ);
		cl->io.data = cl;
		ev_io_start(loop, &cl->io);
		ev_timer_init(&cl->timer, on_timer, CONTROL_IDLE_SECS, 0.);
		cl->timer.data = cl;
		ev_timer_start(loop, &cl->timer);
	}
}

void control_set_group(struct control *ctl, const char *group, bool have_gid, gid_t gid)
{
	snprintf(ctl->group, sizeof(ctl->group), "%s", group);
	ctl->have_gid = have_gid;
	ctl->gid = gid;
	if (!have_gid)
		log_warn("control: allow_group '%s' does not exist: only root may change state",
			 group);
}

int control_open(struct control *ctl, struct mediad *md, struct ev_loop *loop)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	ctl->md = md;
	ctl->loop = loop;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		ctl->c[i].ctl = ctl;
		ctl->c[i].fd = -1;
		ctl->c[i].child = NULL;
	}
	if (statedir_path(md->cfg.state_dir, STATEDIR_CONTROL, NULL, sa.sun_path,
			  sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	ctl->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0)
		return -errno;
	unlinkat(md->pub.state_fd, STATEDIR_CONTROL, 0); /* a previous instance's */
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(md->pub.state_fd, STATEDIR_CONTROL, 0666, 0) < 0 ||
	    listen(ctl->fd, 16) < 0) {
		r = -errno;
		close(ctl->fd);
		ctl->fd = -1;
		return r;
	}
	ev_io_init(&ctl->io, on_accept, ctl->fd, EV_READ);
	ctl->io.data = ctl;
	ev_io_start(loop, &ctl->io);
	control_set_group(ctl, md->cfg.allow_group, md->ids.have_group, md->ids.group);
	return 0;
}

void control_close(struct control *ctl)
{
	if (ctl->fd < 0 || !ctl->loop)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_close(&ctl->c[i]);
	ev_io_stop(ctl->loop, &ctl->io);
	close(ctl->fd);
	ctl->fd = -1;
	unlinkat(ctl->md->pub.state_fd, STATEDIR_CONTROL, 0);
}
