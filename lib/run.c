/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The synchronous child runner (run.h): one primitive for fork + exec +
 * drain + deadline + kill + reap in the programs that are not event loops.
 * It must never spin, never stop reading a child's output while the child
 * runs, and never wait for the pipe's end of file (a grandchild may hold it). */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* what one wake-up reads at most before it looks at the clock and the
 * child again (a grandchild that writes without end cannot hold us) */
#define DRAIN_CHUNKS 16

struct sink {
	char *out;
	size_t size, used;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fd moved to 3 or above (stdio may be closed in the caller: the child's
 * dup2 onto 0-2 must not overwrite it), close-on-exec. Returns the new fd
 * or -errno; fd is closed either way when it had to move. */
static int above_stdio(int fd)
{
	int n;

	if (fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	n = n < 0 ? -errno : n;
	close(fd);
	return n;
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Reads what is in the pipe now (up to DRAIN_CHUNKS reads), keeps what
 * fits in the sink. Returns false at end of file or on an error. */
static bool drain(int fd, struct sink *s)
{
	char scratch[4096];

	for (int i = 0; i < DRAIN_CHUNKS; i++) {
		ssize_t n = read(fd, scratch, sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		if (s->out && s->used + 1 < s->size) {
			size_t keep = (size_t)n < s->size - 1 - s->used ? (size_t)n
								       : s->size - 1 - s->used;

			memcpy(s->out + s->used, scratch, keep);
			s->used += keep;
			s->out[s->used] = '\0';
		}
	}
	return true;
}

/* In the child, between fork and exec: only async-signal-safe calls.
 * Reports errno through errw (close-on-exec) when exec fails. */
_Noreturn static void child(const char *path, const char *const argv[], const char *const env[],
			    unsigned flags, int outw, int errw, long maxfd)
{
	struct sigaction dfl;
	sigset_t none;
	ssize_t w;
	int e, null;

	if (!(flags & RUN_SAME_PGRP))
		setpgid(0, 0);
	/* dispositions and mask are inherited through exec where ignored or
	 * blocked: a SIGPIPE or SIGCHLD the caller ignores, a signal it
	 * blocks, must not change how e2fsck or ntfs-3g behave */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP, libc's own: refused, fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(outw, 1) < 0 || dup2(outw, 2) < 0)
		goto fail;
	if (errw != 3) {
		if (dup3(errw, 3, O_CLOEXEC) < 0)
			goto fail;
		errw = 3;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
#endif
		for (long fd = 4; fd < maxfd; fd++)
			close((int)fd);
	execve(path, (char *const *)argv, (char *const *)env);
fail:
	e = errno;
	w = write(errw, &e, sizeof(e));
	(void)w; /* when even that fails, exit 127 says enough */
	_exit(127);
}

/* Kills the child's process group (and the child, should it not have
 * made one yet), or with RUN_SAME_PGRP the child alone. */
static void kill_all(pid_t pid, unsigned flags)
{
	if (!(flags & RUN_SAME_PGRP))
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

int run_program(const char *path, const char *const argv[], const char *const env[],
		unsigned deadline_ms, char *out, size_t outsize, int *status)
{
	return run_program_flags(path, argv, env, 0, deadline_ms, out, outsize, status);
}

int run_program_flags(const char *path, const char *const argv[], const char *const env[],
		      unsigned flags, unsigned deadline_ms, char *out, size_t outsize,
		      int *status)
{
	static const char *const default_env[] = { RUN_PATH, "LC_ALL=C", NULL };
	struct sink sink = { out, outsize, 0 };
	int pfd[2] = { -1, -1 }, efd[2] = { -1, -1 }, pidfd, r = 0, e = 0;
	long maxfd = sysconf(_SC_OPEN_MAX);
	/* + 1: now_ms() truncates, and the deadline is "at least" */
	int64_t deadline = now_ms() + deadline_ms + 1, end = -1;
	bool reaped = false, killed = false;
	pid_t pid;

	*status = -1;
	if (out && outsize)
		out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0 || pipe2(efd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		if ((pfd[i] = above_stdio(pfd[i])) < 0 || (efd[i] = above_stdio(efd[i])) < 0) {
			r = pfd[i] < 0 ? pfd[i] : efd[i];
			goto out;
		}
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		child(path, argv, env ? env : default_env, flags, pfd[1], efd[1],
		      maxfd > 0 ? maxfd : 1024);
	/* also here: the deadline's kill of the group must not race the
	 * child's own setpgid (EACCES once it has exec'd: it did it then) */
	if (!(flags & RUN_SAME_PGRP))
		setpgid(pid, pid);
	close(pfd[1]);
	close(efd[1]);
	pfd[1] = efd[1] = -1;
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	fcntl(efd[0], F_SETFL, O_NONBLOCK);
	/* the child's exit wakes poll through a pidfd; without one (a kernel
	 * before 5.3) we look every 20 ms */
	pidfd = pidfd_of(pid);
	while (!reaped) {
		struct pollfd p[2] = { { pfd[0], POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		int64_t t = now_ms(), wait_ms;
		pid_t w;

		if (!killed && t >= deadline) {
			kill_all(pid, flags);
			killed = true;
			end = t + RUN_REAP_MS;
		}
		if (killed && t >= end)
			break;
		wait_ms = (killed ? end : deadline) - t;
		if (wait_ms > (pidfd < 0 ? 20 : 60000))
			wait_ms = pidfd < 0 ? 20 : 60000;
		if (poll(p, 2, (int)wait_ms) < 0 && errno != EINTR) {
			r = -errno;
			kill_all(pid, flags);
			killed = true;
			end = now_ms() + RUN_REAP_MS;
			continue;
		}
		if (pfd[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !drain(pfd[0], &sink)) {
			close(pfd[0]); /* end of file: poll ignores fd -1 */
			pfd[0] = -1;
		}
		if (pidfd >= 0 && !(p[1].revents & POLLIN))
			continue;
		w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			reaped = true;
		else if (w < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	/* what the child wrote before it exited is in the pipe: read it, but
	 * not what a grandchild may go on writing */
	if (pfd[0] >= 0)
		drain(pfd[0], &sink);
	if (pidfd >= 0)
		close(pidfd);
	if (!reaped && killed)
		*status = SIGKILL; /* the wait status of a SIGKILL'd process */
	if (killed)
		r = r ? r : -ETIMEDOUT;
	else if (reaped && read(efd[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
		r = e > 0 ? -e : -ENOEXEC;
out:
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (efd[i] >= 0)
			close(efd[i]);
	}
	return r;
}
