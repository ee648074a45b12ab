/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Map-entry escaping: what auto.media prints is read by autofs's sun map
 * parser. Invariants: no control byte ever reaches the output; every byte
 * that means something to the parser is escaped; reading the entry back
 * the way the parser does (a backslash takes the next byte literally, an
 * unescaped blank separates) gives exactly the type, options and device
 * that went in. Input: three NUL-separated strings. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "mapentry.h"

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == '/' || c == '+' || c == '@' || c >= 0x80;
}

/* Reads from *p up to an unescaped byte in stop (or the end) into out,
 * dropping escapes. Checks every unescaped byte is plain or in keep. */
static void take(const char **p, const char *stop, const char *keep, char *out)
{
	const char *s = *p;
	size_t o = 0;

	while (*s && !strchr(stop, *s)) {
		if (*s == '\\') {
			s++;
			CHECK(*s);
		} else {
			CHECK(plain((unsigned char)*s) || (keep && strchr(keep, *s)));
		}
		out[o++] = *s++;
	}
	out[o] = '\0';
	*p = s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char in[3][600], back[3][1300], out[4000];
	const char *p;
	size_t pos = 0;
	bool ctl = false;
	int n;

	for (int i = 0; i < 3; i++) {
		const unsigned char *end = pos < size ? memchr(data + pos, 0, size - pos) : NULL;
		size_t len = pos >= size ? 0 : end ? (size_t)(end - data - pos) : size - pos;

		if (len >= sizeof(in[i]))
			len = sizeof(in[i]) - 1;
		if (len)
			memcpy(in[i], data + pos, len);
		in[i][len] = '\0';
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)in[i][k] < 0x20 || in[i][k] == 0x7f)
				ctl = true;
		pos += len + 1;
	}

	/* escape alone: round trip, refusal of control bytes */
	n = mapentry_escape(in[0], NULL, out, sizeof(out));
	if (n == -EINVAL) {
		CHECK(strpbrk(in[0], "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r"
				     "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
				     "\x1a\x1b\x1c\x1d\x1e\x1f\x7f"));
	} else {
		CHECK(n >= 0 && strlen(out) == (size_t)n);
		p = out;
		take(&p, "", NULL, back[0]);
		CHECK(!strcmp(back[0], in[0]));
	}

	n = mapentry_format(in[0], in[1], in[2], out, sizeof(out));
	if (ctl) {
		CHECK(n == -EINVAL);
		return 0;
	}
	CHECK(n >= 0 && strlen(out) == (size_t)n);
	for (int i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	CHECK(!strncmp(out, "-fstype=", 8));
	p = out + 8;
	take(&p, ", ", NULL, back[0]);
	CHECK(!strcmp(back[0], in[0]));
	if (*p == ',') {
		p++;
		CHECK(in[1][0]);
		take(&p, " ", ",=:", back[1]);
		CHECK(!strcmp(back[1], in[1]));
	} else {
		CHECK(!in[1][0]);
	}
	CHECK(p[0] == ' ' && p[1] == ':');
	p += 2;
	take(&p, " \t", NULL, back[2]);
	CHECK(*p == '\0'); /* no unescaped blank inside the device */
	CHECK(!strcmp(back[2], in[2]));
	/* short buffers are refused, never overrun */
	for (size_t s = 0; s < (size_t)n + 1 && s < 64; s++) {
		char *small = malloc(s ? s : 1);

		CHECK(small);
		CHECK(mapentry_format(in[0], in[1], in[2], small, s) == -ENOSPC);
		free(small);
	}
	return 0;
}
