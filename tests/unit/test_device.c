/* Unit tests for daemon/device.c's device_decode_udev: udev's \xHH label
 * encoding undone exactly, and anything that is not exactly a backslash,
 * 'x' and two hex digits copied as it is (the fuzz target "udev" found
 * "\x-1" taken for an escape when sscanf's %2x read the digits). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_escapes),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
