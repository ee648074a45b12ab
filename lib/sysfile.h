/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One read of a small kernel file (sysfs, procfs) into a string: the one
 * place mediad and its helpers read one, so each caller only parses.
 * Never blocks on a FIFO, never follows into anything but the file. */
#ifndef MEDIAD_SYSFILE_H
#define MEDIAD_SYSFILE_H

#include <sys/types.h>

/* Reads at most size - 1 bytes of path into buf, NUL-terminated (size >= 1).
 * Returns the bytes read (0: empty), or -errno (buf then holds ""). */
ssize_t sysfile_read(const char *path, char *buf, size_t size);

#endif
