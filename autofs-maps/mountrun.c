/* One mount attempt: the system call or the program. */
#include "mountrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"

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
	char data[1024];
	size_t o = 0;

	data[0] = '\0';
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
 * ntfs-3g both say what is wrong first and advise after. */
static void first_line(char *buf, size_t len, char *out, size_t size)
{
	char *save = NULL;

	buf[len] = '\0';
	out[0] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strspn(line, " \t\r") < strlen(line)) {
			snprintf(out, size, "%s", line);
			return;
		}
	}
}

int mountrun_program(const char *path, const char *const argv[], char *out, size_t size)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char buf[4096];
	size_t len = 0;
	int pfd[2], status = -1;
	pid_t pid;

	if (out && size)
		out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		execve(path, (char *const *)argv, env);
		_exit(127);
	}
	close(pfd[1]);
	/* read until the program exits, not until end of file: a FUSE
	 * daemon it leaves behind may hold the pipe open for ever */
	for (;;) {
		ssize_t n;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			fcntl(pfd[0], F_SETFL, O_NONBLOCK);
			while (len < sizeof(buf) - 1 &&
			       (n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
				len += (size_t)n;
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
		{
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };

			if (poll(&p, 1, 50) > 0 && (p.revents & POLLIN)) {
				n = len < sizeof(buf) - 1 ? read(pfd[0], buf + len, sizeof(buf) - 1 - len) : 0;
				if (n > 0)
					len += (size_t)n;
			}
		}
	}
	close(pfd[0]);
	if (out && size)
		first_line(buf, len, out, size);
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return -1;
	return WEXITSTATUS(status);
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
