/* SPDX-License-Identifier: GPL-2.0-or-later */
/* e2e-pty PROMPT LINE PROGRAM [ARG]...: runs PROGRAM on a new
 * pseudo-terminal (its controlling tty), types LINE and a newline once
 * PROMPT has appeared in what it wrote, copies everything it wrote to
 * stdout, and exits with its status. For medialist unlock's prompt in the
 * e2e guest, which has no expect or python. Never types before the
 * prompt: a line typed early would be echoed, or flushed by TCSAFLUSH. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char seen[65536];
	size_t n = 0;
	int fd, st;
	pid_t pid;
	int typed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: e2e-pty PROMPT LINE PROGRAM [ARG]...\n");
		return 2;
	}
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0) {
		perror("forkpty");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t r;

		if (poll(&p, 1, 60000) <= 0)
			break;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break; /* EIO once the program has closed its side */
		fwrite(buf, 1, (size_t)r, stdout);
		if (n + (size_t)r < sizeof(seen) - 1) {
			memcpy(seen + n, buf, (size_t)r);
			n += (size_t)r;
			seen[n] = '\0';
		}
		if (!typed && strstr(seen, argv[1])) {
			/* a program that writes its prompt before it turns
			 * echo off (and flushes): wait for echo off, 2 s at
			 * most, as a line typed before would be lost */
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			struct termios t;

			for (int i = 0; i < 100 && tcgetattr(fd, &t) == 0 && (t.c_lflag & ECHO); i++)
				nanosleep(&ts, NULL);
			if (write(fd, argv[2], strlen(argv[2])) < 0 || write(fd, "\n", 1) < 0)
				perror("write");
			typed = 1;
		}
	}
	fflush(stdout);
	if (waitpid(pid, &st, 0) < 0)
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
