/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diskseq from sysfs. */
#include "diskseq.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

uint64_t diskseq_read(unsigned maj, unsigned min)
{
	char path[96], buf[32];
	ssize_t n;
	int fd;

	/* a partition has no diskseq of its own: its disk's is one up */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", maj, min);
	if (access(path, F_OK) == 0)
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../diskseq", maj, min);
	else
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/diskseq", maj, min);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}
