/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The requests of encrypted media, shared by daemon/cryptctl.c (the
 * unlock's secret, back-off, helper and answer) and daemon/cryptverb.c
 * (the verbs that start them): internal to those two. A request is
 * answered exactly once, by creq_answer(), which also frees it. */
#ifndef MEDIAD_CRYPTREQ_H
#define MEDIAD_CRYPTREQ_H

#include <stdbool.h>
#include <sys/types.h>
#include <ev.h>

#include "unlockproto.h"

struct child;
struct control_client;
struct mediad;
struct medium;

enum cstate { CR_SECRET, CR_WAIT, CR_RUN, CR_PUBLISH, CR_LOCK };

struct creq {
	bool used;
	struct control_client *cl; /* NULL: an auto-unlock (key_dir) */
	struct mediad *md;
	enum cstate state;
	char kname[64], devname[128], map[128], what[96];
	dev_t devnum;
	uid_t uid;
	struct unlock_opts opts;
	bool raw;
	int secret_fd;
	ev_timer timer;
	struct child *child;
};

/* A free request for the container ct, or NULL when all are taken. */
struct creq *creq_new(struct mediad *md, struct control_client *cl, const struct medium *ct,
		      const char *verb);
void creq_free(struct creq *q);

/* The one answer ("ok TEXT" or "error TEXT"); the client is closed and q
 * freed. */
void creq_answer(struct creq *q, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An answer to a client that has no request (yet). */
void creq_refuse(struct control_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* q waits for its secret (after "more"), at most CONTROL_IDLE_SECS. */
void creq_expect_secret(struct creq *q);

#endif
