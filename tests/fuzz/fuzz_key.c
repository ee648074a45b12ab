/* SPDX-License-Identifier: GPL-2.0-or-later */
/* auto.media's key validator: autofs hands it whatever a user typed after
 * <media_dir>/auto/. A key that passes must be a name by the contract,
 * checked here independently of name_sanitize: nothing that can climb out
 * of the directory, start an option, hide on a terminal, mean something to
 * autofs ('*' its wildcard, a leading '+' an included map), or draw
 * nothing at all (only invisible characters, spaces at an end). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "name.h"
#include "utf8.h"

/* code points no key may hold: controls, separators, '*', bidi marks,
 * invisible format characters */
static bool never(uint32_t c)
{
	return c < 0x20 || c == '*' || c == '/' || c == '\\' || (c >= 0x7f && c <= 0x9f) ||
	       c == 0xad || c == 0x34f || c == 0x61c || c == 0x115f || c == 0x1160 ||
	       c == 0x17b4 || c == 0x17b5 || c == 0x180e || c == 0x200b || c == 0x200e ||
	       c == 0x200f || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) ||
	       c == 0x3164 || c == 0xfeff || c == 0xffa0 || (c >= 0xfff0 && c <= 0xfffb) ||
	       (c >= 0x1bca0 && c <= 0x1bca3) || (c >= 0x1d173 && c <= 0x1d17a) ||
	       (c >= 0xe0000 && c <= 0xe001f) || (c >= 0xe0080 && c <= 0xe00ff) ||
	       (c >= 0xe01f0 && c <= 0xe0fff);
}

/* spaces, joiners, selectors and tags: none may start a key */
static bool blank(uint32_t c)
{
	return c == ' ' || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x202f || c == 0x205f || c == 0x2800 || c == 0x3000 ||
	       c == 0x200c || c == 0x200d || (c >= 0x180b && c <= 0x180f) ||
	       (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0020 && c <= 0xe007f) ||
	       (c >= 0xe0100 && c <= 0xe01ef);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char key[256], out[NAME_BUF];
	size_t len;
	uint32_t first = 0, last = 0;
	bool visible = false;

	if (size >= sizeof(key))
		size = sizeof(key) - 1;
	memcpy(key, data, size);
	key[size] = '\0';
	len = strlen(key);
	if (!name_is_valid(key))
		return 0;
	CHECK(len > 0 && len <= NAME_MAX_BYTES);
	CHECK(strcmp(key, ".") && strcmp(key, ".."));
	CHECK(key[0] != '-' && key[0] != '.' && key[0] != '+');
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)key + i, len - i, &cp);

		CHECK(n > 0); /* valid UTF-8 */
		CHECK(!never(cp));
		if (i == 0)
			first = cp;
		last = cp;
		visible |= !blank(cp);
		i += n;
	}
	CHECK(visible && !blank(first));
	/* no space and no joiner at the end (a selector may end an emoji) */
	CHECK(!blank(last) || (last >= 0xfe00 && last <= 0xfe0f) ||
	      (last >= 0xe0020 && last <= 0xe01ef) || (last >= 0x180b && last <= 0x180f));
	CHECK(name_sanitize(key, len, out) == len && !strcmp(out, key));
	return 0;
}
