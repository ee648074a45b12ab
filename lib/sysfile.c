/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small kernel files read in one go (see sysfile.h). */
#include "sysfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t sysfile_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}
