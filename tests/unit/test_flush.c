/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/flush.c: the control reply's flush line both ways,
 * what people are shown, hostile lines refused, and the device counter
 * read from a real sysfs file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "flush.h"

static void test_line_roundtrip(void **state)
{
	struct flush_result fr = { true, 1.25, 8388608 }, back = { 0 };
	char line[64];

	(void)state;
	assert_true(flush_format_line(&fr, line, sizeof(line)) > 0);
	assert_string_equal(line, "flush 1.250000 8388608");
	assert_int_equal(flush_parse_line(line, &back), 0);
	assert_true(back.done);
	assert_true(back.seconds == 1.25);
	assert_int_equal(back.bytes, 8388608);
	fr.bytes = -1;
	assert_true(flush_format_line(&fr, line, sizeof(line)) > 0);
	assert_string_equal(line, "flush 1.250000 -");
	assert_int_equal(flush_parse_line(line, &back), 0);
	assert_int_equal(back.bytes, -1);
	assert_int_equal(flush_format_line(&fr, line, 8), -28);
}

static void test_line_hostile(void **state)
{
	static const char *const bad[] = {
		"", "flush", "flush 1", "flush -1 5", "flush 1 -5", "flush 1 5 extra",
		"flush x 5", "flush 1 5x", "flush 1 99999999999999999999999", "flosh 1 5",
	};
	struct flush_result fr;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&fr, 0, sizeof(fr));
		if (flush_parse_line(bad[i], &fr) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_describe(void **state)
{
	struct flush_result fr = { true, 0.0123, 4194304 };
	char out[64];

	(void)state;
	flush_describe(&fr, out, sizeof(out));
	assert_string_equal(out, "4.0M in 0.012 s");
	fr.bytes = 512;
	flush_describe(&fr, out, sizeof(out));
	assert_string_equal(out, "512B in 0.012 s");
	fr.bytes = -1;
	flush_describe(&fr, out, sizeof(out));
	assert_string_equal(out, "in 0.012 s");
}

/* Not mounted: nothing flushed, nothing claimed. */
static void test_not_mounted(void **state)
{
	struct flush_result fr = { 0 };

	(void)state;
	assert_int_equal(flush_mount("", 7, 0, &fr), 0);
	assert_int_equal(flush_mount("/nonexistent/mediad-test", 7, 0, &fr), 0);
	assert_false(fr.done);
}

/* The counter of a real block device: the disk under / if it has one. */
static void test_written(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(flush_written(0, 0), -1); /* no such device */
	if (stat("/", &st) == 0 && major(st.st_dev) != 0)
		assert_true(flush_written(major(st.st_dev), minor(st.st_dev)) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_roundtrip),
		cmocka_unit_test(test_line_hostile),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_not_mounted),
		cmocka_unit_test(test_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
