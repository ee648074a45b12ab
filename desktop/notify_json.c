/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON reader of mediad-notify: one `medialist watch --json` line, or
 * `medialist --json eject`'s answer, into fixed fields. Reads any valid
 * JSON (keys it does not know are skipped, nesting is bounded); must never
 * write past a field or trust a length from the input. */
#include "notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 16

struct cur {
	const char *p;
};

static void ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char h = p[i];

		*v <<= 4;
		if (h >= '0' && h <= '9')
			*v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f')
			*v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			*v |= (unsigned)(h - 'A' + 10);
		else
			return -EINVAL;
	}
	return 0;
}

/* Appends code point u as UTF-8 if it fits whole (a cut never splits a
 * character). */
static void put_utf8(char *out, size_t size, size_t *n, unsigned u)
{
	char b[4];
	size_t k;

	if (u < 0x80) {
		b[0] = (char)u;
		k = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | (u >> 6));
		b[1] = (char)(0x80 | (u & 0x3f));
		k = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | (u >> 12));
		b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | (u >> 18));
		b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[3] = (char)(0x80 | (u & 0x3f));
		k = 4;
	}
	if (out && *n + k < size) {
		memcpy(out + *n, b, k);
		*n += k;
	}
}

/* A string at c->p into out (size bytes, NUL-terminated; out may be NULL
 * to skip it). Raw bytes >= 0x80 are copied as they are: medialist prints
 * valid UTF-8, and a cut keeps whole characters only where it is. */
