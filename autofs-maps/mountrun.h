/* Running one mount attempt for mount.mediad: the mount(2) call for a
 * kernel filesystem (options split into flags and data as mount(8)
 * would), or a program (ntfs-3g, e2fsck) with its output kept. */
#ifndef MEDIAD_MOUNTRUN_H
#define MEDIAD_MOUNTRUN_H

#include <stddef.h>

/* mount(2) of dev on target as type with a comma-separated option
 * string. nosuid and nodev are always added; suid and dev are refused.
 * Returns 0, or -1 with errno. */
int mountrun_syscall(const char *dev, const char *target, const char *type,
		     const char *options);

/* Runs path with argv (NULL-terminated) and a minimal environment, stdin
 * from /dev/null, and waits for it. Its stdout and stderr are kept in
 * out (size bytes, the first line that is not blank; may be NULL).
 * Returns its exit status, or -1 when it could not run or was killed. */
int mountrun_program(const char *path, const char *const argv[], char *out, size_t size);

/* The full path of a program in the usual system directories, or NULL. */
const char *mountrun_find(const char *name);

/* errno in the words of mount(8), e.g. ENODEV: "unknown filesystem
 * type". */
const char *mountrun_strerror(int err);

#endif
