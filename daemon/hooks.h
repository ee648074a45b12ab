/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hooks: executables in hooks_dir run in name order on add, remove, mount
 * and unmount of an offered medium, and on dirty and clean (safe to
 * remove or not, daemon/dirty.c) while it is mounted, with its fields in
 * MEDIAD_* environment variables and the event as their first argument. One hook
 * runs at a time, so hooks see events in the order they happened; each is
 * killed (with its process group) after hook_timeout seconds. Running a
 * hook never blocks the event loop. hooks_dir must be a real directory
 * owned by root and writable by nobody else, each hook a regular file
 * likewise (no symbolic links): otherwise nothing in it runs. */
#ifndef MEDIAD_HOOKS_H
#define MEDIAD_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>
#include <ev.h>

#include "config.h"
#include "record.h"

#define HOOKS_MAX_QUEUE 1024 /* events waiting; more are dropped, logged */
#define HOOKS_MAX_FILES 64

struct hook_job;
struct child;

struct hooks {
	const struct config *cfg; /* read when a job starts: reloads apply */
	struct ev_loop *loop;     /* NULL until hooks_start() */
	struct hook_job *head, *tail;
	size_t queued;
	char (*files)[256];       /* the current job's hooks, sorted */
	size_t n_files, next;
	struct child *child;      /* the running hook (daemon/child.c), or NULL */
	int dir_fd;               /* hooks_dir, checked (O_PATH), or -1 */
	char running[256];
	unsigned long runs, failures;
};

void hooks_init(struct hooks *h, const struct config *cfg);

/* Queues event ("add", "remove", "mount", "unmount", "dirty", "clean")
 * for rec (copied). */
void hooks_emit(struct hooks *h, const char *event, const struct record *rec);

/* Starts running queued hooks on loop (events queued during coldplug wait
 * for this). */
void hooks_start(struct hooks *h, struct ev_loop *loop);

/* Stops: queued events are dropped; a running hook is left to finish. */
void hooks_stop(struct hooks *h);

/* Builds the environment of a hook for event/rec into buf (size bytes)
 * and env (max entries, NULL-terminated). Returns 0 or -ENOSPC. Exposed
 * for tests. */
int hooks_build_env(const char *event, const struct record *rec,
		    const struct config *cfg, char *buf, size_t size,
		    char **env, size_t max);

/* True when a file name is one hooks run: not hidden, no backup or
 * package-manager leftovers ("~", ".dpkg-*", ".rpm*", ".swp"). */
bool hooks_name_ok(const char *name);

#endif
