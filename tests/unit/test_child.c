/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon/child.c, the one primitive for children, on a real libev loop and
 * real processes: output drained past what is kept, the exit status, the
 * deadline's kill, a grandchild holding the pipe, cancel, reset signals. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "child.h"

struct outcome {
	bool done;
	struct child_result res;
	char out[256];
};

static void on_done(const struct child_result *res, void *arg)
{
	struct outcome *o = arg;
	size_t n = res->out_len < sizeof(o->out) - 1 ? res->out_len : sizeof(o->out) - 1;

	o->done = true;
	o->res = *res;
	if (n)
		memcpy(o->out, res->out, n);
	o->out[n] = '\0';
	o->res.out = NULL;
}

/* Runs the loop until o is done or `limit` seconds pass. */
static void run_until(struct ev_loop *loop, struct outcome *o, double limit)
{
	double end = ev_time() + limit;

	while (!o->done && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
}

static int chatty(void *arg)
{
	static char block[4096];

	(void)arg;
	memset(block, 'x', sizeof(block));
	if (write(STDOUT_FILENO, "first line\n", 11) != 11)
		return 9;
	for (int i = 0; i < 50; i++) /* 200 KB: far more than a pipe holds */
		if (write(STDOUT_FILENO, block, sizeof(block)) != (ssize_t)sizeof(block))
			return 9;
	return 3;
}

static void test_chatty_child_returns(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct outcome o = { 0 };
	struct child_spec s = {
		.what = "chatty", .deadline = 10, .capture = 64, .keep_fd = -1,
		.run = chatty, .done = on_done, .done_arg = &o,
	};
	double t0 = ev_time();
	int err;

	(void)state;
	assert_non_null(child_start(loop, &s, &err));
	run_until(loop, &o, 10);
	assert_true(o.done);
	assert_false(o.res.timed_out);
	assert_int_equal(o.res.status, 3);
	assert_true(ev_time() - t0 < 1.0);
	assert_int_equal(o.res.out_len, 64); /* the first bytes kept */
	assert_memory_equal(o.out, "first line\n", 11);
}

static int hang(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static void test_hang_killed_at_deadline(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct outcome o = { 0 };
	struct child_spec s = {
		.what = "hang", .deadline = 0.3, .keep_fd = -1,
		.run = hang, .done = on_done, .done_arg = &o,
	};
	double t0 = ev_time();
	int err;

	(void)state;
	assert_non_null(child_start(loop, &s, &err));
	run_until(loop, &o, 5);
	assert_true(o.done);
	assert_true(o.res.timed_out);
	assert_int_equal(o.res.status, -1);
	assert_true(ev_time() - t0 >= 0.3 && ev_time() - t0 < 2.0);
	/* reaped afterwards: nothing lingers once the loop has run a bit */
	for (int i = 0; i < 50 && child_lingering() > 0; i++) {
		usleep(10000);
		ev_run(loop, EVRUN_NOWAIT);
	}
	assert_int_equal(child_lingering(), 0);
}

static int leave_grandchild(void *arg)
{
	(void)arg;
	if (fork() == 0) { /* keeps stdout, the pipe, open for a while */
		sleep(5);
		_exit(0);
	}
	if (write(STDOUT_FILENO, "bye\n", 4) != 4)
		return 9;
	return 0;
}

static void test_grandchild_does_not_delay(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct outcome o = { 0 };
	struct child_spec s = {
		.what = "parent", .deadline = 10, .capture = 16, .own_group = true,
		.keep_fd = -1, .run = leave_grandchild, .done = on_done, .done_arg = &o,
	};
	double t0 = ev_time();
	int err;

	(void)state;
	assert_non_null(child_start(loop, &s, &err));
	run_until(loop, &o, 10);
	assert_true(o.done);
	assert_int_equal(o.res.status, 0);
	assert_string_equal(o.out, "bye\n");
	assert_true(ev_time() - t0 < 1.0);
}

static int report_signals(void *arg)
{
	struct sigaction sa;
	sigset_t mask;

	(void)arg;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigaction(SIGTERM, NULL, &sa);
	return sa.sa_handler == SIG_DFL && !sigismember(&mask, SIGTERM) &&
	       !sigismember(&mask, SIGCHLD) ? 0 : 1;
}

static void ignore(int sig)
{
	(void)sig;
}

static void test_child_resets_signals(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct outcome o = { 0 };
	struct child_spec s = {
		.what = "signals", .deadline = 5, .keep_fd = -1,
		.run = report_signals, .done = on_done, .done_arg = &o,
	};
	sigset_t block;
	int err;

	(void)state;
	signal(SIGTERM, ignore);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	assert_non_null(child_start(loop, &s, &err));
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGTERM, SIG_DFL);
	run_until(loop, &o, 5);
	assert_true(o.done);
	assert_int_equal(o.res.status, 0);
}

static void test_cancel_calls_nothing(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct outcome o = { 0 };
	struct child_spec s = {
		.what = "cancelled", .deadline = 5, .keep_fd = -1,
		.run = hang, .done = on_done, .done_arg = &o,
	};
	struct child *c;
	int err;

	(void)state;
	c = child_start(loop, &s, &err);
	assert_non_null(c);
	child_cancel(c);
	for (int i = 0; i < 100 && child_lingering() > 0; i++) {
		usleep(10000);
		ev_run(loop, EVRUN_NOWAIT);
	}
	assert_false(o.done);
	assert_int_equal(child_lingering(), 0);
}

static void test_refuses_no_deadline(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct child_spec s = { .what = "x", .deadline = 0, .keep_fd = -1, .run = hang };
	int err;

	(void)state;
	assert_null(child_start(loop, &s, &err));
	assert_int_equal(err, -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chatty_child_returns),
		cmocka_unit_test(test_hang_killed_at_deadline),
		cmocka_unit_test(test_grandchild_does_not_delay),
		cmocka_unit_test(test_child_resets_signals),
		cmocka_unit_test(test_cancel_calls_nothing),
		cmocka_unit_test(test_refuses_no_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
