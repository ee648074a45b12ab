/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publication by the state-directory contract: records in
 * <state_dir>/media/NAME (offered) and <state_dir>/ignored/KNAME (listed
 * with a reason), and links <media_dir>/list/NAME -> ../auto/NAME. Every
 * file appears by rename(), so readers never see half of one. */
#ifndef MEDIAD_PUBLISH_H
#define MEDIAD_PUBLISH_H

#include "config.h"
#include "media.h"

struct publisher {
	int state_fd, media_fd, ignored_fd, previous_fd, dev_fd, list_fd;
	int mounts_fd; /* mount.mediad's reports, by device link name */
};

/* Creates (0755, root) and checks the directories: each must be a real
 * directory owned by us and writable by nobody else; otherwise refuses with
 * -EPERM and a message in err (CONFIG_ERR_BUF bytes). */
int publish_open(struct publisher *p, const struct config *c, char *err);
void publish_close(struct publisher *p);

int publish_write(struct publisher *p, const struct medium *e);
void publish_withdraw(struct publisher *p, const struct medium *e);

/* Reads mount.mediad's report for medium e (<state_dir>/mounts/ under
 * its device link's name) into rep: only its mount fields are set.
 * Returns 0, -ENOENT when there is none, or another -errno. */
int publish_read_report(struct publisher *p, const struct medium *e, struct record *rep);
/* Loads what an earlier instance left (media/ after a crash, previous/
 * after a clean stop) as naming hints. */
void publish_load_hints(struct publisher *p, struct media *m);

/* Removes every record, link and memo that does not belong to a medium in
 * m: what an earlier instance left for media that are gone. */
void publish_sweep(struct publisher *p, const struct media *m);

/* Clean stop: withdraws everything, keeping each offered medium's record in
 * previous/ so that the next instance gives it the same name. */
void publish_stop(struct publisher *p, const struct media *m);

#endif
