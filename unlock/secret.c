/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Locked, undumpable, wiped buffers for secrets (see secret.h). Must
 * never leave a byte of a secret in memory it does not wipe itself. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int secret_read(int fd, size_t max, struct secret *s, int *locked)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t cap;

	memset(s, 0, sizeof(*s));
	*locked = 0;
	if (page <= 0)
		page = 4096;
	/* one byte more than allowed: that is how "too long" shows */
	cap = (max + 1 + (size_t)page - 1) / (size_t)page * (size_t)page;
	s->buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED) {
		s->buf = NULL;
		return -errno;
	}
	s->cap = cap;
	madvise(s->buf, cap, MADV_DONTDUMP);
	*locked = mlock(s->buf, cap) == 0;
	for (;;) {
		ssize_t n = read(fd, s->buf + s->len, s->cap - s->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			secret_free(s);
			return r;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
		if (s->len > max) {
			secret_free(s);
			return -EFBIG;
		}
	}
	return 0;
}

void secret_free(struct secret *s)
{
	if (s->buf) {
		explicit_bzero(s->buf, s->cap);
		munlock(s->buf, s->cap);
		munmap(s->buf, s->cap);
	}
	memset(s, 0, sizeof(*s));
}

int secret_memfd(const char *data, size_t len)
{
	int fd = memfd_create("mediad-key", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EIO;

			close(fd);
			return r;
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}
