/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syncfs with a stopwatch. The amount is the device's own write counter
 * (sysfs stat, field 7, in 512-byte sectors) before and after: exact for
 * the device, whichever filesystem, and it includes journal and metadata
 * writes, which are part of what a user waits for. */
#include "flush.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "sysfile.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t flush_written(unsigned maj, unsigned min)
{
	char path[64], buf[512];
	unsigned long long v[7];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat", maj, min);
	if (sysfile_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6]) != 7)
		return -1;
	return (int64_t)(v[6] * 512ULL);
}

int flush_open_mounted(const char *mountpoint)
{
	struct statfs sfs;
	int path_fd, fd;

	/* O_PATH walks into what is mounted there but never triggers an
	 * automount (O_DIRECTORY would: the kernel treats it as a walk
	 * into the directory), so an expired medium is not mounted again
	 * just to be flushed. syncfs() then needs a real open file: "." of
	 * it, which crosses no mount point. */
	path_fd = open(mountpoint, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (path_fd < 0)
		return -errno;
	if (fstatfs(path_fd, &sfs) < 0) {
		fd = -errno;
	} else if (sfs.f_type == AUTOFS_SUPER_MAGIC) {
		fd = -ENOENT; /* automount's directory: nothing mounted */
	} else {
		fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	close(path_fd);
	return fd;
}

/* The timed syncfs of an open descriptor of the filesystem. */
static int flush_timed(int fd, unsigned maj, unsigned min, struct flush_result *fr)
{
	int64_t before, after;
	double t0;
	int r = 0;

	before = flush_written(maj, min);
	t0 = now();
	if (syncfs(fd) < 0)
		r = -errno;
	fr->seconds += now() - t0;
	after = flush_written(maj, min);
	if (!fr->done)
		fr->bytes = 0;
	fr->done = true;
	if (before < 0 || after < before || fr->bytes < 0)
		fr->bytes = -1;
	else
		fr->bytes += after - before;
	return r;
}

int flush_mount(const char *mountpoint, unsigned maj, unsigned min,
		struct flush_result *fr)
{
	int fd, r;

	if (!mountpoint || !*mountpoint)
		return 0;
	fd = flush_open_mounted(mountpoint);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	r = flush_timed(fd, maj, min, fr);
	close(fd);
	return r;
}

int flush_at(int path_fd, unsigned maj, unsigned min, struct flush_result *fr)
{
	/* "." of it crosses no mount point, so triggers no automount */
	int fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = flush_timed(fd, maj, min, fr);
	close(fd);
	return r;
}

void flush_describe(const struct flush_result *fr, char *out, size_t size)
{
	static const char units[] = "BKMGTPE";
	double v = (double)fr->bytes;
	int u = 0;

	if (fr->bytes < 0) {
		snprintf(out, size, "in %.3f s", fr->seconds);
		return;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%" PRId64 "B in %.3f s", fr->bytes, fr->seconds);
	else
		snprintf(out, size, "%.1f%c in %.3f s", v, units[u], fr->seconds);
}

int flush_format_line(const struct flush_result *fr, char *out, size_t size)
{
	int n;

	if (fr->bytes < 0)
		n = snprintf(out, size, "flush %.6f -", fr->seconds);
	else
		n = snprintf(out, size, "flush %.6f %" PRId64, fr->seconds, fr->bytes);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int flush_parse_line(const char *line, struct flush_result *fr)
{
	char bytes[32], extra;
	double s;
	char *end;

	if (sscanf(line, "flush %lf %31s %c", &s, bytes, &extra) != 2 || s < 0)
		return -EINVAL;
	fr->done = true;
	fr->seconds = s;
	if (!strcmp(bytes, "-")) {
		fr->bytes = -1;
		return 0;
	}
	if (bytes[0] < '0' || bytes[0] > '9')
		return -EINVAL;
	errno = 0;
	fr->bytes = (int64_t)strtoll(bytes, &end, 10);
	return errno || *end ? -EINVAL : 0;
}
