/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One mount attempt: the system call or the program. Never mounts with
 * suid, dev or a panicking error policy, never waits on a program without
 * a deadline. */
#include "mountrun.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "run.h"

struct flag_word {
	const char *word;
	unsigned long set, clear;
};

/* the generic (VFS) options; everything else goes to the filesystem */
static const struct flag_word flag_words[] = {
	{ "ro", MS_RDONLY, 0 },        { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },    { "nodev", MS_NODEV, 0 },
	{ "noexec", MS_NOEXEC, 0 },    { "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },  { "nodiratime", MS_NODIRATIME, 0 },
	{ "relatime", MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
	{ "lazytime", MS_LAZYTIME, 0 }, { "sync", MS_SYNCHRONOUS, 0 },
	{ "dirsync", MS_DIRSYNC, 0 },  { "async", 0, MS_SYNCHRONOUS },
};

int mountrun_syscall(const char *dev, const char *target, const char *type,
		     const char *options)
{
	unsigned long flags = MS_NOSUID | MS_NODEV;
	char data[1024], why[80];
	size_t o = 0;

	data[0] = '\0';
	if (opts_refuse_unsafe(options, why, sizeof(why)) < 0) {
		errno = EPERM;
		return -1;
	}
	for (const char *s = options; *s;) {
		size_t len = strcspn(s, ",");
		bool known = false;

		if ((len == 4 && !memcmp(s, "suid", 4)) || (len == 3 && !memcmp(s, "dev", 3))) {
			errno = EPERM;
			return -1;
		}
		for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
			if (strlen(flag_words[i].word) == len && !memcmp(flag_words[i].word, s, len)) {
				flags = (flags | flag_words[i].set) & ~flag_words[i].clear;
				known = true;
			}
		}
		if (!known && len && opts_append_word(data, sizeof(data), &o, s, len) < 0) {
			errno = E2BIG;
			return -1;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	flags |= MS_NOSUID | MS_NODEV;
	return mount(dev, target, type, flags, o ? data : NULL);
}

const char *mountrun_find(const char *name)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	static char path[256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/* Keeps the first non-blank line of buf (len bytes) in out: e2fsck and
 * ntfs-3g both say what is wrong first and advise after. Control bytes
 * become '?': e2fsck starts its lines with the volume label, which the
 * stick chose, and the line goes to logs and to the record. */
static void first_line(char *buf, size_t len, char *out, size_t size)
{
	char *save = NULL;

	buf[len] = '\0';
	out[0] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strspn(line, " \t\r") < strlen(line)) {
			for (unsigned char *c = (unsigned char *)line; *c; c++) {
				if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) { /* C1 */
					*c = '?';
					*++c = '?';
				} else if (*c < 0x20 || *c == 0x7f) {
					*c = '?';
				}
			}
			snprintf(out, size, "%s", line);
			return;
		}
	}
}

int mountrun_tool(const char *name, const char *const argv[], unsigned flags,
		  unsigned deadline_ms, char *said, size_t size)
{
	const char *path = mountrun_find(name);
	char out[4096];
	int st, r;

	said[0] = '\0';
	if (!path)
		return -ENOENT;
	r = run_program_flags(path, argv, NULL, flags, deadline_ms, out, sizeof(out), &st);
	first_line(out, strlen(out), said, size);
	if (r < 0)
		return r;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

const char *mountrun_strerror(int err)
{
	switch (err) {
	case ENODEV: return "unknown filesystem type (not in this kernel)";
	case EINVAL: return "wrong filesystem type, bad option or bad superblock";
	case EROFS: case EACCES: return "the device is write-protected";
	case EBUSY: return "the device is busy or already mounted";
	case ENOENT: case ENXIO: return "the device is gone";
	case ENOMEDIUM: return "no medium in the drive";
	case EUCLEAN: return "the filesystem is corrupt";
	case EIO: return "input/output error reading the medium";
	default: return strerror(err);
	}
}
