/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What mediad-notify shows and does for each medium: one card per stick,
 * changed by watch events and clicks, with the words a user reads. Pure:
 * no X, no processes, no clock of its own (times come in), so that the
 * --dry-run test sees exactly what the window would. Must never call a
 * medium safe that mediad has not called safe. */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void nstate_init(struct nt_state *s)
{
	memset(s, 0, sizeof(*s));
	s->open_on_add = true;
	s->linger = 10;
}

static int find(const struct nt_state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->card[i].rec.name, name))
			return (int)i;
	return -1;
}

static void drop(struct nt_state *s, size_t i)
{
	memmove(&s->card[i], &s->card[i + 1], (s->n - i - 1) * sizeof(s->card[0]));
	s->n--;
}

/* A card for a new medium: a gone card of the same name makes way (a
 * stick pulled and plugged again); when all slots are taken, the oldest
 * gone card, else the oldest card. */
static int add(struct nt_state *s, const struct nt_event *ev)
{
	int i = find(s, ev->rec.name);

	if (i >= 0)
		drop(s, (size_t)i);
	if (s->n == NT_MAX) {
		size_t victim = 0;

		for (size_t k = 0; k < s->n; k++)
			if (s->card[k].phase == NT_GONE) {
				victim = k;
				break;
			}
		drop(s, victim);
	}
	memset(&s->card[s->n], 0, sizeof(s->card[0]));
	return (int)s->n++;
}

int nstate_apply(struct nt_state *s, const struct nt_event *ev, int *card)
{
	const char *e = ev->event;
	struct nt_card *c;
	int i = find(s, ev->rec.name), todo = NT_DO_REDRAW;
	bool was_safe;

	*card = -1;
	if (!strcmp(e, "add")) {
		i = add(s, ev);
		if (s->open_on_add)
			todo |= NT_DO_OPEN;
		todo |= NT_DO_RAISE;
	} else if (i < 0) {
		/* a medium plugged before we started: from now on it has a card */
		if (!strcmp(e, "remove"))
			return NT_DO_NOTHING;
		i = add(s, ev);
	} else if (s->card[i].phase == NT_GONE) {
		return NT_DO_NOTHING; /* late news of a medium already gone */
	}
	c = &s->card[i];
	*card = i;
	was_safe = c->rec.name[0] ? !c->rec.mountpoint[0] || c->rec.safe : true;
	if (!strcmp(e, "remove")) {
		/* the record as mediad last published it: mounted with data
		 * waiting means what was written since it began waiting may
		 * never have reached the stick */
		c->lost = ev->rec.mountpoint[0] && !ev->rec.safe;
		if (c->lost && c->dirty_since == 0)
			c->dirty_since = ev->time;
		c->rec = ev->rec;
		c->phase = NT_GONE;
		c->gone_at = ev->time;
		return todo | NT_DO_RAISE;
	}
	c->rec = ev->rec;
	if (!strcmp(e, "unmount")) {
		/* watch prints the record as it was while mounted; unmounted
		 * (and so flushed) is safe */
		c->rec.mountpoint[0] = '\0';
		c->rec.safe = true;
	}
	if (c->rec.mountpoint[0] && !c->rec.safe) {
		if (c->dirty_since == 0)
			c->dirty_since = ev->time;
		if (was_safe)
			todo |= NT_DO_RAISE; /* "do not remove" must be seen */
	} else {
		c->dirty_since = 0;
	}
	if (strcmp(e, "add") && c->phase != NT_EJECTING)
		c->note[0] = '\0'; /* an old eject's answer no longer holds */
	return todo;
}

int nstate_click(struct nt_state *s, int *card, enum nt_button b)
{
	struct nt_card *c;
	size_t i = (size_t)*card;

	if (*card < 0 || i >= s->n) {
		*card = -1;
		return NT_DO_NOTHING;
	}
	c = &s->card[i];
	if (b == NT_DISMISS || (c->phase == NT_GONE && b == NT_BODY)) {
		drop(s, i);
		*card = -1;
		return NT_DO_REDRAW;
	}
	if (c->phase == NT_GONE)
		return NT_DO_NOTHING;
	if (b == NT_OPEN || b == NT_BODY)
		return NT_DO_OPEN;
	if (b == NT_EJECT && c->phase != NT_EJECTING) {
		c->phase = NT_EJECTING;
		c->note[0] = '\0';
		return NT_DO_EJECT | NT_DO_REDRAW;
	}
	return NT_DO_NOTHING;
}

