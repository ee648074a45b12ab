/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running one program to its end, with a deadline, for the programs that
 * are not event loops (mount.mediad, medialist): fork, exec, drain its
 * output, kill its process group at the deadline, reap. Never waits past
 * the deadline (plus a short grace to reap), never leaves the child's
 * output unread, never waits for a grandchild that keeps the pipe open. */
#ifndef MEDIAD_RUN_H
#define MEDIAD_RUN_H

#include <stddef.h>

/* The environment run_program() gives when env is NULL. */
#define RUN_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* After the SIGKILL at the deadline, how long run_program() waits to reap
 * the child: one stuck in the kernel (a read from a dead device) dies only
 * when the I/O returns, and the caller must not wait for that. */
#define RUN_REAP_MS 1000

/* flags: */
/* The child stays in the caller's process group, and the deadline kills
 * it alone. For a mount helper's children that touch the mount point
 * (ntfs-3g): autofs mounts nothing for automount's own process group,
 * which the helper is in; from another group, the FUSE program's access
 * to its own mount point would wait for that very mount. */
#define RUN_SAME_PGRP 1u

/* Runs path with argv (NULL-terminated) and env (NULL-terminated; NULL
 * means RUN_PATH and LC_ALL=C only) in a new process group (unless
 * run_program_flags() is given RUN_SAME_PGRP): stdin from
 * /dev/null, stdout and stderr into one pipe that is read until the child
 * exits, signal dispositions and mask reset to the defaults, every fd from
 * 3 up closed. The first outsize - 1 bytes of its output are kept in out
 * (NUL-terminated; out may be NULL), the rest read and thrown away.
 * Returns as soon as the child has exited, even when a grandchild it left
 * behind (a FUSE daemon) still holds the pipe.
 * deadline_ms after the start the process group (or the child alone)
 * gets SIGKILL.
 *
 * Returns 0 when the program ran and ended on its own (*status: its wait
 * status, see waitpid(2)); -ETIMEDOUT when it was killed at the deadline
 * (*status: the wait status, or that of a SIGKILL when it could not be
 * reaped within RUN_REAP_MS; it is then left to init once the caller
 * exits); the negative errno of execve() when the program could not be
 * started (*status: exit 127); another -errno when no child could be made
 * (*status: -1). The caller must not ignore SIGCHLD (children would not
 * be reaped: -ECHILD). */
int run_program(const char *path, const char *const argv[], const char *const env[],
		unsigned deadline_ms, char *out, size_t outsize, int *status);

/* run_program() with flags (RUN_SAME_PGRP). */
int run_program_flags(const char *path, const char *const argv[], const char *const env[],
		      unsigned flags, unsigned deadline_ms, char *out, size_t outsize,
		      int *status);

#endif
