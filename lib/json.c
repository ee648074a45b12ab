/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON string escaping. Pure function over untrusted bytes (labels): must
 * never emit anything but valid JSON, never read or write out of bounds. */
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int json_escape(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (size < 3)
		return -ENOSPC;
	out[o++] = '"';
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_decode(s + i, len - i, &cp);
		char tmp[8];
		const char *piece = tmp;
		size_t plen;

		if (n == 0) {
			/* not UTF-8: the replacement character, one per byte */
			piece = "\xef\xbf\xbd";
			plen = 3;
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)cp;
			plen = 2;
		} else if (cp == '\n') {
			piece = "\\n";
			plen = 2;
		} else if (cp == '\t') {
			piece = "\\t";
			plen = 2;
		} else if (cp < 0x20 || cp == 0x7f || cp == 0x2028 || cp == 0x2029) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
			plen = 6;
		} else {
			piece = (const char *)s + i;
			plen = n;
		}
		if (o + plen + 2 > size) {
			out[0] = '"';
			out[1] = '"';
			out[2] = '\0';
			return -ENOSPC;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o++] = '"';
	out[o] = '\0';
	return (int)o;
}
