/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mounts of block devices, known by device number (never by the source
 * string anyone can choose), and acted on only through a directory
 * descriptor after the mount ID is proven. Must never unmount lazily nor
 * through a path someone else could rename or replace. */
#ifndef MEDIAD_MOUNTID_H
#define MEDIAD_MOUNTID_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One mount of one of the devices asked for, from /proc/self/mountinfo
 * (a btrfs mount, whose number is anonymous, by its member devices). */
struct mountid {
	int id, parent;      /* mount IDs: proven again before acting */
	dev_t dev;           /* the block device (a btrfs member) */
	dev_t sdev;          /* the number mountinfo gives */
	bool anon;           /* sdev is not dev (btrfs) */
	char target[PATH_MAX];
};

/* Every mount of devs, in mountinfo order (the last mounted last).
 * *out is the caller's to free(). 0 or -errno. */
int mountid_scan(const dev_t *devs, size_t n, struct mountid **out, size_t *nout);

/* An O_PATH descriptor of the root of mount m, reached as the entry
 * basename(m->target) of dirfd (never following a symlink) and proven to
 * be m (mount ID, mount root, device): -ESTALE when that name leads
 * anywhere else now, or -errno. */
int mountid_open(int dirfd, const struct mountid *m);

/* Unmounts m, the entry basename(m->target) of dirfd, once proven again;
 * through dirfd ("/proc/self/fd/N/NAME", no symlink followed): a path
 * renamed or replaced meanwhile can never redirect it. Never lazily (a
 * busy medium must say so). 0, -ENOENT when m is gone already (expired),
 * or -errno. */
int mountid_umount(int dirfd, const struct mountid *m);

/* Undoes the octal escapes of mountinfo and /proc/swaps (' ', '\t',
 * '\n', '\\'), in place. */
void mountid_unescape(char *s);

#endif
