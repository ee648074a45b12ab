/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Label -> name sanitising and key validation (the names contract).
 * Pure functions over untrusted bytes; must never read past len nor write
 * past NAME_BUF, whatever the input. */
#include "name.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

enum cp_class {
	CP_VISIBLE,   /* kept */
	CP_UNSAFE,    /* '_' wherever it is */
	CP_SPACE,     /* kept between visible characters, dropped at the ends */
	CP_INVISIBLE, /* '_' between visible characters, dropped at the ends */
	CP_JOINER,    /* ZWNJ, ZWJ: kept inside a cluster, never at the end */
	CP_MODIFIER,  /* variation selectors, tags: kept right after a cluster */
};

static bool in(uint32_t cp, uint32_t lo, uint32_t hi)
{
	return cp >= lo && cp <= hi;
}

static enum cp_class classify(uint32_t cp)
{
	/* Controls and path separators could break a path, a line or a
	 * terminal; '*' is the key autofs caches as its wildcard, so an
	 * answer for it could be reused for any other name. U+2028/9 break
	 * lines like a newline does. */
	if (cp < 0x20 || cp == 0x7f || in(cp, 0x80, 0x9f) || cp == '/' ||
	    cp == '\\' || cp == '*' || cp == 0x2028 || cp == 0x2029)
		return CP_UNSAFE;
	if (cp == ' ' || cp == 0xa0 || cp == 0x1680 || in(cp, 0x2000, 0x200a) ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0x2800)
		return CP_SPACE;
	if (cp == 0x200c || cp == 0x200d)
		return CP_JOINER;
	if (in(cp, 0xfe00, 0xfe0f) || in(cp, 0xe0100, 0xe01ef) || in(cp, 0x180b, 0x180d) ||
	    cp == 0x180f || in(cp, 0xe0020, 0xe007f))
		return CP_MODIFIER;
	/* Characters that draw nothing: bidi marks and embeddings (they
	 * would reorder what follows on a terminal), soft hyphen, zero-width
	 * space, word joiner and invisible operators, BOM, Mongolian vowel
	 * separator, Hangul fillers, Khmer inherent vowels, deprecated and
	 * interlinear format controls, shorthand and musical format
	 * controls, and the rest of the default-ignorable planes. */
	if (cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x115f || cp == 0x1160 ||
	    in(cp, 0x17b4, 0x17b5) || cp == 0x180e || cp == 0x200b ||
	    in(cp, 0x200e, 0x200f) || in(cp, 0x202a, 0x202e) || in(cp, 0x2060, 0x206f) ||
	    cp == 0x3164 || cp == 0xfeff || cp == 0xffa0 || in(cp, 0xfff0, 0xfffb) ||
	    in(cp, 0x1bca0, 0x1bca3) || in(cp, 0x1d173, 0x1d17a) || in(cp, 0xe0000, 0xe0fff))
		return CP_INVISIBLE;
	return CP_VISIBLE;
}

/* True when the code point at s (len bytes) may not start a name: '-'
 * (option injection), '.' (hidden, "." and ".."), '+' (autofs includes
 * the map named after it), spaces, joiners and modifiers. Stores its
 * length in *n. */
static bool bad_start(const char *s, size_t len, size_t *n)
{
	uint32_t cp;
	enum cp_class c;

	*n = utf8_decode((const unsigned char *)s, len, &cp);
	if (*n == 0)
		return false;
	c = classify(cp);
	return cp == '-' || cp == '.' || cp == '+' || c == CP_SPACE || c == CP_JOINER ||
	       c == CP_MODIFIER;
}

size_t name_sanitize(const char *in_bytes, size_t len, char out[NAME_BUF])
{
	const unsigned char *s = (const unsigned char *)in_bytes;
	/* what goes between the last visible character and the next one:
	 * spaces, '_' for invisible characters, joiners; dropped if no
	 * visible character follows */
	char pending[NAME_BUF];
	size_t i = 0, o = 0, p = 0, start = 0, n;
	/* seen: a visible character was written; cluster: the last code
	 * point was visible (or its modifier); joiner: pending holds only a
	 * joiner, kept if a visible character comes next */
	bool seen = false, cluster = false, joiner = false;

	while (i < len) {
		uint32_t cp = 0;
		const char *piece = (const char *)s + i;
		size_t plen = utf8_decode(s + i, len - i, &cp);
		enum cp_class c = plen ? classify(cp) : CP_UNSAFE;

		i += plen ? plen : 1;
		if (c == CP_UNSAFE) {
			piece = "_";
			plen = 1;
			c = CP_VISIBLE;
		}
		if (c == CP_MODIFIER && cluster && p == 0) {
			if (o + plen > NAME_MAX_BYTES)
				break;
			memcpy(out + o, piece, plen);
			o += plen;
			continue;
		}
		if (c == CP_JOINER && cluster && p == 0) {
			memcpy(pending, piece, plen);
			p = plen;
			joiner = true;
			continue;
		}
		if (c == CP_VISIBLE) {
			if (o + p + plen > NAME_MAX_BYTES)
				break;
			memcpy(out + o, pending, p);
			memcpy(out + o + p, piece, plen);
			o += p + plen;
			p = 0;
			seen = cluster = true;
			joiner = false;
			continue;
		}
		/* a space, an invisible character, or a joiner or modifier
		 * that follows no visible character; a joiner waiting for one
		 * joins nothing now */
		cluster = false;
		if (joiner) {
			pending[0] = '_';
			p = 1;
			joiner = false;
		}
		if (!seen)
			continue;
		if (c != CP_SPACE) {
			piece = "_";
			plen = 1;
		}
		if (p + plen > NAME_MAX_BYTES)
			break;
		memcpy(pending + p, piece, plen);
		p += plen;
	}
	while (start < o && bad_start(out + start, o - start, &n))
		start += n;
	memmove(out, out + start, o - start);
	o -= start;
	out[o] = '\0';
	return o;
}

bool name_is_valid(const char *key)
{
	char buf[NAME_BUF];
	size_t len = strnlen(key, NAME_MAX_BYTES + 1);

	if (len == 0 || len > NAME_MAX_BYTES)
		return false;
	return name_sanitize(key, len, buf) == len && memcmp(buf, key, len) == 0;
}

int name_with_suffix(const char *base, unsigned n, char out[NAME_BUF])
{
	char suffix[16];
	int slen = snprintf(suffix, sizeof(suffix), "_%u", n);
	size_t blen = strnlen(base, NAME_MAX_BYTES);

	if (n < 2 || slen < 0 || (size_t)slen >= sizeof(suffix))
		return -EINVAL;
	if (blen + (size_t)slen > NAME_MAX_BYTES) {
		blen = NAME_MAX_BYTES - (size_t)slen;
		/* Step back off a UTF-8 continuation byte so the cut stays on
		 * a code point boundary. */
		while (blen > 0 && ((unsigned char)base[blen] & 0xc0) == 0x80)
			blen--;
	}
	memcpy(out, base, blen);
	memcpy(out + blen, suffix, (size_t)slen + 1);
	return 0;
}
