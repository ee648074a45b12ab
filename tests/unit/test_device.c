/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/device.c: device_decode_udev, udev's \xHH label
 * encoding undone exactly, and anything that is not exactly a backslash,
 * 'x' and two hex digits copied as it is (the fuzz target "udev" found
 * "\x-1" taken for an escape when sscanf's %2x read the digits); and
 * device_wanted, the uevent filter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "device.h"

static void decodes(const char *in, const char *want)
{
	char out[64];

	device_decode_udev(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_escapes(void **state)
{
	(void)state;
	decodes("MY\\x20STICK", "MY STICK");
	decodes("\\x2fetc\\x2f", "/etc/");
	decodes("\\xc3\\xa9t\\xC3\\xA9", "\xc3\xa9t\xc3\xa9");
	decodes("\\x1b[31m", "\x1b[31m");
	decodes("plain", "plain");
}

static void test_not_escapes(void **state)
{
	(void)state;
	/* the fuzzer's finding: a sign or a space is not a hex digit */
	decodes("\\x-1", "\\x-1");
	decodes("\\x 1", "\\x 1");
	decodes("\\x+f", "\\x+f");
	decodes("\\xzz", "\\xzz");
	decodes("\\x1", "\\x1");    /* one digit, then the end */
	decodes("\\x", "\\x");
	decodes("\\", "\\");
	decodes("a\\x4", "a\\x4");
}

static void test_bounds(void **state)
{
	char out[4];

	(void)state;
	memset(out, 'Z', sizeof(out));
	device_decode_udev("abcdef", out, sizeof(out));
	assert_string_equal(out, "abc");
	device_decode_udev("\\x41\\x42\\x43\\x44", out, sizeof(out));
	assert_string_equal(out, "ABC");
	device_decode_udev("xy", out, 1);
	assert_string_equal(out, "");
}

static struct devinfo loopdev(const char *backing)
{
	struct devinfo d;

	memset(&d, 0, sizeof(d));
	strcpy(d.kname, "loop3");
	d.loop = true;
	d.size = 1 << 20;
	strcpy(d.backing_file, backing);
	return d;
}

static void test_wanted(void **state)
{
	struct config c;
	struct devinfo d;

	(void)state;
	config_defaults(&c);
	/* not a loop device: always looked at */
	memset(&d, 0, sizeof(d));
	strcpy(d.kname, "sdb1");
	d.size = 1 << 30;
	assert_true(device_wanted(&d, &c));
	/* a drive with no medium (card reader, optical, floppy) is not */
	d.size = 0;
	assert_false(device_wanted(&d, &c));

	/* loop devices only with include_loop */
	d = loopdev("/tmp/x.img");
	assert_false(device_wanted(&d, &c));
	c.include_loop = true;
	assert_true(device_wanted(&d, &c));
	d.size = 0; /* detached: no medium */
	assert_false(device_wanted(&d, &c));

	/* include_loop = DIR: only those backed by files under DIR */
	strcpy(c.loop_dir, "/srv/isos");
	d = loopdev("/srv/isos/debian.iso");
	assert_true(device_wanted(&d, &c));
	d = loopdev("/srv/isos/sub/dir/x.img");
	assert_true(device_wanted(&d, &c));
	d = loopdev("/srv/isos-other/x.iso");
	assert_false(device_wanted(&d, &c));
	d = loopdev("/srv/isos");
	assert_false(device_wanted(&d, &c));
	d = loopdev("/tmp/x.img");
	assert_false(device_wanted(&d, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_escapes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
