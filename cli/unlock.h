/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist unlock, lock, and eject of an encrypted container: the
 * options of unlock and the three commands (cli/unlock.c). */
#ifndef MEDIALIST_UNLOCK_H
#define MEDIALIST_UNLOCK_H

#include <stdbool.h>

#include "unlockproto.h"

struct ml;

struct unlock_args {
	const char *key_file;   /* --key-file FILE ("-": standard input) */
	struct unlock_opts opts; /* --type, --hidden, --test */
	unsigned pim;           /* --pim N, 0: none */
};

/* Parses the value of --type or --pim into a; prints the error. 0 or
 * EXIT_USAGE. */
int unlock_set_type(struct unlock_args *a, const char *v);
int unlock_set_pim(struct unlock_args *a, const char *v);

/* medialist unlock NAME: the secret from the terminal without echo, from
 * --key-file, or one line of standard input. Exit code. */
int unlock_run(const struct ml *ml, const char *name, const struct unlock_args *a);

/* medialist lock NAME, and eject of a container or its cleartext
 * (verb "lock" or "eject"). Exit code. */
int unlock_lock(const struct ml *ml, const char *verb, const char *name);

/* True when the record NAME is an encrypted container or a cleartext:
 * eject goes through unlock_lock() then. */
bool unlock_is_crypt(const struct ml *ml, const char *name);

#endif
