/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one writer of a medium's published state. Whoever learns something
 * about a medium (a device event, a probe's answer, a mount change, the
 * dirty poll, mount.mediad's report) changes the medium's struct record in
 * memory and hands it here with a copy of what it was; only this file
 * writes its record and link, logs what changed and tells the hooks. */
#ifndef MEDIAD_CHANGE_H
#define MEDIAD_CHANGE_H

#include <stdbool.h>

struct mediad;
struct medium;
struct record;

/* A medium not published yet (an offered one waiting in coldplug for its
 * name): nothing to withdraw, no hook to tell. */
bool change_announced(const struct medium *e);

/* A new entry, named (or ignored, with its reason): published, logged,
 * told to the hooks. */
void change_announce(struct mediad *md, struct medium *e);

/* e->rec was before and is now e->rec: publishes it if anything differs,
 * logs the mount, safe-to-remove and mount-report changes, and emits the
 * mount, unmount, dirty and clean hooks. */
void change_commit(struct mediad *md, struct medium *e, const struct record *before);

/* The medium leaves the table: withdrawn, told to the hooks, freed (e is
 * invalid after). gone: the device itself is gone, so its mount under
 * <media_dir>/auto (and only there) is detached. */
void change_forget(struct mediad *md, struct medium *e, bool gone);

#endif
