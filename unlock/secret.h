/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one place mediad-unlock keeps a secret: a buffer of its own pages,
 * locked in memory (never swapped), left out of core dumps, and wiped
 * with explicit_bzero before it is unmapped. Must never copy the secret
 * anywhere else but into libcryptsetup's own calls and a sealed memfd. */
#ifndef MEDIAD_UNLOCK_SECRET_H
#define MEDIAD_UNLOCK_SECRET_H

#include <stddef.h>

struct secret {
	char *buf;   /* mapped pages, NULL when none */
	size_t cap;  /* bytes mapped */
	size_t len;  /* bytes read */
};

/* Reads fd to its end into a fresh locked buffer. Returns 0, -EFBIG when
 * it holds more than max bytes (nothing of it is kept), or -errno. mlock
 * failing is not fatal (*locked says whether it held). */
int secret_read(int fd, size_t max, struct secret *s, int *locked);

/* Wipes and unmaps; s is empty after. Safe on an empty secret. */
void secret_free(struct secret *s);

/* A memfd holding len bytes, sealed against any change, for the one API
 * that wants a key file by path (TCRYPT key files): /proc/self/fd/N.
 * Returns the fd or -errno. */
int secret_memfd(const char *data, size_t len);

#endif
