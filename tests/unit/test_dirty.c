/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/dirtydecide.c, the safe-to-remove decision, over
 * its cases: not mounted read-write, dirty pages against the per-cpu
 * slack, inodes left listed after mediad's own flush, the journal's
 * settling time per filesystem and the flush that ends it, a fresh mount,
 * writes in flight. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dirtydecide.h"

#define NCPU 2
#define SLACK (BDI_SLACK_KB_PER_CPU * NCPU)

/* One poll's readings: mounted read-write, per-device counters, clean. */
static struct dirty_input rd(const char *fstype, double now)
{
	struct dirty_input in;

	memset(&in, 0, sizeof(in));
	in.mounted_rw = true;
	in.c.per_device = true;
	in.fstype = fstype;
	in.ncpu = NCPU;
	in.now = now;
	return in;
}

/* Clean readings from t0 on, neither fresh nor flushed: the first time,
 * in seconds after t0, that the medium is called safe (polled every
 * DIRTY_POLL_SECS up to limit), or -1. */
static double settles_after(const char *fstype, unsigned commit, bool per_device,
			    double limit)
{
	struct dirty_state st;
	const double t0 = 1000;

	memset(&st, 0, sizeof(st));
	for (double t = 0; t <= limit + 1e-9; t += DIRTY_POLL_SECS) {
		struct dirty_input in = rd(fstype, t0 + t);

		in.commit = commit;
		in.c.per_device = per_device;
		if (dirty_decide(&in, &st).safe)
			return t;
	}
	return -1;
}

static void test_not_mounted_rw(void **state)
{
	struct dirty_state st = { 5, 7, 7, 3, 4, true };
	struct dirty_input in = rd("ext4", 100);
	struct dirty_verdict v;

	(void)state;
	/* whatever the counters say: nothing can be waiting for this medium */
	in.mounted_rw = false;
	in.c.pages_kb = 1 << 20;
	in.c.inodes = 9;
	in.writes = 3;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_false(v.needed);
	assert_string_equal(v.source, "");
	/* and what was kept of it is forgotten */
	assert_true(st.clean_since == 0);
	assert_false(st.synced);
	assert_int_equal(st.stale_inodes, 0);
	assert_int_equal(st.activity, 0);
	assert_int_equal(st.flushed_activity, 0);
}

static void test_pages_against_slack(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("vfat", 100);
	struct dirty_verdict v;

	(void)state;
	memset(&st, 0, sizeof(st));
	in.fresh = true;
	/* up to the per-cpu counters' slack: what batching hides */
	in.c.pages_kb = SLACK;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_true(v.needed);
	assert_string_equal(v.source, "bdi");
	/* one kB more is data on its way */
	in.c.pages_kb = SLACK + 1;
	v = dirty_decide(&in, &st);
	assert_false(v.safe);
	assert_true(st.clean_since == 0);
	assert_false(st.synced);
	/* the slack scales with the CPUs */
	in.ncpu = NCPU * 2;
	assert_true(dirty_decide(&in, &st).safe);
	/* an inode listed as dirty is dirty, whatever the pages say */
	in = rd("vfat", 101);
	in.fresh = true;
	in.c.inodes = 1;
	assert_false(dirty_decide(&in, &st).safe);
}

static void test_meminfo_source(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("vfat", 100);
	struct dirty_verdict v;

	(void)state;
	memset(&st, 0, sizeof(st));
	/* the global counters: any dirty page anywhere, no slack */
	in.c.per_device = false;
	in.fresh = true;
	in.c.pages_kb = 1;
	v = dirty_decide(&in, &st);
	assert_false(v.safe);
	assert_string_equal(v.source, "meminfo");
	in.c.pages_kb = 0;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_string_equal(v.source, "meminfo");
}

static void test_inflight_writes(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);

	(void)state;
	memset(&st, 0, sizeof(st));
	in.fresh = true;
	in.writes = 1;
	assert_false(dirty_decide(&in, &st).safe);
	in.c.per_device = false;
	assert_false(dirty_decide(&in, &st).safe);
	in.writes = 0;
	assert_true(dirty_decide(&in, &st).safe);
}

