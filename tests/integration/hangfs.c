/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hangfs: a FUSE filesystem with one file, "disk.img", whose reads come
 * from a backing image but block for as long as a flag file exists. A
 * loop device on it is a medium whose probe hangs, like a scratched disc
 * or a dying card reader. Test helper only.
 * Usage: hangfs IMAGE FLAGFILE MOUNTPOINT (runs in the foreground). */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *image, *flag;

static int hf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/disk.img"))
		return -ENOENT;
	if (stat(image, st) < 0)
		return -errno;
	st->st_mode = S_IFREG | 0644;
	return 0;
}

static int hf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "disk.img", NULL, 0, 0);
	return 0;
}

static int hf_open(const char *path, struct fuse_file_info *fi)
{
	int fd;

	if (strcmp(path, "/disk.img"))
		return -ENOENT;
	fd = open(image, fi->flags & O_ACCMODE);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1; /* every read reaches us: no page cache */
	return 0;
}

static int hf_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	ssize_t n;

	(void)path;
	while (access(flag, F_OK) == 0)
		nanosleep(&ts, NULL);
	n = pread((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int hf_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, buf, size, off);

	(void)path;
	return n < 0 ? -errno : (int)n;
}

static int hf_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = hf_getattr,
	.readdir = hf_readdir,
	.open = hf_open,
	.read = hf_read,
	.write = hf_write,
	.release = hf_release,
};

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-f", "-o", "auto_unmount", NULL, NULL };

	if (argc != 4) {
		fprintf(stderr, "usage: hangfs IMAGE FLAGFILE MOUNTPOINT\n");
		return 2;
	}
	image = argv[1];
	flag = argv[2];
	fargv[4] = argv[3];
	return fuse_main(5, fargv, &ops, NULL);
}
