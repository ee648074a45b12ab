/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/json.c: every byte string becomes valid JSON. */
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include "utf8.h"

static const char *esc(const char *in, size_t len)
{
	static char out[JSON_ESCAPED_MAX(600)];

	assert_true(json_escape(in, len, out, sizeof(out)) > 0);
	return out;
}
#define ESC(s) esc(s, sizeof(s) - 1)

/* A small validator of the JSON string grammar (RFC 8259, section 7):
 * independent of the escaper, so a bug in one is not mirrored. */
static int valid_json_string(const char *s)
{
	size_t len = strlen(s), i = 1;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return 0;
	while (i < len - 1) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		if (c == '"' || c < 0x20)
			return 0;
		if (c == '\\') {
			char e = s[i + 1];

			if (strchr("\"\\/bfnrt", e) && e) {
				i += 2;
				continue;
			}
			if (e != 'u')
				return 0;
			for (int k = 2; k < 6; k++)
				if (!strchr("0123456789abcdefABCDEF", s[i + k]) || !s[i + k])
					return 0;
			i += 6;
			continue;
		}
		n = utf8_decode((const unsigned char *)s + i, len - 1 - i, &cp);
		if (n == 0)
			return 0;
		i += n;
	}
	return i == len - 1;
}

static void test_plain(void **state)
{
	(void)state;
	assert_string_equal(ESC("KEYCHAIN"), "\"KEYCHAIN\"");
	assert_string_equal(ESC(""), "\"\"");
	assert_string_equal(ESC("Über Café 日本語"), "\"Über Café 日本語\"");
}

static void test_quotes_and_backslashes(void **state)
{
	(void)state;
	assert_string_equal(ESC("a\"b"), "\"a\\\"b\"");
	assert_string_equal(ESC("a\\b"), "\"a\\\\b\"");
	assert_string_equal(ESC("\"],\"x\":1,"), "\"\\\"],\\\"x\\\":1,\"");
}

static void test_control_bytes(void **state)
{
	(void)state;
	assert_string_equal(ESC("a\nb\tc"), "\"a\\nb\\tc\"");
	assert_string_equal(ESC("\x1b[31m"), "\"\\u001b[31m\"");
	assert_string_equal(ESC("\x7f"), "\"\\u007f\"");
	assert_string_equal(esc("a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(ESC("\xe2\x80\xa8"), "\"\\u2028\"");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(ESC("a\xff" "b"), "\"a\xef\xbf\xbd" "b\"");
	/* overlong '/', a surrogate, a truncated sequence */
	assert_string_equal(ESC("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	assert_true(valid_json_string(ESC("\xed\xa0\x80")));
	assert_string_equal(ESC("\xe6\x97"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_every_byte_pair_is_valid(void **state)
{
	char in[4];

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0xe2;
			in[3] = (char)0x82;
			assert_true(valid_json_string(esc(in, 4)));
		}
	}
}

static void test_bounds(void **state)
{
	char small[8];
	char big[300];

	(void)state;
	assert_int_equal(json_escape("abcdef", 6, small, sizeof(small)), -ENOSPC);
	assert_string_equal(small, "\"\"");
	assert_int_equal(json_escape("abcde", 5, small, sizeof(small)), 7);
	assert_int_equal(json_escape("a", 1, small, 2), -ENOSPC);
	memset(big, '\x01', sizeof(big));
	assert_true(valid_json_string(esc(big, sizeof(big))));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quotes_and_backslashes),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_every_byte_pair_is_valid),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
