/* SPDX-License-Identifier: GPL-2.0-or-later */
/* namefs: an empty FUSE filesystem whose mount source (fsname) is any
 * string the caller gives, e.g. "/dev/loop3": what any user may put in the
 * mount table with FUSE. Test helper only (mount_identity.t); it never
 * reads or writes any file, and names no device but in that string.
 * Usage: namefs FSNAME MOUNTPOINT (runs in the foreground). */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int nf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/"))
		return -ENOENT;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	return 0;
}

static int nf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = nf_getattr,
	.readdir = nf_readdir,
};

int main(int argc, char **argv)
{
	char opt[300];
	char *fargv[] = { argv[0], "-f", "-o", opt, NULL, NULL };

	if (argc != 3) {
		fprintf(stderr, "usage: namefs FSNAME MOUNTPOINT\n");
		return 2;
	}
	/* a comma would end the option: refuse rather than mount another */
	if (strchr(argv[1], ',') ||
	    (size_t)snprintf(opt, sizeof(opt), "fsname=%s", argv[1]) >= sizeof(opt)) {
		fprintf(stderr, "namefs: bad FSNAME\n");
		return 2;
	}
	fargv[4] = argv[2];
	return fuse_main(5, fargv, &ops, NULL);
}
