/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Encrypted media in the media table: a crypt mapping's device (the
 * cleartext) becomes an ordinary medium tied to its container, the
 * container's record says which medium it is unlocked as, a container
 * that leaves takes its cleartext and mediad's mapping with it, and a
 * container with a key in key_dir is unlocked when it arrives. Called
 * from daemon/events.c; publishes only through daemon/change.c. */
#ifndef MEDIAD_CRYPT_H
#define MEDIAD_CRYPT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "unlockproto.h"

struct mediad;
struct medium;
struct devinfo;
struct record;

/* sysfs' block class (tests point it elsewhere) */
extern const char *crypt_sysfs;

/* Before policy_classify(): a cleartext is on the container's stick, so
 * it takes the container's bus, removability, vendor, model and serial
 * (the mount options of a removable medium, the same eject rules). */
void crypt_adjust(struct mediad *md, struct devinfo *info);

/* After it: the container/unlocked_as fields and the reasons, and the
 * name a cleartext without a label falls back on (its container's label,
 * else the container's own base name and "_unlocked", in rec->model, as
 * media_base_name() reads it). A mapping of mediad's whose container is
 * gone is listed, never offered. */
void crypt_classify(struct mediad *md, const struct devinfo *info, struct record *rec,
		    enum verdict *v);

/* e was announced or changed: tells the waiting unlock request, has the
 * container judged again, closes an orphaned mapping, starts an
 * auto-unlock. */
void crypt_after(struct mediad *md, struct medium *e);

/* e's device is gone (before change_forget): a container withdraws its
 * cleartext (its mount detached lazily) and its mapping is removed with
 * deferred removal; a cleartext's container is judged again. */
void crypt_gone(struct mediad *md, struct medium *e);

/* The medium that is the cleartext of the container named kname, or
 * NULL. */
struct medium *crypt_find_cleartext(struct mediad *md, const char *kname);

/* The table's entry of kernel name kname (offered or not), or NULL. */
struct medium *crypt_find_kname(struct mediad *md, const char *kname);

/* The container a control request names: the container's kernel name,
 * or the name or kernel name of its cleartext. o: the unlock's options
 * (NULL for lock and eject): a device with no signature is a container
 * only when o asks for VeraCrypt or TrueCrypt. *clear: its cleartext, or
 * NULL. NULL with why (size bytes) when name is no such container. */
struct medium *crypt_target(struct mediad *md, const char *name,
			    const struct unlock_opts *o, struct medium **clear, char *why,
			    size_t size);

/* True when name is a container or a cleartext (eject locks first). */
bool crypt_is_crypt(struct mediad *md, const char *name);

/* The helper's type for a container's signature: luks, bitlk, or auto. */
enum unlock_type crypt_type_of(const struct record *r);

/* Mediad's mapping name of the crypt device dm (a kernel name), into
 * map; -ENOENT when it is not a mapping of mediad's. */
int crypt_map_of(const char *dm, char *map, size_t size);

#endif
