/* Label -> name sanitising and key validation (the names contract).
 * Pure functions over untrusted bytes; must never read past len nor write
 * past NAME_BUF, whatever the input. */
#include "name.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Code points that would let a name lie about itself on a terminal or break
 * a path: C0/C1 controls, DEL, path separators, bidi and line controls. */
static bool cp_is_unsafe(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       cp == '/' || cp == '\\' || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

size_t name_sanitize(const char *in, size_t len, char out[NAME_BUF])
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, start = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		const char *piece = (const char *)s + i;
		size_t plen = n;

		if (n == 0 || cp_is_unsafe(cp)) {
			piece = "_";
			plen = 1;
			i += n ? n : 1;
		} else {
			i += n;
		}
		if (o + plen > NAME_MAX_BYTES)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
	}
	/* No leading '-' (option injection), '.' (hidden, "." and ".."), or
	 * space; no trailing space (invisible in listings). */
	while (start < o && (out[start] == '-' || out[start] == '.' ||
			     out[start] == ' '))
		start++;
	while (o > start && out[o - 1] == ' ')
		o--;
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
