/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running one mount attempt for mount.mediad: the mount(2) call for a
 * kernel filesystem (options split into flags and data as mount(8)
 * would), or a program (ntfs-3g, e2fsck) with a deadline and the first
 * line of its output kept (lib/run.c). */
#ifndef MEDIAD_MOUNTRUN_H
#define MEDIAD_MOUNTRUN_H

#include <stddef.h>

/* mount(2) of dev on target as type with a comma-separated option
 * string. nosuid and nodev are always added; suid, dev and errors= other
 * than remount-ro or continue are refused (EPERM).
 * Returns 0, or -1 with errno. */
int mountrun_syscall(const char *dev, const char *target, const char *type,
		     const char *options);

/* Runs the program name (found by mountrun_find) with argv through
 * run_program_flags() (flags: RUN_SAME_PGRP for a program that touches the
 * mount point): a minimal environment, stdin from /dev/null, killed after
 * deadline_ms. The first line of its output that
 * is not blank is kept in said (size bytes). Returns its exit status, or
 * -ENOENT (not installed), -ETIMEDOUT (killed at the deadline), -EINTR
 * (killed by a signal), another -errno (could not run). */
int mountrun_tool(const char *name, const char *const argv[], unsigned flags,
		  unsigned deadline_ms, char *said, size_t size);

/* The full path of a program in the usual system directories, or NULL. */
const char *mountrun_find(const char *name);

/* errno in the words of mount(8), e.g. ENODEV: "unknown filesystem
 * type". */
const char *mountrun_strerror(int err);

#endif
