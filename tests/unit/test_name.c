/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/name.c: the names contract on hostile labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
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
	/* right-to-left override U+202E: '_' inside, dropped at the start */
	assert_string_equal(SAN("gpj.\xe2\x80\xae" "exe"), "gpj._exe");
	assert_string_equal(SAN("\xe2\x80\xae" "txt.exe"), "txt.exe");
	/* shell metacharacters are harmless in a file name: kept */
	assert_string_equal(SAN("$(reboot)"), "$(reboot)");
	assert_string_equal(SAN("`id`"), "`id`");
}

/* '*' is autofs's wildcard key: a cached answer for it would be reused for
 * other keys. It is never part of a name. */
static void test_autofs_wildcard(void **state)
{
	(void)state;
	assert_string_equal(SAN("*"), "_");
	assert_string_equal(SAN("a*b"), "a_b");
	assert_string_equal(SAN("**"), "__");
	assert_false(name_is_valid("*"));
	assert_false(name_is_valid("a*"));
	assert_false(name_is_valid("*a"));
}

/* a leading '+' names an included map in autofs */
static void test_leading_plus(void **state)
{
	char out[NAME_BUF];

	(void)state;
	assert_string_equal(SAN("+x"), "x");
	assert_string_equal(SAN("++auto.master"), "auto.master");
	assert_string_equal(SAN("+-.x"), "x");
	assert_int_equal(name_sanitize("+", 1, out), 0);
	assert_string_equal(SAN("a+b"), "a+b");
	assert_string_equal(SAN("C++"), "C++");
	assert_false(name_is_valid("+x"));
	assert_true(name_is_valid("C++"));
}

/* One code point each that draws nothing. */
static const char *const invisible[] = {
	"\u200b", "\u2060", "\u2061", "\u2064", "\ufeff", "\u180e", "\u00ad",
	"\u034f", "\u3164", "\u115f", "\u1160", "\uffa0", "\u17b4", "\u206a",
	"\U0001D173", "\U000E0001",
};
/* Joiners, variation selectors, tags: part of the character before them,
 * invisible anywhere else. */