void nstate_ejected(struct nt_state *s, const char *name, bool ok, const char *msg)
{
	int i = find(s, name);
	struct nt_card *c;

	if (i < 0)
		return;
	c = &s->card[i];
	if (c->phase == NT_EJECTING)
		c->phase = NT_PRESENT;
	if (ok)
		c->ejected = true;
	c->note_bad = !ok;
	if (!ok && strstr(msg, "busy")) /* the usual refusal, said as what to do */
		snprintf(c->note, sizeof(c->note),
			 "not ejected: in use \xe2\x80\x94 close what works in it, then Eject again");
	else
		snprintf(c->note, sizeof(c->note), "%s%s", ok ? "" : "eject failed: ",
			 msg[0] ? msg : ok ? "ejected" : "no answer");
}

int nstate_expire(struct nt_state *s, double now, double *next)
{
	int todo = NT_DO_NOTHING;

	*next = -1;
	for (size_t i = 0; i < s->n;) {
		const struct nt_card *c = &s->card[i];
		double left = c->gone_at + s->linger - now;

		if (c->phase != NT_GONE || c->lost) {
			i++;
			continue;
		}
		if (left <= 0) {
			drop(s, i);
			todo = NT_DO_REDRAW;
			continue;
		}
		if (*next < 0 || left < *next)
			*next = left;
		i++;
	}
	return todo;
}

enum nt_tone nstate_status(const struct nt_card *c, char *buf, size_t size)
{
	const struct nt_rec *r = &c->rec;

	if (c->phase == NT_GONE) {
		if (c->lost) {
			char at[16];
			time_t t = (time_t)c->dirty_since;
			struct tm tm;

			if (!localtime_r(&t, &tm) || !strftime(at, sizeof(at), "%H:%M:%S", &tm))
				snprintf(at, sizeof(at), "?");
			snprintf(buf, size, "pulled while writing: what was saved to it since %s "
				 "may be lost or damaged", at);
			return NT_BAD;
		}
		snprintf(buf, size, c->ejected ? "ejected and removed" : "removed");
		return NT_NEUTRAL;
	}
	if (c->phase == NT_EJECTING) {
		snprintf(buf, size, "ejecting \xe2\x80\x94 do not remove yet");
		return NT_WARN;
	}
	if (r->mountpoint[0] && !r->safe) {
		snprintf(buf, size, "writing \xe2\x80\x94 do not remove");
		return NT_WARN;
	}
	if (c->note[0]) {
		snprintf(buf, size, "%s", c->note);
		return c->note_bad ? NT_BAD : NT_OK;
	}
	if (r->mountpoint[0] && r->readonly)
		snprintf(buf, size, "open, read-only \xe2\x80\x94 safe to remove");
	else if (r->mountpoint[0])
		snprintf(buf, size, "open \xe2\x80\x94 safe to remove");
	else
		snprintf(buf, size, "safe to remove");
	return NT_OK;
}

void nstate_detail(const struct nt_card *c, char *buf, size_t size)
{
	static const char unit[][4] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)c->rec.size;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%s%s%s \xc2\xb7 %.*f %s", c->rec.bus[0] ? c->rec.bus : "",
		 c->rec.bus[0] ? " \xc2\xb7 " : "", c->rec.fstype[0] ? c->rec.fstype : "?",
		 u ? 1 : 0, v, unit[u]);
}

void nstate_title(const struct nt_state *s, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "mediad");

	for (size_t i = 0; i < s->n && n < size; i++) {
		char st[320];

		nstate_status(&s->card[i], st, sizeof(st));
		n += (size_t)snprintf(buf + n, size - n, "%s %s: %s", i ? ";" : ":",
				      s->card[i].rec.name, st);
	}
}

unsigned nstate_buttons(const struct nt_card *c)
{
	if (c->phase == NT_GONE)
		return 1u << NT_DISMISS;
	if (c->phase == NT_EJECTING)
		return 0;
	return 1u << NT_OPEN | 1u << NT_EJECT | 1u << NT_DISMISS;
}
