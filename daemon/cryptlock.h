/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lock and eject of an encrypted container, run in a child of mediad
 * (daemon/child.c): the cleartext unmounted as any medium is
 * (lib/mediaction.c), mediad's mapping closed by mediad-unlock, and for
 * eject the container's device powered off. Must never close a mapping
 * that mediad did not make, nor power off what mediaction refuses. */
#ifndef MEDIAD_CRYPTLOCK_H
#define MEDIAD_CRYPTLOCK_H

#include <stdbool.h>

#include "record.h"

struct mediad;

struct cryptlock {
	const struct mediad *md;  /* the child's copy of the table */
	struct record container;
	struct record clear;      /* valid when has_clear */
	bool has_clear;
	char map[128];            /* mediad's mapping to close, "" when none */
	bool eject;
	bool root;                /* the client is root: may eject an internal disk */
};

/* The child's run function (arg: struct cryptlock). Prints the control
 * reply ("ok TEXT" or "error TEXT", then "\nflush ..." when a filesystem
 * was flushed) on stdout; returns 0 or an errno value. */
int cryptlock_run(void *arg);

#endif
