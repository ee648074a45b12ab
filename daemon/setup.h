/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's set-up: command line, configuration, the names in it
 * resolved (mount_user, allow_group), detaching from the terminal, and
 * reloads on SIGHUP or a change of the file. A reload never asks the name
 * service in the event loop: a child does, with a deadline. */
#ifndef MEDIAD_SETUP_H
#define MEDIAD_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

struct mediad;

/* What the names in the configuration resolve to. */
struct ids {
	bool have_user;         /* mount_user names someone (or is "") */
	uid_t uid;              /* owner given to FAT-like filesystems */
	gid_t gid;
	bool have_group;        /* allow_group exists */
	gid_t group;
};

/* Parses argv and loads the configuration into md. Returns -1 to go on,
 * else the exit status for main (help, version, --test, errors). */
int setup_args(struct mediad *md, int argc, char **argv);

/* Detaches unless foreground; logging set up. Returns the fd to report
 * readiness on (-1 in the foreground), or -2 on failure. */
int setup_detach(struct mediad *md);

/* Starts the signal watchers (TERM, INT: stop; HUP: reload) and the
 * configuration file's watch on md->loop. */
void setup_start(struct mediad *md);
void setup_stop(struct mediad *md);

#endif
