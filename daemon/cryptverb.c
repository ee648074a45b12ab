/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control verbs of encrypted media (see cryptctl.h): unlock (checked,
 * then "more": the secret is cryptctl.c's), lock, and eject of a
 * container or its cleartext, which locks first in a child
 * (daemon/cryptlock.c). Must never start anything for a client that is
 * not root or in allow_group, nor for a name that is no container. */
#include "cryptctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "child.h"
#include "control.h"
#include "crypt.h"
#include "cryptlock.h"
#include "cryptreq.h"
#include "cryptsys.h"
#include "log.h"
#include "mediad.h"

static void on_lock_done(const struct child_result *res, void *arg)
{
	struct creq *q = arg;
	char reply[CONTROL_REPLY_MAX];
	size_t len = res->out_len < sizeof(reply) - 1 ? res->out_len : sizeof(reply) - 1;

	q->child = NULL;
	memcpy(reply, res->out, len);
	while (len && reply[len - 1] == '\n')
		len--;
	reply[len] = '\0';
	if (res->timed_out || (strncmp(reply, "ok ", 3) && strncmp(reply, "error ", 6))) {
		log_err("%s for uid %u: %s", q->what, (unsigned)q->uid,
			res->timed_out ? "timed out" : "failed");
		creq_answer(q, false, "%s: %s", q->what, res->timed_out ? "timed out" : "failed");
		return;
	}
	log_info("%s for uid %u: %s", q->what, (unsigned)q->uid, reply);
	if (q->cl)
		control_answer(q->cl, reply);
	creq_free(q);
}

/* lock, or eject of a container or its cleartext: in a child, as
 * control.c's actions are (umount and power-off may take long). */
static void start_lock(struct control_client *cl, struct medium *ct, struct medium *clear,
		       bool eject)
{
	struct mediad *md = cl->ctl->md;
	struct creq *q = creq_new(md, cl, ct, eject ? "eject" : "lock");
	struct cryptlock job = { .md = md, .eject = eject, .root = cl->uid == 0 };
	char dm[64];
	struct child_spec s = {
		.deadline = CONTROL_ACTION_SECS,
		.capture = CONTROL_REPLY_MAX,
		.run = cryptlock_run,
		.run_arg = &job,
		.done = on_lock_done,
	};
	int err;

	if (!q) {
		creq_refuse(cl, "too many requests, try again");
		return;
	}
	job.container = ct->rec;
	if (clear)
		job.clear = clear->rec;
	job.has_clear = clear != NULL;
	/* only a mapping of mediad's own is closed */
	if (cryptsys_holder(crypt_sysfs, ct->rec.kname, dm, sizeof(dm)) != 1 ||
	    crypt_map_of(dm, job.map, sizeof(job.map)) < 0)
		job.map[0] = '\0';
	s.what = q->what;
	s.done_arg = q;
	q->state = CR_LOCK;
	ev_io_stop(md->loop, &cl->io);
	ev_timer_stop(md->loop, &cl->timer);
	q->child = child_start(md->loop, &s, &err);
	if (!q->child) {
		creq_answer(q, false, "%s: cannot start: %s", q->kname, strerror(-err));
		return;
	}
	log_info("control: %s requested by uid %u (pid %d)", q->what, (unsigned)cl->uid,
		 (int)cl->peer_pid);
}

/* "unlock OPTS NAME": checked, then "more", and the client is ours until
 * it has sent the secret and had its answer. */
static void start_unlock(struct control_client *cl, const char *rest)
{
	struct mediad *md = cl->ctl->md;
	struct unlock_opts o;
	struct medium *ct, *clear;
	char opts[64], why[CONTROL_REPLY_MAX - 16];
	const char *name = strchr(rest, ' ');
	struct creq *q;

	if (!name || (size_t)(name - rest) >= sizeof(opts)) {
		creq_refuse(cl, "malformed request (see mediad(8))");
		return;
	}
	memcpy(opts, rest, (size_t)(name - rest));
	opts[name - rest] = '\0';
	name++;
	if (unlockproto_parse_opts(opts, &o) < 0 || !name_is_valid(name)) {
		creq_refuse(cl, "malformed request (see mediad(8))");
		return;
	}
	ct = crypt_target(md, name, &o, &clear, why, sizeof(why));
	if (!ct) {
		creq_refuse(cl, "%s", why);
		return;
	}
	if (clear || ct->rec.unlocked_as[0]) {
		creq_refuse(cl, "%s is already unlocked as %s", ct->rec.kname,
		       clear && clear->offered ? clear->rec.name : ct->rec.unlocked_as);
		return;
	}
	if (cryptctl_busy(ct->rec.kname)) {
		creq_refuse(cl, "%s: another request for it is running", ct->rec.kname);
		return;
	}
	if (!(q = creq_new(md, cl, ct, o.test ? "unlock test" : "unlock"))) {
		creq_refuse(cl, "too many requests, try again");
		return;
	}
	q->opts = o;
	if (q->opts.type == UNLOCK_AUTO)
		q->opts.type = crypt_type_of(&ct->rec);
	creq_expect_secret(q);
	log_info("control: %s (%s) requested by uid %u (pid %d)", q->what, opts,
		 (unsigned)cl->uid, (int)cl->peer_pid);
	if (send(cl->fd, "more send the secret", 20, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		creq_answer(q, false, "client gone");
}

bool cryptctl_request(struct control_client *cl, const char *buf, size_t len)
{
	struct mediad *md = cl->ctl->md;
	char tmp[CONTROL_REQ_MAX + 1], why[CONTROL_REPLY_MAX - 16];
	struct medium *ct, *clear;
	const char *arg;
	bool eject;

	if (len == 0 || len > CONTROL_REQ_MAX)
		return false;
	if (buf[len - 1] == '\n')
		len--;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	if (strlen(tmp) != len)
		return false; /* a NUL inside: control.c refuses it */
	if (!strncmp(tmp, "unlock ", 7) || !strncmp(tmp, "lock ", 5)) {
		arg = strchr(tmp, ' ') + 1;
		if (!cl->allowed) {
			log_notice("control: %.6s refused to uid %u: not root, not in group %s", tmp,
				   (unsigned)cl->uid, cl->ctl->group);
			creq_refuse(cl, "permission denied: only root and members of group '%s' may "
			       "%s", cl->ctl->group, tmp[0] == 'u' ? "unlock" : "lock");
			return true;
		}
		if (tmp[0] == 'u') {
			start_unlock(cl, arg);
			return true;
		}
		eject = false;
	} else if (!strncmp(tmp, "eject ", 6)) {
		/* an eject of anything else, and any refusal, is control.c's */
		arg = tmp + 6;
		if (!cl->allowed || !crypt_is_crypt(md, arg))
			return false;
		eject = true;
	} else {
		return false;
	}
	if (!name_is_valid(arg)) {
		creq_refuse(cl, "malformed request (see mediad(8))");
		return true;
	}
	ct = crypt_target(md, arg, NULL, &clear, why, sizeof(why));
	if (!ct)
		creq_refuse(cl, "%s", why);
	else if (!eject && !clear && !ct->rec.unlocked_as[0])
		creq_refuse(cl, "%s is not unlocked", arg);
	else if (cryptctl_busy(ct->rec.kname))
		creq_refuse(cl, "%s: another request for it is running", ct->rec.kname);
	else
		start_lock(cl, ct, clear, eject);
	return true;
}
