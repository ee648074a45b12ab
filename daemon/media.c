/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Media table and naming. Linear scans: a live system has a handful of
 * media, and even 256 loop devices cost microseconds; no index to keep in
 * sync. */
#include "media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

void media_init(struct media *m)
{
	memset(m, 0, sizeof(*m));
}

void media_free(struct media *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	media_drop_hints(m);
	memset(m, 0, sizeof(*m));
}

struct medium *media_find(const struct media *m, dev_t devnum)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->devnum == devnum)
			return m->v[i];
	return NULL;
}

struct medium *media_find_name(const struct media *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->offered && !strcmp(m->v[i]->rec.name, name))
			return m->v[i];
	return NULL;
}

struct medium *media_add(struct media *m, dev_t devnum, bool offered,
			 const struct record *rec)
{
	struct medium *e;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct medium **v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->devnum = devnum;
	e->offered = offered;
	e->flushw.base = -1;
	e->rec = *rec;
	m->v[m->n++] = e;
	return e;
}

void media_remove(struct media *m, struct medium *e)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i] != e)
			continue;
		free(e);
		m->v[i] = m->v[--m->n];
		return;
	}
}

bool media_same_identity(const struct record *a, const struct record *b)
{
	return a->devmajor == b->devmajor && a->devminor == b->devminor &&
	       a->diskseq == b->diskseq && !strcmp(a->fstype, b->fstype) &&
	       !strcmp(a->uuid, b->uuid) && !strcmp(a->label, b->label);
}

void media_base_name(const struct record *rec, char out[NAME_BUF])
{
	char vm[sizeof(rec->vendor) + sizeof(rec->model) + 2];

	if (name_sanitize(rec->label, strlen(rec->label), out))
		return;
	snprintf(vm, sizeof(vm), "%s%s%s", rec->vendor,
		 rec->vendor[0] && rec->model[0] ? "_" : "", rec->model);
	if (name_sanitize(vm, strlen(vm), out))
		return;
	if (name_sanitize(rec->kname, strlen(rec->kname), out))
		return;
	snprintf(out, NAME_BUF, "disk_%u_%u", rec->devmajor, rec->devminor);
}

static bool hint_matches(const struct record *h, const struct record *rec)
{
	return media_same_identity(h, rec);
}

/* A name is taken when a current medium has it, or when an earlier
 * instance gave it to a medium that has not come back yet. */
static bool name_taken(const struct media *m, const char *name)
{
	if (media_find_name(m, name))
		return true;
	for (size_t i = 0; i < m->n_hints; i++)
		if (!m->hint_used[i] && !strcmp(m->hints[i].name, name))
			return true;
	return false;
}

bool media_pick_known_name(struct media *m, struct record *rec, const char *mounted_name)
{
	if (mounted_name && name_is_valid(mounted_name) &&
	    !media_find_name(m, mounted_name)) {
		snprintf(rec->name, sizeof(rec->name), "%s", mounted_name);
		return true;
	}
	for (size_t i = 0; i < m->n_hints; i++) {
		if (m->hint_used[i] || !hint_matches(&m->hints[i], rec) ||
		    media_find_name(m, m->hints[i].name))
			continue;
		m->hint_used[i] = true;
		snprintf(rec->name, sizeof(rec->name), "%s", m->hints[i].name);
		return true;
	}
	return false;
}

void media_pick_name(struct media *m, struct record *rec, const char *mounted_name)
{
	char base[NAME_BUF];

	if (media_pick_known_name(m, rec, mounted_name))
		return;
	media_base_name(rec, base);
	if (!name_taken(m, base)) {
		snprintf(rec->name, sizeof(rec->name), "%s", base);
		return;
	}
	for (unsigned n = 2;; n++) {
		char cand[NAME_BUF];

		if (name_with_suffix(base, n, cand) == 0 && !name_taken(m, cand)) {
			snprintf(rec->name, sizeof(rec->name), "%s", cand);
			return;
		}
	}
}

int media_add_hint(struct media *m, const struct record *rec)
{
	struct record *h = realloc(m->hints, (m->n_hints + 1) * sizeof(*h));
	bool *u;

	if (!h)
		return -ENOMEM;
	m->hints = h;
	u = realloc(m->hint_used, (m->n_hints + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	m->hint_used = u;
	m->hints[m->n_hints] = *rec;
	m->hint_used[m->n_hints] = false;
	m->n_hints++;
	return 0;
}

void media_prune_hints(struct media *m, bool (*present)(const struct record *h, void *arg),
		       void *arg)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n_hints; i++) {
		if (!present(&m->hints[i], arg))
			continue;
		m->hints[k] = m->hints[i];
		m->hint_used[k] = m->hint_used[i];
		k++;
	}
	m->n_hints = k;
}

void media_drop_hints(struct media *m)
{
	free(m->hints);
	free(m->hint_used);
	m->hints = NULL;
	m->hint_used = NULL;
	m->n_hints = 0;
}
