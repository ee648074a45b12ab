/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether an ext2/3/4 filesystem says it needs e2fsck before a read-write
 * mount: its superblock's own state, read in one pread, so that the first
 * access to a clean stick runs no e2fsck (a fork and exec, and e2fsck's
 * own start-up, on every first access). Must never write to the device,
 * nor call clean a filesystem whose superblock gives e2fsck -p a reason
 * to check it (a reason outside it, a backup superblock that differs, is
 * the kernel's to meet at the mount, as for every other type). */
#ifndef MEDIAD_EXTSB_H
#define MEDIAD_EXTSB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when the superblock (its first 1,024 bytes, sb) says e2fsck -p
 * would find nothing to do: cleanly unmounted, no error recorded, no
 * journal to replay, no orphan to release, no check due by mount count or
 * interval (now: seconds since the epoch). Otherwise false, and why says
 * what called for the check. */
bool extsb_clean(const uint8_t *sb, size_t len, int64_t now, char *why, size_t size);

/* Reads dev's superblock and answers as extsb_clean; false (with why)
 * when it cannot be read. */
bool extsb_clean_dev(const char *dev, char *why, size_t size);

/* False (with why) when an ext superblock's default mount options
 * (s_mount_opts, 64 bytes at 0x200) hold no NUL: ext4 on kernels before
 * the fix of CVE-2025-40198 (6.1.158, 6.6.114, 6.12.54, 6.17.4) reads
 * past them, and a hostile stick can carry exactly that. True for
 * anything else, a short or unreadable superblock included (the mount
 * itself then fails or not, as for every type). */
bool extsb_opts_terminated(const uint8_t *sb, size_t len, char *why, size_t size);
bool extsb_opts_terminated_dev(const char *dev, char *why, size_t size);

#endif
