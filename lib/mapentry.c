/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Map-entry escaping. autofs's sun parser treats blanks as separators,
 * '"' and '\\' as quoting, '&' as the key and '$' as a variable; anything
 * the daemon wrote must reach mount(8) unchanged, so all of those are
 * escaped. Pure; no allocation. */
#include "mapentry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_plain(unsigned char c, const char *keep)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == '/' || c == '+' || c == '@' || c >= 0x80 ||
	       (keep && c && strchr(keep, c));
}

int mapentry_escape(const char *in, const char *keep, char *out, size_t size)
{
	size_t o = 0;

	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			return -EINVAL;
		if (!is_plain(*s, keep)) {
			if (o + 1 >= size)
				return -ENOSPC;
			out[o++] = '\\';
		}
		if (o + 1 >= size)
			return -ENOSPC;
		out[o++] = (char)*s;
	}
	if (o >= size)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

int mapentry_format(const char *mounttype, const char *options,
		    const char *devname, char *out, size_t size)
{
	size_t o = 0;
	int n;

	/* "-fstype=" + type + "," + options (',' and '=' are syntax there)
	 * + " :" + device */
	if (size < 16)
		return -ENOSPC;
	o = (size_t)snprintf(out, size, "-fstype=");
	n = mapentry_escape(mounttype, NULL, out + o, size - o);
	if (n < 0)
		return n;
	o += (size_t)n;
	if (*options) {
		if (o + 1 >= size)
			return -ENOSPC;
		out[o++] = ',';
		n = mapentry_escape(options, ",=:", out + o, size - o);
		if (n < 0)
			return n;
		o += (size_t)n;
	}
	if (o + 2 >= size)
		return -ENOSPC;
	out[o++] = ' ';
	out[o++] = ':';
	n = mapentry_escape(devname, NULL, out + o, size - o);
	if (n < 0)
		return n;
	return (int)(o + (size_t)n);
}
