/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What sysfs says about device-mapper crypt devices: whether a block
 * device is the cleartext of an encrypted container (dm/uuid "CRYPT-..."
 * and exactly one slave), of which one, and under which mapping name; and
 * whether a container is held by such a device. Reads only, never the
 * device nodes; root is "/sys/class/block" but for tests. */
#ifndef MEDIAD_CRYPTSYS_H
#define MEDIAD_CRYPTSYS_H

#include <stdbool.h>
#include <stddef.h>

struct cleartext {
	char container[64]; /* the slave's kernel name, "" when it has none left */
	char map[128];      /* the mapping's name (dm/name) */
	char type[16];      /* from dm/uuid: LUKS1, LUKS2, TCRYPT, BITLK, PLAIN ... */
	bool ours;          /* the name is one mediad gives (lib/unlockproto.h) */
	bool container_present; /* the slave is still there, with a size */
};

/* 1 when kname is a crypt mapping (c filled), 0 when not, -errno. */
int cryptsys_cleartext(const char *root, const char *kname, struct cleartext *c);

/* The kernel name of the crypt mapping that holds kname, into out; 1,
 * or 0 when none does. */
int cryptsys_holder(const char *root, const char *kname, char *out, size_t size);

/* A human name for a dm/uuid type: "LUKS2", "VeraCrypt or TrueCrypt",
 * "BitLocker". */
const char *cryptsys_type_label(const char *type);

#endif