static void test_fresh_mount(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);

	(void)state;
	memset(&st, 0, sizeof(st));
	/* just mounted and clean: safe at once, no settling */
	in.fresh = true;
	assert_true(dirty_decide(&in, &st).safe);
	assert_true(st.clean_since == 100);
	/* the same readings, not fresh, on a medium first seen now: settles */
	memset(&st, 0, sizeof(st));
	in.fresh = false;
	assert_false(dirty_decide(&in, &st).safe);
	assert_true(st.clean_since == 100);
	/* fresh but written: not safe */
	memset(&st, 0, sizeof(st));
	in.fresh = true;
	in.c.inodes = 2;
	assert_false(dirty_decide(&in, &st).safe);
}

static void test_settle_per_fstype(void **state)
{
	(void)state;
	/* the journal's commit interval, or commit= where it is set */
	assert_true(settles_after("ext4", 0, true, 60) == 5);
	assert_true(settles_after("ext3", 0, true, 60) == 5);
	assert_true(settles_after("ext4", 2, true, 60) == 2);
	assert_true(settles_after("ext4", 12, true, 60) == 12);
	assert_true(settles_after("xfs", 0, true, 60) == 30);
	assert_true(settles_after("xfs", 5, true, 60) == 30); /* no commit= there */
	assert_true(settles_after("f2fs", 0, true, 90) == 60); /* cp_interval */
	assert_true(settles_after("btrfs", 0, true, 60) == 30);
	assert_true(settles_after("btrfs", 10, true, 60) == 10);
	/* no journal: two polls' worth on the device's own counters... */
	assert_true(settles_after("vfat", 0, true, 60) == 2 * DIRTY_POLL_SECS);
	assert_true(settles_after("exfat", 0, true, 60) == 2 * DIRTY_POLL_SECS);
	/* ...and 2 s at least on the global ones, folded once a second */
	assert_true(settles_after("vfat", 0, false, 60) == 2);
	assert_true(settles_after("ext4", 1, false, 60) == 2);
	assert_true(settles_after("ext4", 0, false, 60) == 5);
	assert_true(settles_after("xfs", 0, false, 60) == 30);
}

/* Clean after a write, neither fresh nor flushed: settling, which a flush
 * ends (safe at once); never safe by the clock while that flush runs. */
static void test_settling_and_its_flush(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);
	struct dirty_verdict v;

	(void)state;
	memset(&st, 0, sizeof(st));
	in.c.inodes = 1; /* written */
	v = dirty_decide(&in, &st);
	assert_false(v.safe);
	assert_false(v.settling); /* dirty, not settling */
	in.c.inodes = 0; /* the kernel wrote it back */
	in.now = 101;
	v = dirty_decide(&in, &st);
	assert_false(v.safe);
	assert_true(v.settling);
	/* the flush that proves it runs past the commit interval: not safe */
	in.flushing = true;
	in.now = 107;
	v = dirty_decide(&in, &st);
	assert_false(v.safe);
	assert_true(v.settling);
	/* it ended, still clean: safe, not settling any more */
	in.flushing = false;
	in.flushed = true;
	in.now = 107.25;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_false(v.settling);
	in.flushed = false;
	in.now = 107.5;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_false(v.settling);
	/* a fresh mount never settles */
	memset(&st, 0, sizeof(st));
	in.fresh = true;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_false(v.settling);
	/* without its flush, the clock still ends it (the fallback) */
	assert_true(settles_after("ext4", 0, true, 60) == 5);
}

static void test_dirt_restarts_the_clock(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_false(dirty_decide(&in, &st).safe);
	in.now = 104;
	in.c.pages_kb = SLACK + 64;
	assert_false(dirty_decide(&in, &st).safe);
	assert_true(st.clean_since == 0);
	in.c.pages_kb = 0;
	in.now = 106;
	assert_false(dirty_decide(&in, &st).safe);
	assert_true(st.clean_since == 106);
	in.now = 110.9;
	assert_false(dirty_decide(&in, &st).safe);
	in.now = 111;
	assert_true(dirty_decide(&in, &st).safe);
}

