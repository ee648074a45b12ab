/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict UTF-8 decoding, shared by name sanitising, record escaping and JSON
 * output. Never accepts overlong forms, surrogates or code points past
 * U+10FFFF: a label that is not valid UTF-8 must never pass as if it were. */
#ifndef MEDIAD_UTF8_H
#define MEDIAD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s (len > 0 bytes available). Returns the
 * number of bytes it takes (1-4) and stores it in *cp, or 0 when the bytes
 * at s are not a valid UTF-8 sequence. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif
