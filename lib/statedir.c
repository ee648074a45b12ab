/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State-directory paths and the trusted-record read (see statedir.h).
 * Pure file handling; must never write. */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int statedir_path(const char *state_dir, const char *sub, const char *file, char *out,
		  size_t size)
{
	int n = file ? snprintf(out, size, "%s/%s/%s", state_dir, sub, file)
		     : snprintf(out, size, "%s/%s", state_dir, sub);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int statedir_devlink_path(const char *state_dir, const struct record *r, char *out,
			  size_t size)
{
	char link[64];
	int n = record_devlink(r, link, sizeof(link));

	if (n < 0)
		return n;
	n = statedir_path(state_dir, STATEDIR_DEV, link, out, size);
	return n < 0 ? n : 0;
}

int statedir_read_record(int dirfd, const char *file, struct record *rec)
{
	static char buf[RECORD_MAX_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* only what mediad or mount.mediad (root) wrote is believed */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n > RECORD_MAX_BYTES)
		return -EFBIG;
	return record_parse(buf, (size_t)n, rec, NULL);
}
