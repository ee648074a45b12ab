/* Unit tests for lib/name.c: the names contract on hostile labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "name.h"

static const char *san(const char *in, size_t len)
{
	static char out[NAME_BUF];

	name_sanitize(in, len, out);
	return out;
}
#define SAN(s) san(s, sizeof(s) - 1)

static void test_plain_labels_kept(void **state)
{
	(void)state;
	assert_string_equal(SAN("KEYCHAIN"), "KEYCHAIN");
	assert_string_equal(SAN("My Stick"), "My Stick");
	assert_string_equal(SAN("Über Café"), "Über Café");
	assert_string_equal(SAN("日本語"), "日本語");
}

static void test_path_tricks(void **state)
{
	(void)state;
	assert_string_equal(SAN("a/b"), "a_b");
	assert_string_equal(SAN("../../etc"), "_.._etc");
	assert_string_equal(SAN(".."), "");
	assert_string_equal(SAN("."), "");
	assert_string_equal(SAN(".hidden"), "hidden");
	assert_string_equal(SAN("a\\b"), "a_b");
}

static void test_option_injection(void **state)
{
	(void)state;
	assert_string_equal(SAN("-o suid"), "o suid");
	assert_string_equal(SAN("--"), "");
	assert_string_equal(SAN("- - x"), "x");
}

static void test_controls_and_escapes(void **state)
{
	(void)state;
	assert_string_equal(SAN("a\nb"), "a_b");
	assert_string_equal(SAN("\x1b[31mred"), "_[31mred");
	assert_string_equal(SAN("tab\there"), "tab_here");
	assert_string_equal(SAN("del\x7f"), "del_");
	assert_string_equal(san("nul\0x", 5), "nul_x");
	/* C1 control U+009B (CSI) encoded in UTF-8 */
	assert_string_equal(SAN("a\xc2\x9b" "b"), "a_b");
	/* right-to-left override U+202E */
	assert_string_equal(SAN("gpj.\xe2\x80\xae" "exe"), "gpj._exe");
	/* shell metacharacters are harmless in a file name: kept */
	assert_string_equal(SAN("$(reboot)"), "$(reboot)");
	assert_string_equal(SAN("`id`"), "`id`");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(SAN("a\xff" "b"), "a_b");
	assert_string_equal(SAN("\xc0\xaf"), "__");     /* overlong '/' */
	assert_string_equal(SAN("\xed\xa0\x80"), "___"); /* surrogate */
	assert_string_equal(SAN("abc\xe2\x82"), "abc__"); /* truncated */
}

static void test_spaces(void **state)
{
	(void)state;
	assert_string_equal(SAN("   "), "");
	assert_string_equal(SAN("  x  "), "x");
	assert_string_equal(SAN("a  b"), "a  b");
}

static void test_length(void **state)
{
	char in[300], out[NAME_BUF];
	size_t n;

	(void)state;
	memset(in, 'x', sizeof(in));
	n = name_sanitize(in, sizeof(in), out);
	assert_int_equal(n, NAME_MAX_BYTES);
	assert_int_equal(strlen(out), NAME_MAX_BYTES);
	/* multibyte characters are never cut in half */
	for (size_t i = 0; i + 2 < sizeof(in); i += 3)
		memcpy(in + i, "\xe2\x82\xac", 3); /* € */
	n = name_sanitize(in, 297, out);
	assert_int_equal(n, 63);
	assert_true(name_is_valid(out));
}

static void test_is_valid(void **state)
{
	char big[100];

	(void)state;
	assert_true(name_is_valid("KEYCHAIN"));
	assert_true(name_is_valid("My Disk_2"));
	assert_false(name_is_valid(""));
	assert_false(name_is_valid(".."));
	assert_false(name_is_valid("."));
	assert_false(name_is_valid("a/b"));
	assert_false(name_is_valid("-o"));
	assert_false(name_is_valid(" x"));
	assert_false(name_is_valid("x "));
	assert_false(name_is_valid("a\x01"));
	assert_false(name_is_valid("\xff"));
	memset(big, 'a', sizeof(big));
	big[65] = '\0';
	assert_false(name_is_valid(big));
	big[64] = '\0';
	assert_true(name_is_valid(big));
}

static void test_suffix(void **state)
{
	char out[NAME_BUF], base[NAME_BUF];

	(void)state;
	assert_int_equal(name_with_suffix("KEY", 2, out), 0);
	assert_string_equal(out, "KEY_2");
	assert_int_equal(name_with_suffix("KEY", 1, out), -22);
	memset(base, 'b', NAME_MAX_BYTES);
	base[NAME_MAX_BYTES] = '\0';
	assert_int_equal(name_with_suffix(base, 12, out), 0);
	assert_int_equal(strlen(out), NAME_MAX_BYTES);
	assert_string_equal(out + NAME_MAX_BYTES - 3, "_12");
	/* a cut through a multibyte character steps back to its start */
	for (size_t i = 0; i < 63; i += 3)
		memcpy(base + i, "\xe2\x82\xac", 3);
	base[63] = '\0';
	assert_int_equal(name_with_suffix(base, 2, out), 0);
	assert_true(name_is_valid(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_labels_kept),
		cmocka_unit_test(test_path_tricks),
		cmocka_unit_test(test_option_injection),
		cmocka_unit_test(test_controls_and_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_is_valid),
		cmocka_unit_test(test_suffix),
	};
	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
