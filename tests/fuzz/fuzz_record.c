/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Record parser and escaping: a planted or truncated record must never
 * overrun a field; whatever parses formats back to a record that parses
 * to the same thing; escape -> unescape is the identity on any bytes and
 * the escaped form never holds a line break or a control byte. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"

static void check_escape(const unsigned char *data, size_t size)
{
	static char esc[4 * 4096 + 1], back[4096 + 1];
	int n, m;

	if (size > 4096)
		size = 4096;
	n = record_escape((const char *)data, size, esc, sizeof(esc));
	CHECK(n >= 0); /* 4 bytes per input byte always fit */
	CHECK(strlen(esc) == (size_t)n);
	for (int i = 0; i < n; i++)
		CHECK((unsigned char)esc[i] >= 0x20 && esc[i] != 0x7f);
	m = record_unescape(esc, (size_t)n, back, sizeof(back));
	CHECK(m == (int)size);
	CHECK(memcmp(back, data, size) == 0);
	/* too small a buffer is refused, never overrun */
	if (n > 0) {
		char *small = malloc((size_t)n);

		CHECK(small);
		CHECK(record_escape((const char *)data, size, small, (size_t)n) == -ENOSPC);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct record r, r2;
	static char buf[RECORD_MAX_BYTES * 8], buf2[RECORD_MAX_BYTES * 8];
	int bad = 0, n, n2;

	check_escape(data, size);
	if (record_parse((const char *)data, size, &r, &bad) < 0) {
		CHECK(bad >= 1);
		return 0;
	}
	/* every string field is NUL-terminated inside its buffer */
	CHECK(memchr(r.name, 0, sizeof(r.name)) && memchr(r.label, 0, sizeof(r.label)));
	CHECK(memchr(r.devname, 0, sizeof(r.devname)) &&
	      memchr(r.mountpoint, 0, sizeof(r.mountpoint)) &&
	      memchr(r.options, 0, sizeof(r.options)) &&
	      memchr(r.reason, 0, sizeof(r.reason)));
	n = record_format(&r, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(record_parse(buf, (size_t)n, &r2, &bad) == 0);
	n2 = record_format(&r2, buf2, sizeof(buf2));
	CHECK(n2 == n && memcmp(buf, buf2, (size_t)n) == 0);
	CHECK(!strcmp(r.label, r2.label) && !strcmp(r.name, r2.name) &&
	      r.size == r2.size && r.devmajor == r2.devmajor &&
	      r.devminor == r2.devminor && r.readonly == r2.readonly);
	return 0;
}
