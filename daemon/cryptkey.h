/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Key files for auto-unlock (config key_dir): KEY_DIR/UUID, opened for
 * the unlock helper's standard input. Must never open a file that anyone
 * but root could have written or read, nor follow a link to one, nor take
 * a path from a stick's bytes (the UUID is checked first). */
#ifndef MEDIAD_CRYPTKEY_H
#define MEDIAD_CRYPTKEY_H

#include <stdbool.h>
#include <stddef.h>

/* A container UUID that can name a file: hex digits and '-' only (LUKS
 * and BitLocker UUIDs), 1 to 64 of them. */
bool cryptkey_uuid_ok(const char *uuid);

/* Opens dir/uuid read-only. dir must be a directory owned by root that
 * group and others cannot write (as hooks_dir); the file a regular file
 * owned by root that group and others can neither read nor write, and
 * not larger than max bytes. Returns the fd, -ENOENT when there is no
 * such key, or another -errno with why (size bytes) saying what is wrong. */
int cryptkey_open(const char *dir, const char *uuid, size_t max, char *why, size_t size);

#endif
