/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-uid back-off of unlock tries (see backoff.h). Pure and bounded:
 * a fixed table, no allocation, no clock of its own. */
#include "backoff.h"

#include <string.h>

static const struct backoff_entry *find(const struct backoff *b, uid_t uid, double now)
{
	for (size_t i = 0; i < BACKOFF_UIDS; i++) {
		const struct backoff_entry *e = &b->v[i];

		if (e->used && e->uid == uid && now - e->last < BACKOFF_FORGET)
			return e;
	}
	return NULL;
}

unsigned backoff_fails(const struct backoff *b, uid_t uid, double now)
{
	const struct backoff_entry *e = find(b, uid, now);

	return e ? e->fails : 0;
}

double backoff_delay(const struct backoff *b, uid_t uid, double now)
{
	unsigned fails = backoff_fails(b, uid, now);
	double d = BACKOFF_FIRST;

	if (fails < BACKOFF_FREE)
		return 0;
	for (unsigned i = BACKOFF_FREE; i < fails && d < BACKOFF_MAX; i++)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

void backoff_failed(struct backoff *b, uid_t uid, double now)
{
	struct backoff_entry *slot = NULL;

	for (size_t i = 0; i < BACKOFF_UIDS; i++) {
		struct backoff_entry *e = &b->v[i];

		if (e->used && e->uid == uid) {
			if (now - e->last >= BACKOFF_FORGET)
				e->fails = 0;
			slot = e;
			break;
		}
		/* a free slot, else a forgotten one, else the oldest */
		if (!slot || (slot->used && (!e->used || e->last < slot->last)))
			slot = e;
	}
	if (!slot->used || slot->uid != uid) {
		memset(slot, 0, sizeof(*slot));
		slot->used = true;
		slot->uid = uid;
	}
	slot->fails++;
	slot->last = now;
}

void backoff_succeeded(struct backoff *b, uid_t uid)
{
	for (size_t i = 0; i < BACKOFF_UIDS; i++)
		if (b->v[i].used && b->v[i].uid == uid)
			memset(&b->v[i], 0, sizeof(b->v[i]));
}
