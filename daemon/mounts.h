/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount tracking with libmount: a parsed copy of this namespace's
 * mountinfo, refreshed only when libmount's monitor says it changed. */
#ifndef MEDIAD_MOUNTS_H
#define MEDIAD_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

struct libmnt_monitor;
struct libmnt_table;

struct mounts {
	struct libmnt_monitor *mon;
	struct libmnt_table *tb;
	char auto_dir[300]; /* "<media_dir>/auto/" */
};

int mounts_open(struct mounts *m, const char *media_dir);
void mounts_close(struct mounts *m);
int mounts_fd(const struct mounts *m);

/* Drains the monitor; when anything changed, re-reads the table and
 * returns true. */
bool mounts_refresh(struct mounts *m);

struct mount_found {
	const char *ours;   /* first mount under <media_dir>/auto/, or NULL */
	int ours_id;        /* its mount ID (mountinfo's first field) */
	const char *system; /* first mount elsewhere, or NULL */
};

/* Where block device devnum (kernel name kname, filesystem UUID uuid:
 * btrfs's mounts carry no device number) is mounted, by device number:
 * FUSE and tmpfs mounts whose source string names the device are not its
 * mounts. Pointers are valid until the next refresh. */
void mounts_find(const struct mounts *m, dev_t devnum, const char *kname, const char *uuid,
		 struct mount_found *out);

/* What is mounted on target: its filesystem type, whether it is writable
 * (mount and superblock both read-write) and its "commit=" seconds (0 if
 * the options do not say). False when nothing is mounted there.
 * *fstype is valid until the next refresh. */
bool mounts_get(const struct mounts *m, const char *target, const char **fstype,
		bool *rw, unsigned *commit);

/* The NAME of a "<media_dir>/auto/NAME" mount point, or NULL. */
const char *mounts_auto_name(const struct mounts *m, const char *target);

#endif