static const char *const joiners[] = { "\u200c", "\u200d" };
static const char *const modifiers[] = {
	"\ufe00", "\ufe0f", "\U000E0100", "\U000E01EF", "\U000E0041", "\u180b",
};
/* Unicode spaces. */
static const char *const spaces[] = {
	" ", "\u00a0", "\u1680", "\u2000", "\u2005", "\u200a", "\u202f",
	"\u205f", "\u3000", "\u2800",
};
/* Bidi marks, embeddings, overrides and isolates. */
static const char *const bidi[] = {
	"\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
	"\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Each code point of set: alone or with spaces nothing visible is left
 * (the caller's fallback name applies); at the start it is dropped, and a
 * key starting with it is no name; between two spaces it shows as '_'
 * (or, a space, stays); at the end dropped unless kept_last. */
static void check_hidden(const char *const *set, size_t n, bool space, bool kept_last)
{
	char in[64], want[64], out[NAME_BUF];

	for (size_t k = 0; k < n; k++) {
		const char *c = set[k];
		size_t len;

		assert_int_equal(name_sanitize(c, strlen(c), out), 0);
		len = (size_t)snprintf(in, sizeof(in), "%s%s %s", c, c, c);
		assert_int_equal(name_sanitize(in, len, out), 0);
		len = (size_t)snprintf(in, sizeof(in), "%s%sKEY", c, c);
		assert_int_equal(name_sanitize(in, len, out), 3);
		assert_string_equal(out, "KEY");
		len = (size_t)snprintf(in, sizeof(in), "A %s B", c);
		name_sanitize(in, len, out);
		snprintf(want, sizeof(want), "A %s B", space ? c : "_");
		assert_string_equal(out, want);
		len = (size_t)snprintf(in, sizeof(in), "KEY %s", c);
		assert_int_equal(name_sanitize(in, len, out), 3);
		len = (size_t)snprintf(in, sizeof(in), "KEY%s", c);
		assert_int_equal(name_sanitize(in, len, out), kept_last ? len : 3);
		assert_false(name_is_valid(c));
		snprintf(in, sizeof(in), "%sKEY", c);
		assert_false(name_is_valid(in));
		snprintf(in, sizeof(in), "KEY %s", c);
		assert_false(name_is_valid(in));
	}
}

static void test_invisible(void **state)
{
	(void)state;
	check_hidden(invisible, N(invisible), false, false);
	check_hidden(joiners, N(joiners), false, false);
	check_hidden(modifiers, N(modifiers), false, true);
	assert_string_equal(SAN("A\u200bB"), "A_B");
	assert_string_equal(SAN("A\u00adB"), "A_B");
	assert_string_equal(SAN("\ufeffKEY\u200b"), "KEY");
	assert_false(name_is_valid("A\u200bB"));
}

static void test_unicode_spaces(void **state)
{
	(void)state;
	check_hidden(spaces, N(spaces), true, false);
	assert_string_equal(SAN("\u00a0\u00a0KEY\u3000"), "KEY");
	assert_string_equal(SAN("\u65e5\u3000\u672c"), "\u65e5\u3000\u672c");
	assert_true(name_is_valid("A\u00a0B"));
	assert_false(name_is_valid("\u00a0KEY"));
	assert_false(name_is_valid("KEY\u3000"));
}

static void test_bidi(void **state)
{
	(void)state;
	check_hidden(bidi, N(bidi), false, false);
	assert_string_equal(SAN("abc\u061cdef"), "abc_def");
	assert_false(name_is_valid("\u061c"));
	assert_false(name_is_valid("a\u2067b"));
}

/* Emoji and words that need a joiner or a selector keep them; a name never
 * ends with a joiner nor starts with either. */
static void test_clusters(void **state)
{
	char out[NAME_BUF];

	(void)state;
	/* man ZWJ woman ZWJ girl; heart + emoji presentation; heart + VS +
	 * ZWJ + fire; Persian with ZWNJ; England's flag (tags) */
	assert_string_equal(SAN("\U0001F468\u200d\U0001F469\u200d\U0001F467"),
			    "\U0001F468\u200d\U0001F469\u200d\U0001F467");
	assert_string_equal(SAN("\u2764\ufe0f"), "\u2764\ufe0f");
	assert_string_equal(SAN("\u2764\ufe0f\u200d\U0001F525"), "\u2764\ufe0f\u200d\U0001F525");
	assert_string_equal(SAN("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
			    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645");
	assert_string_equal(SAN("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"),
			    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F");
	assert_true(name_is_valid("\u2764\ufe0f"));
	/* a joiner at the end is dropped; one that joins no two visible
	 * characters is invisible */
	assert_string_equal(SAN("A\u200d"), "A");
	assert_string_equal(SAN("A\u200d\u200dB"), "A__B");
	assert_string_equal(SAN("A\u200c B"), "A_ B");
	assert_string_equal(SAN("A\u200d\ufe0fB"), "A__B");
	/* after a space or at the start: invisible */
	assert_string_equal(SAN("A \u200dB"), "A _B");
	assert_string_equal(SAN("A \ufe0fB"), "A _B");
	assert_string_equal(SAN("\ufe0fA"), "A");
	/* behind a stripped '-' they would lead: stripped too */
	assert_string_equal(SAN("-\u200dA"), "A");
	assert_string_equal(SAN("-\ufe0fA"), "A");
	assert_string_equal(SAN("-\u00a0\u200bA"), "_A");
	assert_int_equal(name_sanitize("-\u200d", strlen("-\u200d"), out), 0);
	assert_false(name_is_valid("A\u200d"));
	assert_false(name_is_valid("\u200dA"));
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
		cmocka_unit_test(test_autofs_wildcard),
		cmocka_unit_test(test_leading_plus),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_unicode_spaces),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_is_valid),
		cmocka_unit_test(test_suffix),
	};
	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