static int str(struct cur *c, char *out, size_t size)
{
	size_t n = 0;

	if (*c->p != '"')
		return -EINVAL;
	c->p++;
	while (*c->p != '"') {
		unsigned u, lo;

		if (!*c->p || (unsigned char)*c->p < 0x20)
			return -EINVAL;
		if (*c->p != '\\') {
			unsigned char b = (unsigned char)*c->p++;

			/* a multibyte character goes whole or not at all */
			if (b >= 0xc0) {
				size_t k = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2, i;

				for (i = 1; i < k && ((unsigned char)c->p[i - 1] & 0xc0) == 0x80; i++)
					;
				if (out && n + i < size) {
					memcpy(out + n, c->p - 1, i);
					n += i;
				}
				c->p += i - 1;
			} else if (out && n + 1 < size) {
				out[n++] = (char)b;
			}
			continue;
		}
		c->p++;
		switch (*c->p) {
		case '"': case '\\': case '/':
			put_utf8(out, size, &n, (unsigned char)*c->p); break;
		case 'b': put_utf8(out, size, &n, '\b'); break;
		case 'f': put_utf8(out, size, &n, '\f'); break;
		case 'n': put_utf8(out, size, &n, '\n'); break;
		case 'r': put_utf8(out, size, &n, '\r'); break;
		case 't': put_utf8(out, size, &n, '\t'); break;
		case 'u':
			if (hex4(c->p + 1, &u) < 0)
				return -EINVAL;
			c->p += 4;
			if (u >= 0xd800 && u < 0xdc00 && c->p[1] == '\\' && c->p[2] == 'u' &&
			    hex4(c->p + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				c->p += 6;
			} else if (u >= 0xd800 && u < 0xe000) {
				u = 0xfffd; /* a lone surrogate */
			}
			put_utf8(out, size, &n, u);
			break;
		default:
			return -EINVAL;
		}
		c->p++;
	}
	c->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

/* A number, true, false or null: its text in out (size bytes). */
static int scalar(struct cur *c, char *out, size_t size)
{
	size_t n = strspn(c->p, "0123456789+-.eEtrufalsn");

	if (n == 0)
		return -EINVAL;
	if (out) {
		size_t k = n < size ? n : size - 1;

		memcpy(out, c->p, k);
		out[k] = '\0';
	}
	c->p += n;
	return 0;
}

static int skip(struct cur *c, int depth);

/* An object: for each member, cb(key, c, arg) reads the value (or
 * returns 1 to have it skipped). */
static int object(struct cur *c, int depth, int (*cb)(const char *, struct cur *, void *),
		  void *arg)
{
	char key[64];

	if (depth > DEPTH_MAX)
		return -EINVAL;
	ws(c);
	if (*c->p != '{')
		return -EINVAL;
	c->p++;
	ws(c);
	if (*c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		int r;

		ws(c);
		if (str(c, key, sizeof(key)) < 0)
			return -EINVAL;
		ws(c);
		if (*c->p++ != ':')
			return -EINVAL;
		ws(c);
		r = cb ? cb(key, c, arg) : 1;
		if (r < 0)
			return r;
		if (r == 1 && skip(c, depth + 1) < 0)
			return -EINVAL;
		ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == '}') {
			c->p++;
			return 0;
		}
		return -EINVAL;
	}
}

static int skip(struct cur *c, int depth)
{
	if (depth > DEPTH_MAX)
		return -EINVAL;
	ws(c);
	if (*c->p == '"')
		return str(c, NULL, 0);
	if (*c->p == '{')
		return object(c, depth, NULL, NULL);
	if (*c->p == '[') {
		c->p++;
		ws(c);
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		for (;;) {
			if (skip(c, depth + 1) < 0)
				return -EINVAL;
			ws(c);
			if (*c->p == ']') {
				c->p++;
				return 0;
			}
			if (*c->p++ != ',')
				return -EINVAL;
		}
	}
	return scalar(c, NULL, 0);
}

/* A string or null (null reads as "") into out. */
static int str_or_null(struct cur *c, char *out, size_t size)
{
	char t[8];

	if (*c->p == '"')
		return str(c, out, size);
	if (scalar(c, t, sizeof(t)) < 0 || strcmp(t, "null"))
		return -EINVAL;
	out[0] = '\0';
	return 0;
}

static int boolean(struct cur *c, bool *v)
{
	char t[8];

	if (scalar(c, t, sizeof(t)) < 0)
		return -EINVAL;
	*v = !strcmp(t, "true");
	return strcmp(t, "true") && strcmp(t, "false") && strcmp(t, "null") ? -EINVAL : 0;
}

static int rec_member(const char *key, struct cur *c, void *arg)
{
	struct nt_rec *r = arg;
	char num[32];

#define S(k) if (!strcmp(key, #k)) return str_or_null(c, r->k, sizeof(r->k))
	S(name); S(devname); S(fstype); S(label); S(bus); S(mountpoint); S(path);
#undef S
	if (!strcmp(key, "readonly"))
		return boolean(c, &r->readonly);
	if (!strcmp(key, "safe"))
		return boolean(c, &r->safe);
	if (!strcmp(key, "size")) {
		if (scalar(c, num, sizeof(num)) < 0)
			return -EINVAL;
		r->size = strtoull(num, NULL, 10);
		return 0;
	}
	return 1;
}

static int event_member(const char *key, struct cur *c, void *arg)
{
	struct nt_event *ev = arg;
	char num[32];

	if (!strcmp(key, "event"))
		return str(c, ev->event, sizeof(ev->event));
	if (!strcmp(key, "time")) {
		if (scalar(c, num, sizeof(num)) < 0)
			return -EINVAL;
		ev->time = strtod(num, NULL);
		return 0;
	}
	if (!strcmp(key, "medium"))
		return object(c, 1, rec_member, &ev->rec);
	return 1;
}

int njson_event(const char *line, struct nt_event *ev)
{
	struct cur c = { line };

	memset(ev, 0, sizeof(*ev));
	if (object(&c, 0, event_member, ev) < 0)
		return -EINVAL;
	ws(&c);
	if (*c.p || !ev->event[0] || !ev->rec.name[0])
		return -EINVAL;
	return 0;
}

struct eject_ans {
	bool *ok;
	char *msg;
	size_t size;
};

static int eject_member(const char *key, struct cur *c, void *arg)
{
	struct eject_ans *a = arg;

	if (!strcmp(key, "ok"))
		return boolean(c, a->ok);
	if (!strcmp(key, "message"))
		return str_or_null(c, a->msg, a->size);
	return 1;
}

int njson_eject(const char *text, bool *ok, char *msg, size_t size)
{
	struct cur c = { text };
	struct eject_ans a = { ok, msg, size };

	*ok = false;
	msg[0] = '\0';
	ws(&c);
	return object(&c, 0, eject_member, &a) < 0 ? -EINVAL : 0;
}
