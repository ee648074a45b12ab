/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The back-off of unlock tries, per uid: after BACKOFF_FREE wrong
 * secrets each further try waits BACKOFF_FIRST seconds, doubling up to
 * BACKOFF_MAX, until a try succeeds or BACKOFF_FORGET seconds pass
 * without a failure. Pure: the caller gives the time. */
#ifndef MEDIAD_BACKOFF_H
#define MEDIAD_BACKOFF_H

#include <stdbool.h>
#include <sys/types.h>

#define BACKOFF_FREE 3
#define BACKOFF_FIRST 2.0
#define BACKOFF_MAX 32.0
#define BACKOFF_FORGET 900.0
#define BACKOFF_UIDS 32 /* uids remembered at once (root and allow_group only) */

struct backoff_entry {
	bool used;
	uid_t uid;
	unsigned fails;
	double last; /* when the last failure was counted */
};

struct backoff {
	struct backoff_entry v[BACKOFF_UIDS];
};

/* Seconds the next try of uid waits (0: none). */
double backoff_delay(const struct backoff *b, uid_t uid, double now);

/* Failures counted for uid (0 when forgotten). */
unsigned backoff_fails(const struct backoff *b, uid_t uid, double now);

/* A wrong secret from uid; a full table forgets its oldest entry. */
void backoff_failed(struct backoff *b, uid_t uid, double now);

/* A right one: uid starts afresh. */
void backoff_succeeded(struct backoff *b, uid_t uid);

#endif
