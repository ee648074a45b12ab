/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diskseq from sysfs. */
#include "diskseq.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sysfile.h"

uint64_t diskseq_read(unsigned maj, unsigned min)
{
	char path[96], buf[32];

	/* a partition has no diskseq of its own: its disk's is one up */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", maj, min);
	if (access(path, F_OK) == 0)
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../diskseq", maj, min);
	else
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/diskseq", maj, min);
	return sysfile_read(path, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 10) : 0;
}
