/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own words about a failed mount. mount(2) returns only an
 * errno ("invalid argument" for a dozen different superblock problems);
 * the filesystem says what was wrong in the kernel log, naming the
 * device ("EXT4-fs (sdb1): write access unavailable, cannot proceed").
 * mount.mediad marks the end of /dev/kmsg before a mount and reads what
 * was logged about its device after it. */
#ifndef MEDIAD_KREASON_H
#define MEDIAD_KREASON_H

#include <stddef.h>

/* Opens /dev/kmsg positioned at its end. Returns the descriptor, or -1
 * (no /dev/kmsg, or not allowed: reasons then come from errno only). */
int kreason_mark(void);

/* Reads what the kernel logged since kreason_mark() and keeps in out the
 * warnings and errors that name kname (e.g. "sdb1", "loop3"), joined, the
 * filesystem's repeated "XFS (loop3): " prefix said once; out is "" when
 * there were none. Does not close fd. */
void kreason_read(int fd, const char *kname, char *out, size_t size);

#endif
