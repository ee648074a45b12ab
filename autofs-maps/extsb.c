/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ext2/3/4 superblock's state (see extsb.h), after e2fsck's own
 * check_if_skip(): what makes e2fsck -p check a filesystem is exactly
 * what makes this say "not clean", and then mount.mediad runs e2fsck -p
 * as before. Reads only; unknown or odd values count as not clean. */
#include "extsb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SB_OFFSET 1024
#define SB_MAGIC 0xEF53
#define STATE_VALID 0x0001  /* cleanly unmounted */
#define STATE_ERROR 0x0002  /* errors detected */
#define STATE_ORPHAN 0x0004 /* orphans being recovered */
#define INCOMPAT_RECOVER 0x0004 /* the journal needs replaying */
/* The features e2fsprogs 1.47 knows (lib/ext2fs/ext2fs.h's *_SUPP, less
 * RECOVER and ORPHAN_PRESENT, which call for work): with another one set,
 * e2fsck -p refuses the filesystem and the mount goes read-only with that
 * note, as before. A newer e2fsprogs knowing more only means an e2fsck
 * run this skips not. */
#define INCOMPAT_KNOWN 0x3E7DAU
#define RO_COMPAT_KNOWN 0xF77BU

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

bool extsb_clean(const uint8_t *sb, size_t len, int64_t now, char *why, size_t size)
{
	uint32_t state, incompat, ro_compat, lastcheck, interval, mtime, wtime;
	int32_t max_mnt;

	why[0] = '\0';
	if (len < 1024 || le16(sb + 0x38) != SB_MAGIC) {
		snprintf(why, size, "no ext superblock");
		return false;
	}
	state = le16(sb + 0x3A);
	incompat = le32(sb + 0x60);
	ro_compat = le32(sb + 0x64);
	max_mnt = (int16_t)le16(sb + 0x36);
	lastcheck = le32(sb + 0x40);
	interval = le32(sb + 0x44);
	mtime = le32(sb + 0x2C);
	wtime = le32(sb + 0x30);
	if (!(state & STATE_VALID) || (state & (STATE_ERROR | STATE_ORPHAN)))
		snprintf(why, size, "state 0x%x: not cleanly unmounted or errors", state);
	else if (le32(sb + 0x194))
		snprintf(why, size, "%u errors recorded", le32(sb + 0x194));
	else if (incompat & INCOMPAT_RECOVER)
		snprintf(why, size, "its journal needs replaying");
	else if ((incompat & ~INCOMPAT_KNOWN) || (ro_compat & ~RO_COMPAT_KNOWN))
		snprintf(why, size, "features 0x%x/0x%x that e2fsck may not know",
			 incompat & ~INCOMPAT_KNOWN, ro_compat & ~RO_COMPAT_KNOWN);
	else if (le32(sb + 0xE8))
		snprintf(why, size, "orphan inodes to release");
	else if (max_mnt > 0 && le16(sb + 0x34) >= (uint32_t)max_mnt)
		snprintf(why, size, "mounted %u times without a check", le16(sb + 0x34));
	else if (interval && now >= (int64_t)lastcheck + interval)
		snprintf(why, size, "its check interval has passed");
	else if (lastcheck > now || mtime > now || wtime > now)
		snprintf(why, size, "times in the future"); /* e2fsck checks then too */
	return why[0] == '\0';
}

#define MOUNT_OPTS_OFFSET 0x200
#define MOUNT_OPTS_LEN 64

bool extsb_opts_terminated(const uint8_t *sb, size_t len, char *why, size_t size)
{
	if (len < MOUNT_OPTS_OFFSET + MOUNT_OPTS_LEN || le16(sb + 0x38) != SB_MAGIC ||
	    memchr(sb + MOUNT_OPTS_OFFSET, '\0', MOUNT_OPTS_LEN))
		return true;
	snprintf(why, size, "its superblock's default mount options are not terminated "
		 "(a kernel without the fix of CVE-2025-40198 reads past them)");
	return false;
}

/* The superblock's first 1,024 bytes: 0, or -errno (-EIO when short) */
static int read_sb(const char *dev, uint8_t sb[1024])
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, sb, 1024, SB_OFFSET);
	close(fd);
	return n == 1024 ? 0 : -EIO;
}

bool extsb_opts_terminated_dev(const char *dev, char *why, size_t size)
{
	uint8_t sb[1024] = { 0 };

	return read_sb(dev, sb) < 0 || extsb_opts_terminated(sb, sizeof(sb), why, size);
}

bool extsb_clean_dev(const char *dev, char *why, size_t size)
{
	uint8_t sb[1024] = { 0 };
	int r = read_sb(dev, sb);

	if (r < 0) {
		snprintf(why, size, "cannot read its superblock%s%s", r == -EIO ? "" : ": ",
			 r == -EIO ? "" : strerror(-r));
		return false;
	}
	return extsb_clean(sb, sizeof(sb), (int64_t)time(NULL), why, size);
}
