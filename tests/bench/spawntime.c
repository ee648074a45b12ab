/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawntime: runs a command N times (posix_spawn, stdout to /dev/null,
 * waitpid) and prints each run's wall time in microseconds, one
 * a line; exit status 1 if any run failed. The fork/exec floor is part of
 * what it measures: that is what automount pays for a program map too. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	int n, bad = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: spawntime N COMMAND [ARG...]\n");
		return 2;
	}
	n = atoi(argv[1]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int st;
		double t0 = now_us(), t1;

		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
			perror("spawntime: spawn");
			return 1;
		}
		if (waitpid(pid, &st, 0) < 0) {
			perror("spawntime: waitpid");
			return 1;
		}
		t1 = now_us();
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
		printf("%.0f\n", t1 - t0);
	}
	return bad;
}
