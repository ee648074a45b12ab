/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/options.c: the mount-option contract, type by type. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"

static struct opts_policy pol(void)
{
	struct opts_policy p;

	memset(&p, 0, sizeof(p));
	p.uid = 1000;
	p.gid = 1000;
	p.have_ntfs3 = true;
	return p;
}

static void expect(const struct opts_policy *p, const char *fstype, bool ro,
		   bool internal, const char *mtype, const char *opts)
{
	char t[OPTS_TYPE_BUF], o[OPTS_BUF];

	assert_int_equal(opts_for(p, fstype, ro, internal, t, o), 0);
	assert_string_equal(t, mtype);
	assert_string_equal(o, opts);
}

static void test_types(void **state)
{
	struct opts_policy p = pol();

	(void)state;
	expect(&p, "vfat", false, false, "vfat",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022,shortname=mixed,utf8,flush,"
	       "errors=remount-ro");
	expect(&p, "exfat", false, false, "exfat",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022,errors=remount-ro");
	expect(&p, "ntfs", false, false, "ntfs3",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022");
	p.have_ntfs3 = false;
	expect(&p, "ntfs", false, false, "ntfs-3g",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022,windows_names");
	expect(&p, "ext4", false, false, "ext4", "nosuid,nodev,errors=remount-ro,barrier");
	expect(&p, "ext3", false, false, "ext3", "nosuid,nodev,errors=remount-ro,barrier");
	expect(&p, "ext2", false, false, "ext2", "nosuid,nodev,errors=remount-ro");
	expect(&p, "f2fs", false, false, "f2fs", "nosuid,nodev");
	expect(&p, "hfsplus", false, false, "hfsplus", "nosuid,nodev");
	expect(&p, "btrfs", false, false, "btrfs", "nosuid,nodev");
	expect(&p, "xfs", false, false, "xfs", "nosuid,nodev");
	expect(&p, "iso9660", false, false, "iso9660", "nosuid,nodev,ro");
	expect(&p, "udf", false, false, "udf", "nosuid,nodev,ro");
	expect(&p, "squashfs", false, false, "squashfs", "nosuid,nodev,ro");
	expect(&p, "erofs", false, false, "erofs", "nosuid,nodev,ro");
}

static void test_ro_rules(void **state)
{
	struct opts_policy p = pol();

	(void)state;
	expect(&p, "ext4", true, false, "ext4", "nosuid,nodev,ro,errors=remount-ro,barrier");
	expect(&p, "ext4", false, true, "ext4", "nosuid,nodev,ro,errors=remount-ro,barrier");
	p.internal_rw = true;
	expect(&p, "ext4", false, true, "ext4", "nosuid,nodev,errors=remount-ro,barrier");
	expect(&p, "ext4", true, true, "ext4", "nosuid,nodev,ro,errors=remount-ro,barrier");
	p.noexec = true;
	expect(&p, "xfs", false, false, "xfs", "nosuid,nodev,noexec");
}

static void test_unmountable(void **state)
{
	struct opts_policy p = pol();
	char t[OPTS_TYPE_BUF], o[OPTS_BUF];

	(void)state;
	assert_int_equal(opts_for(&p, "swap", false, false, t, o), -EPROTONOSUPPORT);
	assert_int_equal(opts_for(&p, "crypto_LUKS", false, false, t, o), -EPROTONOSUPPORT);
	assert_int_equal(opts_for(&p, "", false, false, t, o), -EPROTONOSUPPORT);
	assert_int_equal(opts_type_index("zfs_member"), -1);
}

static void test_override(void **state)
{
	struct opts_policy p = pol();
	char why[128];

	(void)state;
	assert_int_equal(opts_check_override("vfat", "uid=0,gid=0,noatime,utf8", false,
					     why, sizeof(why)), 0);
	assert_int_equal(opts_check_override("vfat", "suid", false, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "'suid' is not allowed"));
	assert_int_equal(opts_check_override("ext4", "dev", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "exec", true, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "noexec"));
	assert_int_equal(opts_check_override("ext4", "exec", false, why, sizeof(why)), 0);
	assert_int_equal(opts_check_override("ext4", "noatime,,ro", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "errors=$(x)", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "data=a b", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("zfs", "ro", false, why, sizeof(why)), -22);
	/* an override replaces the type's defaults, never nosuid,nodev nor
	 * the error policy */
	p.override[opts_type_index("vfat")] = "uid=0,gid=0,noatime";
	expect(&p, "vfat", false, false, "vfat",
	       "nosuid,nodev,uid=0,gid=0,noatime,errors=remount-ro");
}

/* errors=: remount-ro everywhere the driver has the option, whatever the
 * superblock says; an override may choose continue, never panic. */
static void test_errors_policy(void **state)
{
	struct opts_policy p = pol();
	char why[200];

	(void)state;
	assert_string_equal(opts_errors_word("ext2"), "errors=remount-ro");
	assert_string_equal(opts_errors_word("ext3"), "errors=remount-ro");
	assert_string_equal(opts_errors_word("ext4"), "errors=remount-ro");
	assert_string_equal(opts_errors_word("vfat"), "errors=remount-ro");
	assert_string_equal(opts_errors_word("exfat"), "errors=remount-ro");
	assert_null(opts_errors_word("ntfs3"));
	assert_null(opts_errors_word("ntfs-3g"));
	assert_null(opts_errors_word("f2fs"));
	assert_null(opts_errors_word("xfs"));
	assert_null(opts_errors_word("btrfs"));
	assert_null(opts_errors_word("iso9660"));
	assert_int_equal(opts_check_override("ext4", "errors=panic", false, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "'errors=panic' is refused"));
	assert_int_equal(opts_check_override("ext3", "noatime,errors=panic,data=ordered", false,
					     why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("vfat", "errors=panic", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("exfat", "errors=panic", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "errors=", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "errors=ro", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ntfs", "errors=continue", false, why, sizeof(why)), -22);
	assert_int_equal(opts_check_override("ext4", "errors=remount-ro", false, why, sizeof(why)), 0);
	assert_int_equal(opts_check_override("ext4", "errors=continue", false, why, sizeof(why)), 0);
	assert_int_equal(opts_check_override("vfat", "errors=continue", false, why, sizeof(why)), 0);
	/* an override naming a policy keeps it; one without gets ours */
	p.override[opts_type_index("ext4")] = "noatime,errors=continue";
	expect(&p, "ext4", false, false, "ext4", "nosuid,nodev,noatime,errors=continue,barrier");
	p.override[opts_type_index("ext4")] = "data=journal";
	expect(&p, "ext4", true, false, "ext4",
	       "nosuid,nodev,ro,data=journal,errors=remount-ro,barrier");
	assert_true(opts_has_errors("a,errors=x,b"));
	assert_false(opts_has_errors("a,noerrors=x"));
	assert_false(opts_has_errors(""));
}

/* barrier on every ext3/ext4 mount, whatever the superblock says (its
 * nobarrier would leave the device's write cache unflushed by commits and
 * syncfs); root's override may name barrier or nobarrier itself. */
static void test_barrier_policy(void **state)
{
	struct opts_policy p = pol();

	(void)state;
	assert_string_equal(opts_barrier_word("ext3"), "barrier");
	assert_string_equal(opts_barrier_word("ext4"), "barrier");
	assert_null(opts_barrier_word("ext2"));
	assert_null(opts_barrier_word("vfat"));
	assert_null(opts_barrier_word("btrfs"));
	assert_null(opts_barrier_word("xfs"));
	p.override[opts_type_index("ext4")] = "noatime,nobarrier";
	expect(&p, "ext4", false, false, "ext4", "nosuid,nodev,noatime,nobarrier,errors=remount-ro");
	p.override[opts_type_index("ext4")] = "barrier,noatime";
	expect(&p, "ext4", false, false, "ext4", "nosuid,nodev,barrier,noatime,errors=remount-ro");
	assert_true(opts_has_barrier("a,nobarrier"));
	assert_true(opts_has_barrier("barrier"));
	assert_false(opts_has_barrier("barriers,nobarrier=1"));
	assert_false(opts_has_barrier(""));
}

/* what mount.mediad checks last, whoever wrote the options */
static void test_enforce(void **state)
{
	char out[OPTS_BUF], why[100], big[700];

	(void)state;
	assert_int_equal(opts_enforce("ro,uid=1000,windows_names", out, sizeof(out), why,
				      sizeof(why)), 0);
	assert_string_equal(out, "nosuid,nodev,ro,uid=1000,windows_names");
	assert_int_equal(opts_enforce("", out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "nosuid,nodev");
	assert_int_equal(opts_enforce("nodev,ro,nosuid", out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "nosuid,nodev,ro");
	assert_int_equal(opts_enforce("ro,suid", out, sizeof(out), why, sizeof(why)), -EPERM);
	assert_string_equal(why, "refusing the option 'suid'");
	assert_int_equal(opts_enforce("dev,ro", out, sizeof(out), why, sizeof(why)), -EPERM);
	assert_string_equal(why, "refusing the option 'dev'");
	assert_int_equal(opts_enforce("errors=panic", out, sizeof(out), why, sizeof(why)), -EPERM);
	assert_string_equal(why, "refusing the option 'errors=panic'");
	assert_int_equal(opts_enforce("errors=continue", out, sizeof(out), why, sizeof(why)), 0);
	/* a refused word past what fits is still found */
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 6, ",suid", 6);
	assert_int_equal(opts_enforce(big, out, sizeof(out), why, sizeof(why)), -EPERM);
	big[sizeof(big) - 6] = '\0';
	assert_int_equal(opts_enforce(big, out, sizeof(out), why, sizeof(why)), -ENOSPC);
	assert_int_equal(opts_refuse_unsafe("nosuid,nodev,ro", why, sizeof(why)), 0);
	assert_int_equal(opts_refuse_unsafe("x,suid", why, sizeof(why)), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ro_rules),
		cmocka_unit_test(test_unmountable),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_errors_policy),
		cmocka_unit_test(test_barrier_policy),
		cmocka_unit_test(test_enforce),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
