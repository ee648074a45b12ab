/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/record.c: escaping round trips and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"

static void roundtrip(const char *in, size_t len)
{
	char esc[4 * 600], back[600];
	int n = record_escape(in, len, esc, sizeof(esc));

	assert_true(n >= 0);
	assert_null(memchr(esc, '\n', (size_t)n));
	for (int i = 0; i < n; i++)
		assert_true((unsigned char)esc[i] >= 0x20 && esc[i] != 0x7f);
	assert_int_equal(record_unescape(esc, (size_t)n, back, sizeof(back)), (int)len);
	assert_memory_equal(back, in, len);
}

static void test_escape_roundtrip(void **state)
{
	char all[256];

	(void)state;
	roundtrip("plain", 5);
	roundtrip("a\nb\\c", 5);
	roundtrip("\x1b[31m", 5);
	roundtrip("\xff\xfe invalid", 10);
	roundtrip("Über", 5);
	for (int i = 0; i < 256; i++)
		all[i] = (char)(i ? i : 1);
	roundtrip(all, sizeof(all));
}

static void test_escape_forms(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(record_escape("a\nb", 3, out, sizeof(out)), 4);
	assert_string_equal(out, "a\\nb");
	record_escape("\\", 1, out, sizeof(out));
	assert_string_equal(out, "\\\\");
	record_escape("\x01\xff", 2, out, sizeof(out));
	assert_string_equal(out, "\\x01\\xff");
	record_escape("é", 2, out, sizeof(out));
	assert_string_equal(out, "é");
	assert_int_equal(record_escape("abcdef", 6, out, 4), -28 /* ENOSPC */);
}

static void test_unescape_rejects(void **state)
{
	char out[64];

	(void)state;
	assert_true(record_unescape("\\", 1, out, sizeof(out)) < 0);
	assert_true(record_unescape("\\x4", 3, out, sizeof(out)) < 0);
	assert_true(record_unescape("\\xzz", 4, out, sizeof(out)) < 0);
	assert_true(record_unescape("\\q", 2, out, sizeof(out)) < 0);
	assert_true(record_unescape("a\tb", 3, out, sizeof(out)) < 0);
	assert_true(record_unescape("abcdef", 6, out, 3) < 0);
}

static void test_format_parse(void **state)
{
	struct record r, back;
	char buf[RECORD_MAX_BYTES];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.name, "My Stick");
	strcpy(r.kname, "sdb1");
	strcpy(r.devname, "/dev/sdb1");
	r.devmajor = 8;
	r.devminor = 17;
	r.diskseq = 42;
	strcpy(r.fstype, "vfat");
	strcpy(r.mounttype, "vfat");
	strcpy(r.label, "evil\nlabel=\\x");
	r.size = 1ULL << 40;
	r.readonly = true;
	r.removable = true;
	strcpy(r.options, "nosuid,nodev,ro");
	r.safe = true;
	strcpy(r.dirty_source, "bdi");
	n = record_format(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(record_parse(buf, (size_t)n, &back, NULL), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	assert_non_null(strstr(buf, "\nsafe=1\ndirty_source=bdi\n"));
}

/* Every string field at its longest, every byte escaped to "\xHH": the
 * record still fits and comes back unchanged (a record that did not fit
 * was never rewritten again). */
static void fill_worst(char *p, size_t size)
{
	memset(p, 0x01, size - 1);
	p[size - 1] = '\0';
}

static void test_format_worst_case(void **state)
{
	static struct record r, back;
	static char buf[RECORD_MAX_BYTES];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_worst(r.name, sizeof(r.name));
	fill_worst(r.kname, sizeof(r.kname));
	fill_worst(r.devname, sizeof(r.devname));
	fill_worst(r.label, sizeof(r.label));
	fill_worst(r.uuid, sizeof(r.uuid));
	fill_worst(r.vendor, sizeof(r.vendor));
	fill_worst(r.model, sizeof(r.model));
	fill_worst(r.serial, sizeof(r.serial));
	fill_worst(r.mountpoint, sizeof(r.mountpoint));
	fill_worst(r.options, sizeof(r.options));
	fill_worst(r.reason, sizeof(r.reason));
	fill_worst(r.mounted_options, sizeof(r.mounted_options));
	fill_worst(r.mount_note, sizeof(r.mount_note));
	fill_worst(r.mount_error, sizeof(r.mount_error));
	n = record_format(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(record_parse(buf, (size_t)n, &back, NULL), 0);
	assert_memory_equal(&r, &back, sizeof(r));
}

static void test_parse_hostile(void **state)
{
	struct record r;
	int line = 0;
	char big[2000];

	(void)state;
	assert_int_equal(record_parse("name=a\nfoo=bar\n", 15, &r, NULL), 0);
	assert_string_equal(r.name, "a");
	assert_true(record_parse("name=a", 6, &r, &line) < 0); /* no newline */
	assert_int_equal(line, 1);
	assert_true(record_parse("name=a\nnoequals\n", 16, &r, &line) < 0);
	assert_int_equal(line, 2);
	assert_true(record_parse("devnum=8\n", 9, &r, NULL) < 0);
	assert_true(record_parse("devnum=-1:2\n", 12, &r, NULL) < 0);
	assert_true(record_parse("size=12x\n", 9, &r, NULL) < 0);
	assert_true(record_parse("size=99999999999999999999999\n", 29, &r, NULL) < 0);
	assert_true(record_parse("readonly=2\n", 11, &r, NULL) < 0);
	assert_true(record_parse("name=a\\x00b\n", 12, &r, NULL) < 0);
	/* a value longer than its field */
	memcpy(big, "name=", 5);
	memset(big + 5, 'x', 1000);
	big[1005] = '\n';
	assert_true(record_parse(big, 1006, &r, NULL) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_roundtrip),
		cmocka_unit_test(test_escape_forms),
		cmocka_unit_test(test_unescape_rejects),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_format_worst_case),
		cmocka_unit_test(test_parse_hostile),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