static void test_stale_inodes_after_flush(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);
	struct dirty_verdict v;

	(void)state;
	memset(&st, 0, sizeof(st));
	/* before mediad's flush: three inodes listed, dirty */
	in.c.inodes = 3;
	assert_false(dirty_decide(&in, &st).safe);
	/* its flush ended; the kernel still lists them, no page, no write:
	 * excused, and syncfs committed the journal: safe at once */
	in.flushed = true;
	in.now = 101;
	v = dirty_decide(&in, &st);
	assert_true(v.safe);
	assert_int_equal(st.stale_inodes, 3);
	assert_true(st.synced);
	in.flushed = false;
	in.now = 102;
	assert_true(dirty_decide(&in, &st).safe);
	/* the list shrinks: so does the excuse */
	in.c.inodes = 2;
	in.now = 103;
	assert_true(dirty_decide(&in, &st).safe);
	assert_int_equal(st.stale_inodes, 2);
	/* and never grows back: a third inode again is new dirt */
	in.c.inodes = 3;
	in.now = 104;
	assert_false(dirty_decide(&in, &st).safe);
	assert_int_equal(st.stale_inodes, 2);
	assert_false(st.synced);
	/* gone to zero: nothing is excused any more */
	in.c.inodes = 0;
	in.now = 105;
	dirty_decide(&in, &st);
	assert_int_equal(st.stale_inodes, 0);
	in.c.inodes = 1;
	in.now = 106;
	assert_false(dirty_decide(&in, &st).safe);
}

static void test_flush_excuses_only_clean_lists(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);

	(void)state;
	/* pages still above the slack when the flush ended: nothing excused */
	memset(&st, 0, sizeof(st));
	in.c.inodes = 2;
	in.c.pages_kb = SLACK + 1;
	in.flushed = true;
	assert_false(dirty_decide(&in, &st).safe);
	assert_int_equal(st.stale_inodes, 0);
	/* a write in flight when it ended: nothing excused either */
	memset(&st, 0, sizeof(st));
	in.c.pages_kb = 0;
	in.writes = 1;
	assert_false(dirty_decide(&in, &st).safe);
	assert_int_equal(st.stale_inodes, 0);
	/* the global counters list no inodes: there is nothing to excuse */
	memset(&st, 0, sizeof(st));
	in.writes = 0;
	in.c.per_device = false;
	in.c.inodes = 0;
	assert_true(dirty_decide(&in, &st).safe);
	assert_int_equal(st.stale_inodes, 0);
	assert_true(st.synced);
}

static void test_activity(void **state)
{
	struct dirty_state st;
	struct dirty_input in = rd("ext4", 100);
	uint64_t a;

	(void)state;
	memset(&st, 0, sizeof(st));
	in.written = 4096;
	dirty_decide(&in, &st);
	a = st.activity;
	assert_true(st.quiet_since == 100);
	/* the same readings later: quiet since the first */
	in.now = 103;
	dirty_decide(&in, &st);
	assert_true(st.activity == a);
	assert_true(st.quiet_since == 100);
	/* the device wrote meanwhile: activity, though nothing is dirty */
	in.now = 104;
	in.written = 8192;
	dirty_decide(&in, &st);
	assert_true(st.clean_since == 100); /* still clean since 100 */
	assert_true(st.activity != a);
	assert_true(st.quiet_since == 104);
	/* the flush's mark is the caller's; the decision leaves it alone */
	st.flushed_activity = st.activity;
	in.now = 105;
	dirty_decide(&in, &st);
	assert_true(st.flushed_activity == st.activity);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_mounted_rw),
		cmocka_unit_test(test_pages_against_slack),
		cmocka_unit_test(test_meminfo_source),
		cmocka_unit_test(test_inflight_writes),
		cmocka_unit_test(test_fresh_mount),
		cmocka_unit_test(test_settle_per_fstype),
		cmocka_unit_test(test_settling_and_its_flush),
		cmocka_unit_test(test_dirt_restarts_the_clock),
		cmocka_unit_test(test_stale_inodes_after_flush),
		cmocka_unit_test(test_flush_excuses_only_clean_lists),
		cmocka_unit_test(test_activity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
