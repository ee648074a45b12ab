/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mount fallback order: what mount.mediad tries, in which order, when
 * a medium does not mount as the policy first chose. Pure: builds a list
 * of attempts from the type and options auto.media answered; running
 * them is the helper's job. Every attempt keeps the policy's options
 * (nosuid, nodev, ids, masks) and only ever adds "ro", a no-replay option
 * or the driver's error policy (errors=remount-ro): a fallback is never
 * less safe than the first choice. */
#ifndef MEDIAD_FALLBACK_H
#define MEDIAD_FALLBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

#define FALLBACK_MAX 8

struct mount_attempt {
	char type[OPTS_TYPE_BUF];  /* kernel type, or "ntfs-3g" (FUSE program) */
	char options[OPTS_BUF];
	bool readonly;
	bool fsck;                 /* run e2fsck -p before this attempt */
	bool noreplay;             /* the journal is not replayed */
};

/* Fills out[] (FALLBACK_MAX entries) with the attempts for a medium
 * offered as mounttype with options (as the record says: "ntfs3" or
 * "ntfs-3g" both mean NTFS). Returns how many, or -EPROTONOSUPPORT for a
 * type mediad never mounts, -EPERM for options holding suid, dev or an
 * errors= other than remount-ro and continue, -ENOSPC when options are
 * too long. */
int fallback_plan(const char *mounttype, const char *options,
		  struct mount_attempt out[FALLBACK_MAX]);

#endif
