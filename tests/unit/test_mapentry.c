/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/mapentry.c: the autofs map entry auto.media prints. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mapentry.h"

static void test_plain(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(mapentry_format("vfat", "nosuid,nodev,uid=1000,fmask=0133",
					 "/dev/sdb1", out, sizeof(out)), 56);
	assert_string_equal(out, "-fstype=vfat,nosuid,nodev,uid=1000,fmask=0133 :/dev/sdb1");
	mapentry_format("ntfs-3g", "ro", "/dev/mmcblk0p1", out, sizeof(out));
	assert_string_equal(out, "-fstype=ntfs-3g,ro :/dev/mmcblk0p1");
	mapentry_format("ext4", "", "/dev/sdb1", out, sizeof(out));
	assert_string_equal(out, "-fstype=ext4 :/dev/sdb1");
}

static void test_escaped(void **state)
{
	char out[256];

	(void)state;
	/* every byte with a meaning in sun map syntax is escaped */
	mapentry_format("ext4", "a b", "/dev/x&y$z", out, sizeof(out));
	assert_string_equal(out, "-fstype=ext4,a\\ b :/dev/x\\&y\\$z");
	mapentry_format("t\"", "o\\", "/dev/q", out, sizeof(out));
	assert_string_equal(out, "-fstype=t\\\",o\\\\ :/dev/q");
	/* a comma or '=' in the type or device is data, not syntax */
	mapentry_format("a,b", "x", "/dev/a=b", out, sizeof(out));
	assert_string_equal(out, "-fstype=a\\,b,x :/dev/a\\=b");
}

static void test_refused(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(mapentry_format("ext4", "ro\n", "/dev/sdb1", out, sizeof(out)), -EINVAL);
	assert_int_equal(mapentry_format("ext4", "ro", "/dev/sd\tb", out, sizeof(out)), -EINVAL);
	assert_int_equal(mapentry_format("ext4", "ro", "/dev/sdb1", out, 20), -ENOSPC);
	assert_int_equal(mapentry_escape("abc", NULL, out, 3), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("mapentry", tests, NULL, NULL);
}
