/* SPDX-License-Identifier: GPL-2.0-or-later */
/* key_dir: the directory and the key file checked on descriptors, never
 * on paths that could change in between (see cryptkey.h). */
#include "cryptkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cryptkey_uuid_ok(const char *uuid)
{
	size_t len = strlen(uuid);

	if (len == 0 || len > 64 || uuid[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((uuid[i] >= '0' && uuid[i] <= '9') || (uuid[i] >= 'a' && uuid[i] <= 'f') ||
		      (uuid[i] >= 'A' && uuid[i] <= 'F') || uuid[i] == '-'))
			return false;
	return true;
}

int cryptkey_open(const char *dir, const char *uuid, size_t max, char *why, size_t size)
{
	struct stat st;
	int dfd, fd, r;

	why[0] = '\0';
	if (!cryptkey_uuid_ok(uuid)) {
		snprintf(why, size, "the container's UUID cannot name a key file");
		return -EINVAL;
	}
	dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		snprintf(why, size, "key_dir %s: %s", dir, strerror(errno));
		return r;
	}
	if (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		snprintf(why, size, "key_dir %s: not owned by root, or group or others may "
			 "write it: not used", dir);
		close(dfd);
		return -EPERM;
	}
	/* O_NONBLOCK: a FIFO planted there must not stall the loop */
	fd = openat(dfd, uuid, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	r = -errno;
	close(dfd);
	if (fd < 0) {
		if (r != -ENOENT)
			snprintf(why, size, "%s/%s: %s", dir, uuid, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) || st.st_size <= 0 || (size_t)st.st_size > max) {
		snprintf(why, size, "%s/%s: not a regular file of root's that only root may read "
			 "and write (mode 0600 or 0400), of 1 to %zu bytes: not used", dir, uuid,
			 max);
		close(fd);
		return -EPERM;
	}
	/* the helper reads it as its standard input: blocking again */
	fcntl(fd, F_SETFL, 0);
	return fd;
}
