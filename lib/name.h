/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The names contract: how a medium's label becomes the name of its link in
 * <media_dir>/list and of its record, and how lookup keys are validated.
 * A name is valid UTF-8 of at most NAME_MAX_BYTES and holds at least one
 * visible character. It never holds '/', '\', '*' (autofs's wildcard key),
 * NUL, C0/C1 control bytes, line separators, bidi marks (U+061C, U+200E/F,
 * U+202A..E, U+2066..9) or invisible format characters (U+00AD, U+200B,
 * U+2060..4, U+FEFF, U+180E, Hangul fillers, tags ...); is never "." or
 * ".."; never starts with '-', '.', '+' (an autofs included map), a space
 * (U+0020, U+00A0, U+1680, U+2000..A, U+202F, U+205F, U+3000, U+2800), a
 * joiner or a variation selector; never ends with a space or a joiner.
 * Joiners (U+200C/D), variation selectors and tag characters are kept only
 * right after a visible character (emoji and Persian or Indic words keep
 * them); anywhere else they count as invisible. */
#ifndef MEDIAD_NAME_H
#define MEDIAD_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_BYTES 64
#define NAME_BUF (NAME_MAX_BYTES + 1)

/* Makes a name from untrusted bytes (len of them; NUL bytes count as
 * control bytes). Unsafe bytes and characters become '_'; spaces and
 * invisible characters are dropped at either end, spaces kept and
 * invisible characters made '_' in between. Writes a NUL-terminated name
 * to out (NAME_BUF bytes). Returns its length; 0 means nothing visible was
 * left (the caller falls back to another name). */
size_t name_sanitize(const char *in, size_t len, char out[NAME_BUF]);

/* True when key is a name by the contract: exactly what name_sanitize
 * leaves unchanged. Used by auto.media on the key autofs hands it and by
 * the daemon's control parser. */
bool name_is_valid(const char *key);

/* Writes "base_N" to out, shortening base on a UTF-8 boundary so that the
 * result fits NAME_MAX_BYTES. n >= 2. Returns 0, or -EINVAL. */
int name_with_suffix(const char *base, unsigned n, char out[NAME_BUF]);

#endif
