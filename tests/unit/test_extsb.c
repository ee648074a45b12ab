/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for autofs-maps/extsb.c: a clean ext superblock lets
 * mount.mediad skip e2fsck -p; every reason e2fsck -p has in the
 * superblock to check a filesystem keeps e2fsck on the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "extsb.h"

#define NOW 1800000000LL

static void put16(uint8_t *sb, size_t off, uint32_t v)
{
	sb[off] = (uint8_t)v;
	sb[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *sb, size_t off, uint32_t v)
{
	put16(sb, off, v & 0xffff);
	put16(sb, off + 2, v >> 16);
}

/* What mke2fs -t ext4 writes, as far as the check looks */
static void clean_sb(uint8_t sb[1024])
{
	memset(sb, 0, 1024);
	put16(sb, 0x38, 0xEF53);        /* magic */
	put16(sb, 0x3A, 1);             /* state: valid */
	put16(sb, 0x34, 3);             /* mount count */
	put16(sb, 0x36, 0xffff);        /* max mount count: -1, off */
	put32(sb, 0x2C, NOW - 100);     /* mtime */
	put32(sb, 0x30, NOW - 100);     /* wtime */
	put32(sb, 0x40, NOW - 1000);    /* lastcheck */
	put32(sb, 0x60, 0x2C2);         /* filetype extents 64bit flex_bg */
	put32(sb, 0x64, 0x46B);         /* sparse large_file huge dir_nlink extra_isize csum */
}

static bool clean(const uint8_t *sb)
{
	char why[120];

	return extsb_clean(sb, 1024, NOW, why, sizeof(why));
}

static void test_clean_skips_fsck(void **state)
{
	uint8_t sb[1024];
	char why[120];

	(void)state;
	clean_sb(sb);
	assert_true(extsb_clean(sb, sizeof(sb), NOW, why, sizeof(why)));
	assert_string_equal(why, "");
}

static void test_state_calls_for_fsck(void **state)
{
	uint8_t sb[1024];

	(void)state;
	clean_sb(sb);
	put16(sb, 0x3A, 0); /* not cleanly unmounted */
	assert_false(clean(sb));
	put16(sb, 0x3A, 3); /* errors */
	assert_false(clean(sb));
	put16(sb, 0x3A, 5); /* orphans being recovered */
	assert_false(clean(sb));
	clean_sb(sb);
	put32(sb, 0x194, 2); /* errors counted */
	assert_false(clean(sb));
}

static void test_journal_and_orphans_call_for_fsck(void **state)
{
	uint8_t sb[1024];

	(void)state;
	clean_sb(sb);
	put32(sb, 0x60, 0x2C2 | 0x4); /* needs recovery */
	assert_false(clean(sb));
	clean_sb(sb);
	put32(sb, 0xE8, 12); /* last orphan */
	assert_false(clean(sb));
	clean_sb(sb);
	put32(sb, 0x64, 0x46B | 0x10000); /* orphan_present */
	assert_false(clean(sb));
}

static void test_due_checks_call_for_fsck(void **state)
{
	uint8_t sb[1024];

	(void)state;
	clean_sb(sb);
	put16(sb, 0x36, 20);
	put16(sb, 0x34, 20); /* mounted max times */
	assert_false(clean(sb));
	put16(sb, 0x34, 19);
	assert_true(clean(sb));
	clean_sb(sb);
	put32(sb, 0x44, 500); /* interval 500 s, last check 1000 s ago */
	assert_false(clean(sb));
	put32(sb, 0x44, 5000);
	assert_true(clean(sb));
	clean_sb(sb);
	put32(sb, 0x30, NOW + 10); /* written in the future */
	assert_false(clean(sb));
}

static void test_unknown_features_call_for_fsck(void **state)
{
	uint8_t sb[1024];

	(void)state;
	clean_sb(sb);
	put32(sb, 0x64, 0x46B | 0x40000000); /* an unknown ro_compat bit */
	assert_false(clean(sb));
	clean_sb(sb);
	put32(sb, 0x60, 0x2C2 | 0x100000); /* an unknown incompat bit */
	assert_false(clean(sb));
	clean_sb(sb);
	put32(sb, 0x5C, 0x80000000); /* a compat bit: e2fsck ignores those */
	assert_true(clean(sb));
}

static void test_not_ext(void **state)
{
	uint8_t sb[1024];
	char why[120];

	(void)state;
	clean_sb(sb);
	put16(sb, 0x38, 0x1234);
	assert_false(extsb_clean(sb, sizeof(sb), NOW, why, sizeof(why)));
	assert_string_equal(why, "no ext superblock");
	clean_sb(sb);
	assert_false(extsb_clean(sb, 512, NOW, why, sizeof(why)));
}

/* CVE-2025-40198: 64 bytes of default mount options without a NUL are
 * refused; a terminated field (what tune2fs writes), no ext magic or a
 * short read are not this check's to refuse */
static void test_unterminated_mount_opts(void **state)
{
	uint8_t sb[1024];
	char why[200] = "";

	(void)state;
	clean_sb(sb);
	assert_true(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	memcpy(sb + 0x200, "errors=remount-ro,nodelalloc", 29);
	assert_true(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	memset(sb + 0x200, 'a', 63);
	assert_true(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	assert_string_equal(why, "");
	memset(sb + 0x200, 'a', 64);
	assert_false(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	assert_non_null(strstr(why, "CVE-2025-40198"));
	/* the byte after the field is not part of it */
	sb[0x240] = '\0';
	assert_false(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	put16(sb, 0x38, 0x1234);
	assert_true(extsb_opts_terminated(sb, sizeof(sb), why, sizeof(why)));
	put16(sb, 0x38, 0xEF53);
	assert_true(extsb_opts_terminated(sb, 0x23F, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_skips_fsck),
		cmocka_unit_test(test_state_calls_for_fsck),
		cmocka_unit_test(test_journal_and_orphans_call_for_fsck),
		cmocka_unit_test(test_due_checks_call_for_fsck),
		cmocka_unit_test(test_unknown_features_call_for_fsck),
		cmocka_unit_test(test_not_ext),
		cmocka_unit_test(test_unterminated_mount_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
