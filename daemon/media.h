/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's table of known block devices (offered and ignored) and the
 * naming rules that give each offered medium a name that is unique and
 * stays the same while the medium stays plugged in. */
#ifndef MEDIAD_MEDIA_H
#define MEDIAD_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dirtydecide.h"
#include "idleflush.h"
#include "record.h"

struct medium {
	dev_t devnum;
	bool offered;
	struct record rec;
	/* daemon/dirty.c: the safe-to-remove decision's state between polls
	 * (daemon/dirtydecide.h) */
	struct dirty_state dirty;
	bool settling;         /* the last poll's verdict (dirtydecide.h) */
	unsigned flush_serial; /* 0: no flush running */
	bool flush_settling;   /* the running flush proves a settling medium */
	/* daemon/idleflush.c: whether mediad's own flush would have work */
	struct idleflush_watch flushw;
};

struct media {
	struct medium **v; /* owned; each element owned */
	size_t n, cap;
	/* names an earlier instance gave (records it left, or the memo of a
	 * clean stop): honoured during coldplug, then dropped */
	struct record *hints;
	bool *hint_used;
	size_t n_hints;
};

void media_init(struct media *m);
void media_free(struct media *m);

struct medium *media_find(const struct media *m, dev_t devnum);
struct medium *media_find_name(const struct media *m, const char *name);
/* Takes a copy of rec; returns the new entry or NULL on ENOMEM. */
struct medium *media_add(struct media *m, dev_t devnum, bool offered,
			 const struct record *rec);
void media_remove(struct media *m, struct medium *e);

/* Same filesystem on the same device: a change event that keeps this keeps
 * the name. */
bool media_same_identity(const struct record *a, const struct record *b);

/* Picks the name for an offered medium described by rec (label, vendor,
 * model, kname, devnum, diskseq, uuid). mounted_name: the X of an existing
 * <media_dir>/auto/X mount of this device, or NULL. Writes into rec->name. */
void media_pick_name(struct media *m, struct record *rec, const char *mounted_name);

/* The first half of media_pick_name: the name the medium already has, from
 * its mount or from a hint of an earlier instance. Returns false, rec->name
 * untouched, when it has none: coldplug then names it only once every
 * medium still present has claimed its old name, and the hints of media
 * that are gone are dropped (they must not push a stick plugged in again
 * while mediad was down to NAME_2). */
bool media_pick_known_name(struct media *m, struct record *rec, const char *mounted_name);

/* Records of an earlier instance (copied), used by media_pick_name until
 * media_drop_hints(). */
int media_add_hint(struct media *m, const struct record *rec);
void media_drop_hints(struct media *m);
/* Drops every hint for which present(hint, arg) is false. A hint reserves
 * its name until its medium comes back; one whose medium left while no
 * mediad ran (or came back as another disk) would otherwise push the next
 * medium of that label to NAME_2 for nothing. */
void media_prune_hints(struct media *m, bool (*present)(const struct record *h, void *arg),
		       void *arg);

/* The name's base before any collision suffix (for tests). */
void media_base_name(const struct record *rec, char out[NAME_BUF]);

#endif
