/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's end of the control socket (protocol: lib/ctlproto.h).
 * The peer is identified with SO_PEERCRED/SO_PEERGROUPS. A client that
 * sends nothing for CONTROL_IDLE_SECS, or garbage, is answered (if it can
 * be) and dropped; unmount and eject run in a child process, so no
 * request ever blocks the event loop or other clients. */
#ifndef MEDIAD_CONTROL_H
#define MEDIAD_CONTROL_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <ev.h>

#include "ctlproto.h"
#include "name.h"

#define CONTROL_MAX_CLIENTS 32
/* connections one unprivileged uid may hold, and the slots only root and
 * allow_group may take (see pick_slot in control.c) */
#define CONTROL_MAX_PER_UID 4
#define CONTROL_RESERVED 8

struct mediad;
struct control;
struct child;

struct control_client {
	struct control *ctl;
	int fd; /* -1: slot free */
	uid_t uid;
	pid_t peer_pid;
	bool allowed;
	struct child *child; /* the action's process (daemon/child.c), or NULL */
	double since;        /* when it connected (ev_now) */
	char what[16 + NAME_BUF]; /* "eject NAME", for the log */
	ev_io io;
	ev_timer timer;
};

struct control {
	struct mediad *md;
	struct ev_loop *loop;
	int fd;
	ev_io io;
	bool have_gid;
	gid_t gid;
	char group[64];
	struct control_client c[CONTROL_MAX_CLIENTS];
};

/* Binds <state_dir>/control (mode 0666: anyone may ask, the daemon
 * decides) and starts listening on loop. Returns 0 or -errno. */
int control_open(struct control *ctl, struct mediad *md, struct ev_loop *loop);
void control_close(struct control *ctl);

/* The group allowed to change state (config allow_group), resolved by
 * the caller (daemon/setup.c: in a child at reload, so that the loop never
 * waits for the name service). have_gid false: only root. */
void control_set_group(struct control *ctl, const char *group, bool have_gid, gid_t gid);

/* Sends text (a whole reply, lib/ctlproto.h) to the client and closes
 * it: for daemon/cryptctl.c, whose requests span several messages. */
void control_answer(struct control_client *cl, const char *text);

/* The same for "ok TEXT" or "error TEXT", TEXT formatted from fmt; cl may
 * be NULL (the client is gone): nothing is sent. */
void control_vreply(struct control_client *cl, bool ok, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Parses a request: verb and argument. Returns 0, or -EINVAL for anything
 * else than the grammar above (the argument must be a valid name). */
int control_parse(const char *buf, size_t len, char verb[16], char arg[NAME_BUF]);

#endif
