/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unmount and eject of one medium, with the checks that keep them to
 * offered media and to the mounts automount made under <media_dir>/auto,
 * and the control reply they give: the one place the daemon's action
 * child and medialist (root, no daemon) share, so the two never diverge.
 * Must never touch a mount elsewhere or a device that is not offered,
 * and never power off a device with another medium's data unflushed. */
#ifndef MEDIAD_MEDIACTION_H
#define MEDIAD_MEDIACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "record.h"

struct mediaction {
	const char *media_dir; /* mounts directly on <media_dir>/auto/X are ours */
	bool root;             /* the caller is root: may eject an internal disk */
	/* the device numbers of the offered media (records in
	 * <state_dir>/media; the daemon: its table's offered entries) */
	const dev_t *offered;
	size_t n_offered;
};

/* verb: "unmount" or "eject"; rec: the medium (name, device number,
 * removable). Does it, or refuses saying why, and writes the control
 * reply (lib/ctlproto.h) into reply (CONTROL_REPLY_MAX bytes): "ok TEXT"
 * or "error TEXT", then "\nflush SECONDS BYTES" when a filesystem was
 * flushed. Returns 0 or -errno. Blocking: never in an event loop. */
int mediaction_run(const struct mediaction *a, const char *verb, const struct record *rec,
		   char *reply, size_t size);

#endif
