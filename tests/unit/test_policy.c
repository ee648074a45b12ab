/* Unit tests for daemon/policy.c: which devices are offered, which are
 * listed with which reason, which are not looked at. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "policy.h"

static struct devinfo stick(const char *fstype, const char *usage)
{
	struct devinfo d;

	memset(&d, 0, sizeof(d));
	strcpy(d.kname, "sdb1");
	strcpy(d.devname, "/dev/sdb1");
	d.devnum = makedev(8, 17);
	d.partition = true;
	d.size = 1 << 30;
	d.removable = true;
	strcpy(d.bus, "usb");
	d.fs.found = *fstype != '\0';
	strcpy(d.fs.fstype, fstype);
	strcpy(d.fs.usage, usage);
	strcpy(d.fs.label, "KEY");
	strcpy(d.fs.uuid, "1234-ABCD");
	return d;
}

static struct config cfg(void)
{
	struct config c;

	config_defaults(&c);
	return c;
}

static struct opts_policy pol(void)
{
	struct opts_policy p;

	memset(&p, 0, sizeof(p));
	p.uid = p.gid = 1000;
	p.have_ntfs3 = true;
	return p;
}

static enum verdict classify(const struct devinfo *d, const struct config *c,
			     const char *sysmount, struct record *r)
{
	struct opts_policy p = pol();

	return policy_classify(d, c, &p, sysmount, r);
}

static void expect_ignored(const struct devinfo *d, const struct config *c,
			   const char *sysmount, const char *reason)
{
	struct record r;

	assert_int_equal(classify(d, c, sysmount, &r), VERDICT_IGNORED);
	if (!strstr(r.reason, reason))
		fail_msg("reason '%s' lacks '%s'", r.reason, reason);
	assert_string_equal(r.options, "");
}

static void test_offered(void **state)
{
	struct devinfo d = stick("vfat", "filesystem");
	struct config c = cfg();
	struct record r;

	(void)state;
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	assert_string_equal(r.label, "KEY");
	assert_string_equal(r.devname, "/dev/sdb1");
	assert_int_equal(r.devmajor, 8);
	assert_int_equal(r.devminor, 17);
	assert_string_equal(r.mounttype, "vfat");
	assert_non_null(strstr(r.options, "nosuid,nodev"));
	assert_string_equal(r.reason, "");
}

static void test_internal_disk_ro(void **state)
{
	struct devinfo d = stick("ext4", "filesystem");
	struct config c = cfg();
	struct record r;

	(void)state;
	d.removable = false;
	strcpy(d.bus, "ata");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	assert_string_equal(r.options, "nosuid,nodev,ro");
	assert_false(r.removable);
}

static void test_reasons(void **state)
{
	struct config c = cfg();
	struct devinfo d;

	(void)state;
	d = stick("swap", "other");
	expect_ignored(&d, &c, NULL, "swap");
	d = stick("linux_raid_member", "raid");
	expect_ignored(&d, &c, NULL, "RAID or LVM member (linux_raid_member)");
	d = stick("LVM2_member", "raid");
	expect_ignored(&d, &c, NULL, "LVM");
	d = stick("crypto_LUKS", "crypto");
	expect_ignored(&d, &c, NULL, "encrypted container (crypto_LUKS)");
	d = stick("zfs_member", "filesystem");
	expect_ignored(&d, &c, NULL, "'zfs_member' is not mounted by mediad");
	d = stick("ext4", "filesystem");
	expect_ignored(&d, &c, "/", "mounted by the system on /");
	d = stick("", "");
	strcpy(d.fs.error, "no filesystem found (unknown, damaged or blank)");
	expect_ignored(&d, &c, NULL, "no filesystem found");
	d = stick("", "");
	d.partition = false;
	strcpy(d.fs.pttype, "gpt");
	expect_ignored(&d, &c, NULL, "partition table (gpt)");
	d = stick("vfat", "filesystem");
	strcpy(d.holder, "dm-0");
	expect_ignored(&d, &c, NULL, "in use by dm-0");
	d = stick("vfat", "filesystem");
	d.udev_ignore = true;
	expect_ignored(&d, &c, NULL, "MEDIAD_IGNORE");
}

static void test_config_ignore(void **state)
{
	struct config c = cfg();
	struct devinfo d = stick("vfat", "filesystem");
	struct record r;

	(void)state;
	strcpy(c.ignore[c.n_ignore++], "UUID=1234-ABCD");
	expect_ignored(&d, &c, NULL, "ignored by configuration (UUID=1234-ABCD)");
	c.n_ignore = 0;
	strcpy(c.ignore[c.n_ignore++], "LABEL=KEY");
	expect_ignored(&d, &c, NULL, "LABEL=KEY");
	c.n_ignore = 0;
	strcpy(c.ignore[c.n_ignore++], "/dev/sdb1");
	expect_ignored(&d, &c, NULL, "/dev/sdb1");
	c.n_ignore = 0;
	strcpy(c.ignore[c.n_ignore++], "LABEL=OTHER");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
}

static void test_skipped(void **state)
{
	struct config c = cfg();
	struct devinfo d = stick("ext4", "filesystem");
	struct record r;

	(void)state;
	d.loop = true;
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_SKIP);
	c.include_loop = true;
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	/* include_loop = DIR: only loop devices backed by files under DIR */
	strcpy(d.backing_file, "/srv/isos/debian.iso");
	strcpy(c.loop_dir, "/srv/isos");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	strcpy(d.backing_file, "/srv/isos-other/x.iso");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_SKIP);
	strcpy(d.backing_file, "/tmp/x.img");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_SKIP);
	c.loop_dir[0] = '\0';
	d.size = 0; /* an empty drive */
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_SKIP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered),
		cmocka_unit_test(test_internal_disk_ro),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_config_ignore),
		cmocka_unit_test(test_skipped),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
