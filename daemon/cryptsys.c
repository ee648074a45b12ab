/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs facts of crypt mappings (see cryptsys.h). Paths are built from
 * kernel names only after checking that they hold no '/' and are not
 * "." or "..": a name read from a directory is still only a name. */
#include "cryptsys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unlockproto.h"

static bool kname_ok(const char *k)
{
	return *k && !strchr(k, '/') && strcmp(k, ".") && strcmp(k, "..");
}

/* The first line of root/kname/file, newline dropped. 0 or -errno. */
static int read_line(const char *root, const char *kname, const char *file, char *out,
		     size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", root, kname, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* The one entry of root/kname/sub (slaves, holders); 1, 0 when none,
 * -E2BIG when more than one. */
static int only_entry(const char *root, const char *kname, const char *sub, char *out,
		      size_t size)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (snprintf(path, sizeof(path), "%s/%s/%s", root, kname, sub) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || !kname_ok(e->d_name))
			continue;
		if (len >= size) { /* no kernel name is that long: not ours */
			n = 2;
			break;
		}
		if (n++ == 0)
			memcpy(out, e->d_name, len + 1);
	}
	closedir(d);
	return n > 1 ? -E2BIG : n;
}

int cryptsys_cleartext(const char *root, const char *kname, struct cleartext *c)
{
	char uuid[256], size[32];
	const char *t;
	size_t tl;
	int r;

	memset(c, 0, sizeof(*c));
	if (strncmp(kname, "dm-", 3) || !kname_ok(kname))
		return 0;
	if (read_line(root, kname, "dm/uuid", uuid, sizeof(uuid)) < 0 ||
	    strncmp(uuid, "CRYPT-", 6))
		return 0;
	/* "CRYPT-LUKS2-<uuid>-<name>", "CRYPT-TCRYPT-<name>", ... */
	t = uuid + 6;
	tl = strcspn(t, "-");
	snprintf(c->type, sizeof(c->type), "%.*s", (int)(tl < 15 ? tl : 15), t);
	if ((r = read_line(root, kname, "dm/name", c->map, sizeof(c->map))) < 0)
		return r;
	c->ours = unlockproto_map_name_ok(c->map);
	r = only_entry(root, kname, "slaves", c->container, sizeof(c->container));
	if (r < 0)
		return 0; /* more than one device below: not a container's */
	if (r == 1)
		c->container_present = read_line(root, c->container, "size", size,
						 sizeof(size)) == 0 && strtoull(size, NULL, 10) > 0;
	return 1;
}

int cryptsys_holder(const char *root, const char *kname, char *out, size_t size)
{
	char dm[64];
	struct cleartext c;

	if (!kname_ok(kname) || only_entry(root, kname, "holders", dm, sizeof(dm)) != 1 ||
	    cryptsys_cleartext(root, dm, &c) != 1 || strcmp(c.container, kname))
		return 0;
	snprintf(out, size, "%s", dm);
	return 1;
}

const char *cryptsys_type_label(const char *type)
{
	if (!strcmp(type, "TCRYPT"))
		return "VeraCrypt or TrueCrypt";
	if (!strcmp(type, "BITLK"))
		return "BitLocker";
	return type;
}
