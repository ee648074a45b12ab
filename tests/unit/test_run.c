/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/run.c, the child runner, on real programs (sh, cat,
 * sleep, yes): output drained and cut, deadline kept, grandchildren not
 * waited for, exec failures told apart. Every child a test starts is gone
 * when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "run.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int sh(const char *script, unsigned deadline_ms, char *out, size_t size, int *st,
	      long *ms)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run_program("/bin/sh", argv, NULL, deadline_ms, out, size, st);
	*ms = ms_since(&t0);
	return r;
}

/* the pid a script wrote to path, or -1 */
static pid_t pid_in(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = -1;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	unlink(path);
	return (pid_t)pid;
}

/* true when pid is gone or a zombie (killed, waiting for init) */
static bool dead(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static bool wait_dead(pid_t pid)
{
	for (int i = 0; i < 200 && !dead(pid); i++)
		usleep(10000);
	return dead(pid);
}

/* A chatty child (200 KB) that exits 3: its status, at once, the first
 * line kept, the rest drained and dropped. */
static void test_chatty_child(void **state)
{
	char out[100];
	long ms;
	int st;

	(void)state;
	assert_int_equal(sh("echo first line; head -c 200000 /dev/zero | tr '\\0' x; "
			    "echo; echo last >&2; exit 3", 10000, out, sizeof(out), &st, &ms), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_true(ms < 1000);
	assert_int_equal(strncmp(out, "first line\nxxxx", 15), 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	/* no buffer at all: drained all the same */
	assert_int_equal(sh("head -c 300000 /dev/zero; exit 5", 10000, NULL, 0, &st, &ms), 0);
	assert_int_equal(WEXITSTATUS(st), 5);
	assert_true(ms < 1000);
}

/* A child that hangs is killed at its deadline, with its process group
 * (the background sleep here), and reported as killed. */
static void test_deadline(void **state)
{
	char out[64], script[200], pidfile[] = "/tmp/mediad-test-run-XXXXXX";
	pid_t bg;
	long ms;
	int st, fd = mkstemp(pidfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; echo waiting; sleep 30",
		 pidfile);
	assert_int_equal(sh(script, 300, out, sizeof(out), &st, &ms), -ETIMEDOUT);
	assert_true(ms >= 300);
	assert_true(ms < 300 + RUN_REAP_MS);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_string_equal(out, "waiting\n");
	bg = pid_in(pidfile);
	assert_true(bg > 0);
	assert_true(wait_dead(bg));
	/* silent and busy: the same */
	assert_int_equal(sh("while :; do :; done", 200, NULL, 0, &st, &ms), -ETIMEDOUT);
	assert_true(ms >= 200 && ms < 200 + RUN_REAP_MS);
}

/* A grandchild that keeps the pipe open (a FUSE daemon after its mount)
 * does not delay the return, idle or writing without end. */
static void test_grandchild_holds_pipe(void **state)
{
	char out[64], script[200], pidfile[] = "/tmp/mediad-test-run-XXXXXX";
	pid_t gc;
	long ms;
	int st, fd = mkstemp(pidfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(script, sizeof(script), "sleep 20 & echo $! > %s; echo mounted; exit 0",
		 pidfile);
	assert_int_equal(sh(script, 10000, out, sizeof(out), &st, &ms), 0);
	assert_true(ms < 1000);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(out, "mounted\n");
	gc = pid_in(pidfile);
	assert_true(gc > 0);
	assert_false(dead(gc)); /* not ours to kill: the runner left it */
	kill(gc, SIGKILL);

	snprintf(script, sizeof(script), "yes & echo $! > %s; exit 4", pidfile);
	assert_int_equal(sh(script, 10000, NULL, 0, &st, &ms), 0);
	assert_true(ms < 1000);
	assert_int_equal(WEXITSTATUS(st), 4);
	gc = pid_in(pidfile);
	assert_true(gc > 0);
	kill(gc, SIGKILL); /* (the closed pipe's SIGPIPE ends it anyway) */
	assert_true(wait_dead(gc));
}

/* The child's process group: its own (the deadline kills the group), or
 * with RUN_SAME_PGRP ours (a mount helper's child under automount), and
 * then the deadline kills the child alone: we are still here. */
static void test_process_group(void **state)
{
	const char *argv[] = { "sh", "-c", "echo $$ $(ps -o pgid= -p $$)", NULL };
	const char *hang[] = { "sleep", "30", NULL };
	char out[64];
	long pid, pgid;
	int st;

	(void)state;
	assert_int_equal(run_program("/bin/sh", argv, NULL, 5000, out, sizeof(out), &st), 0);
	assert_int_equal(sscanf(out, "%ld %ld", &pid, &pgid), 2);
	assert_int_equal(pid, pgid);
	assert_int_equal(run_program_flags("/bin/sh", argv, NULL, RUN_SAME_PGRP, 5000, out, sizeof(out),
				     &st), 0);
	assert_int_equal(sscanf(out, "%ld %ld", &pid, &pgid), 2);
	assert_int_equal(pgid, (long)getpgrp());
	assert_int_equal(run_program_flags("/bin/sleep", hang, NULL, RUN_SAME_PGRP, 200, NULL, 0,
					   &st),
			 -ETIMEDOUT);
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_exec_failure(void **state)
{
	const char *argv[] = { "x", NULL };
	char out[32], path[] = "/tmp/mediad-test-run-XXXXXX";
	int st, fd = mkstemp(path);

	(void)state;
	assert_int_equal(run_program("/nonexistent/prog", argv, NULL, 1000, out, sizeof(out), &st),
			 -ENOENT);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_string_equal(out, "");
	/* not executable; executable but no program */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x01\x02junk\n", 7), 7);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(run_program(path, argv, NULL, 1000, out, sizeof(out), &st), -EACCES);
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(run_program(path, argv, NULL, 1000, out, sizeof(out), &st), -ENOEXEC);
	unlink(path);
	/* a program that exits 127 itself is not an exec failure */
	{
		const char *a2[] = { "sh", "-c", "exit 127", NULL };

		assert_int_equal(run_program("/bin/sh", a2, NULL, 1000, NULL, 0, &st), 0);
		assert_int_equal(WEXITSTATUS(st), 127);
	}
}

/* What the child starts with: no signal ignored or blocked, stdin empty,
 * no fd but 0-2 (ls's own directory fd aside), the given environment. */
static void test_child_state(void **state)
{
	const char *status_argv[] = { "grep", "^Sig[IB]", "/proc/self/status", NULL };
	const char *fd_argv[] = { "ls", "/proc/self/fd", NULL };
	const char *cat_argv[] = { "cat", NULL };
	const char *env_argv[] = { "env", NULL };
	const char *const env[] = { "A=1", NULL };
	sigset_t block, old;
	char out[4096], *ign;
	int st, leak;

	(void)state;
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGRTMIN + 1, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	assert_int_equal(run_program("/bin/grep", status_argv, NULL, 5000, out, sizeof(out), &st),
			 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGRTMIN + 1, SIG_DFL);
	assert_non_null(strstr(out, "SigBlk:\t0000000000000000\n"));
	/* every signal at its default but the C library's own two (32 and
	 * 33, which sigaction() may not touch; make ignores them) */
	ign = strstr(out, "SigIgn:\t");
	assert_non_null(ign);
	assert_int_equal(strtoull(ign + 8, NULL, 16) & ~(3ULL << 31), 0);

	leak = open("/dev/null", O_RDONLY); /* not close-on-exec */
	assert_true(leak >= 0);
	assert_int_equal(dup2(leak, 40), 40);
	close(leak);
	leak = 40;
	assert_int_equal(run_program("/bin/ls", fd_argv, NULL, 5000, out, sizeof(out), &st), 0);
	close(leak);
	assert_string_equal(out, "0\n1\n2\n3\n");

	assert_int_equal(run_program("/bin/cat", cat_argv, NULL, 5000, out, sizeof(out), &st), 0);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(out, "");

	assert_int_equal(run_program("/usr/bin/env", env_argv, NULL, 5000, out, sizeof(out), &st),
			 0);
	assert_string_equal(out, RUN_PATH "\nLC_ALL=C\n");
	assert_int_equal(run_program("/usr/bin/env", env_argv, env, 5000, out, sizeof(out), &st), 0);
	assert_string_equal(out, "A=1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chatty_child),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_process_group),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_child_state),
	};
	return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
