/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state-directory contract's one owner: where things live under
 * <state_dir> and how a reader believes a record. Used by mediad (which
 * writes), auto.media, mount.mediad and medialist (which read). A reader
 * must never follow a link in it nor believe a file root did not write. */
#ifndef MEDIAD_STATEDIR_H
#define MEDIAD_STATEDIR_H

#include <stddef.h>

#include "record.h"

/* The folders of <state_dir>: */
#define STATEDIR_MEDIA "media"       /* a record per offered medium, by name */
#define STATEDIR_IGNORED "ignored"   /* a record per listed device, by kernel name */
#define STATEDIR_PREVIOUS "previous" /* names kept over a clean stop */
#define STATEDIR_DEV "dev"           /* per-generation device links (record_devlink) */
#define STATEDIR_MOUNTS "mounts"     /* mount.mediad's reports, by device link */
#define STATEDIR_CONTROL "control"   /* the daemon's socket (lib/ctlproto.h) */

/* "<state_dir>/<sub>" or "<state_dir>/<sub>/<file>" (file may be NULL).
 * Returns the length, or -ENAMETOOLONG. */
int statedir_path(const char *state_dir, const char *sub, const char *file, char *out,
		  size_t size);

/* "<state_dir>/dev/<maj-min-diskseq>": the link auto.media hands
 * automount for the medium r describes. 0 or -errno. */
int statedir_devlink_path(const char *state_dir, const struct record *r, char *out,
			  size_t size);

/* Reads the record file relative to dirfd: opened without following a
 * link or blocking on a FIFO; believed only when it is a regular file
 * owned by root that nobody else may write, and no larger than a record
 * can be. Returns 0, -EPERM (not trusted), -EFBIG, -EINVAL, or -errno. */
int statedir_read_record(int dirfd, const char *file, struct record *rec);

#endif
