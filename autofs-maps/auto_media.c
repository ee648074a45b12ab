/* SPDX-License-Identifier: GPL-2.0-or-later */
/* auto.media: the autofs program map. automount runs it as
 * "auto.media KEY" when something opens <media_dir>/auto/KEY, and mounts
 * what it prints. It reads one record and prints one line; it never
 * trusts the key, the record or the device name, and links nothing heavy,
 * so it starts and answers in well under a millisecond.
 *
 * Exit status 0 with the map entry on stdout, or 1 with nothing on stdout
 * (automount then answers ENOENT) and the reason on stderr, which
 * automount logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "diskseq.h"
#include "mapentry.h"
#include "name.h"
#include "record.h"
#include "statedir.h"

static int fail(const char *key, const char *why)
{
	/* the key was validated before any message names it */
	fprintf(stderr, "auto.media: %s: %s\n", key, why);
	return 1;
}

/* Characters a device name from the kernel may hold; refuses "..". */
static int devname_ok(const char *d)
{
	if (strncmp(d, "/dev/", 5) || strstr(d, "/../") || strlen(d) > 100)
		return 0;
	for (const char *s = d; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '/' || *s == '_' || *s == '-' ||
		      *s == '.' || *s == ':' || *s == '+'))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	const char *key = argc == 2 ? argv[1] : NULL;
	const char *conf = getenv("MEDIAD_CONFIG");
	struct config c;
	struct record r;
	struct stat st;
	char err[CONFIG_ERR_BUF], entry[2048];
	char linkpath[400], target[128], mtype[64];
	ssize_t n;
	int dfd, fd, len;

	if (!key) {
		fprintf(stderr, "usage: auto.media KEY (run by automount)\n");
		return 1;
	}
	if (!name_is_valid(key)) {
		fprintf(stderr, "auto.media: refusing a key that is not a medium name\n");
		return 1;
	}
	config_defaults(&c);
	if (config_load(&c, conf ? conf : CONFIG_DEFAULT_PATH, !conf, err) < 0) {
		fprintf(stderr, "auto.media: %s\n", err);
		return 1;
	}
	if (statedir_path(c.state_dir, STATEDIR_MEDIA, NULL, linkpath, sizeof(linkpath)) < 0 ||
	    (dfd = open(linkpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(key, "no state directory (is mediad running?)");
	/* only a record mediad (root) wrote is believed */
	fd = statedir_read_record(dfd, key, &r);
	close(dfd);
	if (fd == -ENOENT)
		return fail(key, "no such medium");
	if (fd == -EPERM)
		return fail(key, "record is not a root-owned regular file");
	if (fd < 0)
		return fail(key, "unreadable record");
	if (strcmp(r.name, key) || !r.mounttype[0] || !r.options[0])
		return fail(key, "record does not offer this medium for mounting");
	if (!devname_ok(r.devname))
		return fail(key, "record names an implausible device");
	/* the device node must still be the device the record describes:
	 * same number, and the same medium generation (diskseq) */
	if (stat(r.devname, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    major(st.st_rdev) != r.devmajor || minor(st.st_rdev) != r.devminor)
		return fail(key, "device is gone or is another device now");
	if (r.diskseq && diskseq_read(r.devmajor, r.devminor) != r.diskseq)
		return fail(key, "device holds another medium now (diskseq changed)");
	/* hand automount the per-generation link, not the node: an answer
	 * it caches then fails once this medium is gone, instead of
	 * mounting whatever takes the node next with this one's options */
	if (statedir_devlink_path(c.state_dir, &r, linkpath, sizeof(linkpath)) < 0 ||
	    (n = readlink(linkpath, target, sizeof(target) - 1)) < 0)
		return fail(key, "no device link for this medium (is mediad running?)");
	target[n] = '\0';
	if (strcmp(target, r.devname))
		return fail(key, "device link does not match the record");
	/* through mount.mediad when installed: it walks the fallback order
	 * and reports why the medium is mounted as it is (lib/fallback.c) */
	if (access(MOUNT_HELPER, X_OK) == 0 &&
	    snprintf(mtype, sizeof(mtype), "mediad.%s", r.mounttype) < (int)sizeof(mtype))
		len = mapentry_format(mtype, r.options, linkpath, entry, sizeof(entry));
	else
		len = mapentry_format(r.mounttype, r.options, linkpath, entry, sizeof(entry));
	if (len < 0)
		return fail(key, "record holds bytes that cannot be mounted");
	printf("%s\n", entry);
	return fflush(stdout) == 0 ? 0 : 1;
}
