/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name sanitiser and collision logic. Invariants: a sanitised label is
 * empty or a valid name (never special to autofs, never invisible: see
 * check_name), and sanitising it again changes nothing; every
 * medium added gets a valid name no other medium has, whatever the labels,
 * and names suffixed with _N stay valid. Input: labels separated by NUL
 * bytes (the first byte picks how many share one label). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fuzz.h"
#include "media.h"
#include "name.h"
#include "utf8.h"

struct range {
	uint32_t lo, hi;
};

/* The contract's classes, written out again here rather than taken from
 * lib/name.c, so that a mistake there is not checked against itself. */
static const struct range never[] = { /* controls, separators, '*', bidi, invisible */
	{ 0, 0x1f }, { '*', '*' }, { '/', '/' }, { '\\', '\\' }, { 0x7f, 0x9f },
	{ 0xad, 0xad }, { 0x34f, 0x34f }, { 0x61c, 0x61c }, { 0x115f, 0x1160 },
	{ 0x17b4, 0x17b5 }, { 0x180e, 0x180e }, { 0x200b, 0x200b }, { 0x200e, 0x200f },
	{ 0x2028, 0x202e }, { 0x2060, 0x206f }, { 0x3164, 0x3164 }, { 0xfeff, 0xfeff },
	{ 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe001f }, { 0xe0080, 0xe00ff },
	{ 0xe01f0, 0xe0fff },
};
static const struct range spaces[] = {
	{ ' ', ' ' }, { 0xa0, 0xa0 }, { 0x1680, 0x1680 }, { 0x2000, 0x200a },
	{ 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x2800, 0x2800 }, { 0x3000, 0x3000 },
};
static const struct range joiners[] = { { 0x200c, 0x200d } };
static const struct range modifiers[] = {
	{ 0x180b, 0x180d }, { 0x180f, 0x180f }, { 0xfe00, 0xfe0f },
	{ 0xe0020, 0xe007f }, { 0xe0100, 0xe01ef },
};

static bool is(const struct range *r, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}
#define IS(set, cp) is(set, sizeof(set) / sizeof(set[0]), cp)

enum kind { VISIBLE, SPACE, JOINER, MODIFIER };

/* A name by the contract: valid UTF-8, 1 to 64 bytes, not "." or "..";
 * nothing unsafe, no bidi mark, nothing invisible; something visible; no
 * leading '-', '.', '+', space, joiner or modifier; no trailing space or
 * joiner; a joiner only between a visible character (or its modifier)
 * and a visible character, a modifier only after one. */
static void check_name(const char *s)
{
	size_t len = strlen(s), n;
	enum kind prev = SPACE, k = SPACE;
	bool visible = false;
	uint32_t cp;

	CHECK(len > 0 && len <= NAME_MAX_BYTES);
	CHECK(name_is_valid(s));
	CHECK(strcmp(s, ".") && strcmp(s, ".."));
	CHECK(s[0] != '-' && s[0] != '.' && s[0] != '+');
	for (size_t i = 0; i < len; i += n, prev = k) {
		n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		CHECK(n > 0);
		CHECK(!IS(never, cp));
		k = IS(spaces, cp) ? SPACE : IS(joiners, cp) ? JOINER :
		    IS(modifiers, cp) ? MODIFIER : VISIBLE;
		CHECK(i > 0 || k == VISIBLE);
		if (k == JOINER || k == MODIFIER)
			CHECK(prev == VISIBLE || prev == MODIFIER);
		if (prev == JOINER)
			CHECK(k == VISIBLE);
		visible |= k == VISIBLE;
	}
	CHECK(visible && k != SPACE && k != JOINER);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct record rec;
	char out[NAME_BUF], again[NAME_BUF], suff[NAME_BUF];
	struct media m;
	size_t n, pos = 0;
	unsigned dev = 1;

	n = name_sanitize((const char *)data, size, out);
	CHECK(n == strlen(out));
	if (n) {
		check_name(out);
		CHECK(name_sanitize(out, n, again) == n && !strcmp(again, out));
		for (unsigned k = 2; k < 12; k++) {
			CHECK(name_with_suffix(out, k, suff) == 0);
			check_name(suff);
		}
		CHECK(name_with_suffix(out, 1000000000u, suff) == 0);
		check_name(suff);
	}

	/* collisions: up to 40 media, labels from the input */
	media_init(&m);
	while (pos < size && m.n < 40) {
		const unsigned char *end = memchr(data + pos, 0, size - pos);
		size_t len = end ? (size_t)(end - data - pos) : size - pos;
		unsigned copies = len ? 1 + (data[pos] & 3) : 1;

		for (unsigned c = 0; c < copies && m.n < 40; c++) {
			struct medium *e;

			memset(&rec, 0, sizeof(rec));
			memcpy(rec.label, data + pos,
			       len < sizeof(rec.label) ? len : sizeof(rec.label) - 1);
			snprintf(rec.kname, sizeof(rec.kname), "loop%u", dev);
			rec.devmajor = 7;
			rec.devminor = dev;
			media_pick_name(&m, &rec, NULL);
			check_name(rec.name);
			CHECK(media_find_name(&m, rec.name) == NULL);
			e = media_add(&m, makedev(7, dev), true, &rec);
			CHECK(e);
			dev++;
		}
		pos += len + 1;
	}
	/* a removal frees the name; the next same label may take it, and
	 * still no two media share a name */
	if (m.n > 1) {
		rec = m.v[0]->rec;
		media_remove(&m, m.v[0]);
		rec.devminor = dev;
		media_pick_name(&m, &rec, NULL);
		check_name(rec.name);
		CHECK(media_find_name(&m, rec.name) == NULL);
		CHECK(media_add(&m, makedev(7, dev), true, &rec));
	}
	for (size_t i = 0; i < m.n; i++)
		for (size_t j = i + 1; j < m.n; j++)
			CHECK(strcmp(m.v[i]->rec.name, m.v[j]->rec.name) != 0);
	media_free(&m);
	return 0;
}
