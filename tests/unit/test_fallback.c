/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/fallback.c: the order mount.mediad tries mounts in. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fallback.h"

static void test_ext4_rw(void **state)
{
	struct mount_attempt a[FALLBACK_MAX];

	(void)state;
	assert_int_equal(fallback_plan("ext4", "rw,nosuid,nodev", a), 3);
	assert_string_equal(a[0].type, "ext4");
	assert_string_equal(a[0].options, "nosuid,nodev,errors=remount-ro,barrier");
	assert_true(a[0].fsck);
	assert_false(a[0].readonly);
	assert_string_equal(a[1].options, "ro,nosuid,nodev,errors=remount-ro,barrier");
	assert_true(a[1].readonly);
	assert_false(a[1].fsck);
	assert_false(a[1].noreplay);
	assert_string_equal(a[2].options, "ro,nosuid,nodev,errors=remount-ro,barrier,noload");
	assert_true(a[2].noreplay);
}

/* Every step of every ext and FAT-like plan names the error policy, as
 * the record gives it or remount-ro when it gives none; a plan asking for
 * panic (or suid, dev) is refused, not mended. */
static void test_errors_policy(void **state)
{
	static const char *const types[] = { "ext2", "ext3", "ext4", "vfat", "exfat" };
	struct mount_attempt a[FALLBACK_MAX];
	int n;

	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		n = fallback_plan(types[t], "nosuid,nodev", a);
		assert_true(n >= 2);
		for (int i = 0; i < n; i++) {
			assert_true(opts_has(a[i].options, "errors=remount-ro"));
			assert_true(opts_has(a[i].options, "nosuid"));
		}
		/* the record's own word is kept, never doubled */
		n = fallback_plan(types[t], "nosuid,nodev,errors=remount-ro", a);
		for (int i = 0; i < n; i++)
			assert_null(strstr(strstr(a[i].options, "errors=") + 1, "errors="));
		n = fallback_plan(types[t], "nosuid,nodev,errors=continue", a);
		for (int i = 0; i < n; i++) {
			assert_true(opts_has(a[i].options, "errors=continue"));
			assert_false(opts_has(a[i].options, "errors=remount-ro"));
		}
		assert_int_equal(fallback_plan(types[t], "nosuid,nodev,errors=panic", a), -EPERM);
		assert_int_equal(fallback_plan(types[t], "errors=panic,ro", a), -EPERM);
	}
	/* ext4 read-only: the noload step too */
	assert_int_equal(fallback_plan("ext4", "nosuid,nodev,ro", a), 2);
	assert_string_equal(a[1].options, "ro,nosuid,nodev,errors=remount-ro,barrier,noload");
	/* no policy where the driver has none */
	assert_int_equal(fallback_plan("xfs", "nosuid,nodev", a), 3);
	for (int i = 0; i < 3; i++)
		assert_null(strstr(a[i].options, "errors="));
	assert_int_equal(fallback_plan("ntfs3", "nosuid,nodev", a), 4);
	for (int i = 0; i < 4; i++)
		assert_null(strstr(a[i].options, "errors="));
	assert_int_equal(fallback_plan("ext4", "nosuid,suid", a), -EPERM);
	assert_int_equal(fallback_plan("ntfs-3g", "dev", a), -EPERM);
}

/* Every ext3/ext4 step names barrier (the superblock can turn the cache
 * flushes off), once, unless the record chose barrier or nobarrier. */
static void test_barrier(void **state)
{
	struct mount_attempt a[FALLBACK_MAX];
	int n;

	(void)state;
	n = fallback_plan("ext3", "nosuid,nodev", a);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		assert_true(opts_has(a[i].options, "barrier"));
	n = fallback_plan("ext4", "nosuid,nodev,errors=remount-ro,barrier", a);
	for (int i = 0; i < n; i++)
		assert_null(strstr(strstr(a[i].options, "barrier") + 1, "barrier"));
	n = fallback_plan("ext4", "nosuid,nodev,nobarrier", a);
	for (int i = 0; i < n; i++) {
		assert_true(opts_has(a[i].options, "nobarrier"));
		assert_false(opts_has(a[i].options, "barrier"));
	}
	n = fallback_plan("ext2", "nosuid,nodev", a);
	for (int i = 0; i < n; i++)
		assert_null(strstr(a[i].options, "barrier"));
	n = fallback_plan("vfat", "nosuid,nodev", a);
	for (int i = 0; i < n; i++)
		assert_null(strstr(a[i].options, "barrier"));
}

static void test_readonly_medium(void **state)
{
	struct mount_attempt a[FALLBACK_MAX];

	(void)state;
	/* read-only already: never a read-write attempt, never fsck */
	assert_int_equal(fallback_plan("xfs", "nosuid,nodev,ro", a), 2);
	assert_string_equal(a[0].options, "ro,nosuid,nodev");
	assert_false(a[0].fsck);
	assert_string_equal(a[1].options, "ro,nosuid,nodev,norecovery");
	assert_int_equal(fallback_plan("iso9660", "nosuid,nodev,ro,uid=1000", a), 1);
	assert_string_equal(a[0].options, "ro,nosuid,nodev,uid=1000");
	assert_int_equal(fallback_plan("vfat", "nosuid,nodev,uid=1000,flush", a), 2);
	assert_string_equal(a[1].options, "ro,nosuid,nodev,uid=1000,flush,errors=remount-ro");
}

static void test_ntfs(void **state)
{
	struct mount_attempt a[FALLBACK_MAX];

	(void)state;
	/* whichever driver the daemon named: ntfs3, then ntfs-3g (which
	 * alone gets windows_names), then both read-only */
	assert_int_equal(fallback_plan("ntfs-3g", "nosuid,nodev,uid=1000,windows_names", a), 4);
	assert_string_equal(a[0].type, "ntfs3");
	assert_string_equal(a[0].options, "nosuid,nodev,uid=1000");
	assert_string_equal(a[1].type, "ntfs-3g");
	assert_string_equal(a[1].options, "nosuid,nodev,uid=1000,windows_names");
	assert_string_equal(a[2].type, "ntfs3");
	assert_string_equal(a[2].options, "ro,nosuid,nodev,uid=1000");
	assert_string_equal(a[3].type, "ntfs-3g");
	assert_string_equal(a[3].options, "ro,nosuid,nodev,uid=1000,windows_names");
	assert_int_equal(fallback_plan("ntfs3", "", a), 4);
	assert_string_equal(a[1].options, "windows_names");
	assert_string_equal(a[2].options, "ro");
}

static void test_refused(void **state)
{
	struct mount_attempt a[FALLBACK_MAX];
	char big[600];

	(void)state;
	assert_int_equal(fallback_plan("ntfs", "", a), -EPROTONOSUPPORT);
	assert_int_equal(fallback_plan("swap", "", a), -EPROTONOSUPPORT);
	assert_int_equal(fallback_plan("", "", a), -EPROTONOSUPPORT);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fallback_plan("ext4", big, a), -ENOSPC);
}

static void test_has_option(void **state)
{
	(void)state;
	assert_true(opts_has("a,ro,b", "ro"));
	assert_true(opts_has("ro", "ro"));
	assert_false(opts_has("a,rox,b", "ro"));
	assert_false(opts_has("", "ro"));
	assert_false(opts_has("errors=ro", "ro"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext4_rw),       cmocka_unit_test(test_readonly_medium),
		cmocka_unit_test(test_ntfs),          cmocka_unit_test(test_refused),
		cmocka_unit_test(test_has_option),    cmocka_unit_test(test_errors_policy),
		cmocka_unit_test(test_barrier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
