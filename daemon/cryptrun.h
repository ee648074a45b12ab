/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running mediad-unlock (unlock/) through daemon/child.c: the open of a
 * container with the secret on its standard input, under a deadline and
 * an address-space bound, and the close of a mapping. The daemon never
 * links libcryptsetup: the helper does (see README, encrypted media).
 * Must never put a secret in argv or the environment. */
#ifndef MEDIAD_CRYPTRUN_H
#define MEDIAD_CRYPTRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <ev.h>

#include "child.h"
#include "unlockproto.h"

/* The helper: mediad-unlock beside the running mediad when there is one
 * that only root may write (a build tree), else LIBEXECDIR's. */
const char *cryptrun_helper(void);

struct cryptrun_open {
	const char *what;          /* for the log: "unlock of sdb1" */
	const char *devname;
	dev_t devnum;
	const char *map;           /* the mapping's name (unlockproto_map_name) */
	struct unlock_opts opts;
	bool raw;                  /* secret_fd holds a bare key file */
	int secret_fd;             /* the helper's stdin; closed here, always */
	double deadline;           /* seconds */
	unsigned memory_mb;        /* RLIMIT_AS of the helper */
	void (*done)(const struct child_result *res, void *arg);
	void *arg;
};

/* Starts the open. The handle (child.h), or NULL with -errno in *err. */
struct child *cryptrun_open(struct ev_loop *loop, const struct cryptrun_open *o, int *err);

/* Starts "close MAP [deferred]"; done may be NULL. */
struct child *cryptrun_close(struct ev_loop *loop, const char *map, bool deferred,
			     void (*done)(const struct child_result *res, void *arg), void *arg,
			     int *err);

/* The helper's one line without "ok "/"error ", or a description of how
 * it ended when it said nothing, into out. */
void cryptrun_message(const struct child_result *res, char *out, size_t size);

#endif
