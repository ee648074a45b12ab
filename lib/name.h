/* The names contract: how a medium's label becomes the name of its link in
 * <media_dir>/list and of its record, and how lookup keys are validated.
 * A name never holds '/', '\', NUL or control bytes, bidirectional
 * overrides, invalid UTF-8, is never "." or "..", never starts with '-',
 * '.' or a space, never ends with a space and is at most NAME_MAX_BYTES. */
#ifndef MEDIAD_NAME_H
#define MEDIAD_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_BYTES 64
#define NAME_BUF (NAME_MAX_BYTES + 1)

/* Makes a name from untrusted bytes (len of them; NUL bytes count as
 * control bytes). Writes a NUL-terminated name to out (NAME_BUF bytes).
 * Returns its length; 0 means nothing usable was left (caller falls back). */
size_t name_sanitize(const char *in, size_t len, char out[NAME_BUF]);

/* True when key is a name by the contract: exactly what name_sanitize
 * leaves unchanged. Used by auto.media on the key autofs hands it. */
bool name_is_valid(const char *key);

/* Writes "base_N" to out, shortening base on a UTF-8 boundary so that the
 * result fits NAME_MAX_BYTES. n >= 2. Returns 0, or -EINVAL. */
int name_with_suffix(const char *base, unsigned n, char out[NAME_BUF]);

#endif
