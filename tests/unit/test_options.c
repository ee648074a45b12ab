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
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022,shortname=mixed,utf8,flush");
	expect(&p, "exfat", false, false, "exfat",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022");
	expect(&p, "ntfs", false, false, "ntfs3",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022");
	p.have_ntfs3 = false;
	expect(&p, "ntfs", false, false, "ntfs-3g",
	       "nosuid,nodev,uid=1000,gid=1000,fmask=0133,dmask=0022,windows_names");
	expect(&p, "ext4", false, false, "ext4", "nosuid,nodev");
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
	expect(&p, "ext4", true, false, "ext4", "nosuid,nodev,ro");
	expect(&p, "ext4", false, true, "ext4", "nosuid,nodev,ro");
	p.internal_rw = true;
	expect(&p, "ext4", false, true, "ext4", "nosuid,nodev");
	expect(&p, "ext4", true, true, "ext4", "nosuid,nodev,ro");
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
	/* an override replaces the type's defaults, never nosuid,nodev */
	p.override[opts_type_index("vfat")] = "uid=0,gid=0,noatime";
	expect(&p, "vfat", false, false, "vfat", "nosuid,nodev,uid=0,gid=0,noatime");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ro_rules),
		cmocka_unit_test(test_unmountable),
		cmocka_unit_test(test_override),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
