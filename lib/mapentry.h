/* SPDX-License-Identifier: GPL-2.0-or-later */
/* autofs (sun) map syntax for the one entry auto.media prints:
 * "-fstype=TYPE,OPTIONS :/dev/NODE". */
#ifndef MEDIAD_MAPENTRY_H
#define MEDIAD_MAPENTRY_H

#include <stddef.h>

/* Writes the map entry for a device into out (size bytes). Every byte that
 * means something to the map parser (space, tab, '"', '\\', '&', '$', and
 * ',' or '=' outside their places) is backslash-escaped; control bytes
 * are refused. Returns the length, -EINVAL (a control byte) or -ENOSPC. */
int mapentry_format(const char *mounttype, const char *options,
		    const char *devname, char *out, size_t size);

/* Escapes one value for the map; same rules. For tests and reuse. */
int mapentry_escape(const char *in, const char *keep, char *out, size_t size);

#endif
