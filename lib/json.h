/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON output for medialist: string escaping that yields valid JSON for any
 * bytes a label can hold. Writes only; medialist never parses JSON. */
#ifndef MEDIAD_JSON_H
#define MEDIAD_JSON_H

#include <stddef.h>

/* Writes len bytes of in as a JSON string, with its quotes, to out (size
 * bytes, NUL-terminated). '"' and '\\' are escaped, control bytes become
 * \u00XX, U+2028/U+2029 are escaped (so the text is also valid
 * JavaScript), and each byte that is not part of a valid UTF-8 sequence
 * becomes U+FFFD. Returns the length, or -ENOSPC (out then holds "\"\""
 * when size allows). */
int json_escape(const char *in, size_t len, char *out, size_t size);

/* The longest output json_escape can make of len input bytes, plus NUL. */
#define JSON_ESCAPED_MAX(len) ((len) * 6 + 3)

#endif
