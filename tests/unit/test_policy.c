/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/policy.c: which devices are offered and which are
 * listed with which reason (which are not looked at at all is
 * device_wanted's, in test_device.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
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
	/* (lib/options.c may add an error policy after these) */
	assert_true(!strncmp(r.options, "nosuid,nodev,ro", 15) &&
		    (r.options[15] == '\0' || r.options[15] == ','));
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

/* A whole disk: the kernel has made nparts partitions of it. */
static struct devinfo disk(const char *fstype, const char *pttype, unsigned nparts)
{
	struct devinfo d = stick(fstype, *fstype ? "filesystem" : "");

	strcpy(d.kname, "sdb");
	strcpy(d.devname, "/dev/sdb");
	d.devnum = makedev(8, 16);
	d.partition = false;
	d.partitions = nparts;
	strcpy(d.fs.pttype, pttype);
	return d;
}

static void test_whole_disk_with_partitions(void **state)
{
	struct config c = cfg();
	struct devinfo d;
	struct record r;

	(void)state;
	/* a hybrid ISO: iso9660 at sector 0 and an MBR the kernel has read */
	d = disk("iso9660", "dos", 2);
	strcpy(d.fs.label, "MEDIAD_LIVE");
	expect_ignored(&d, &c, NULL, "holds a partition table (dos); its partitions are the media");
	/* a re-partitioned stick: a stale superblock under a new GPT */
	d = disk("ext4", "gpt", 2);
	expect_ignored(&d, &c, NULL, "holds a partition table (gpt); its partitions are the media");
	/* partitions made by hand (BLKPG) on a disk blkid sees no table on */
	d = disk("ext4", "", 1);
	expect_ignored(&d, &c, NULL, "holds a partition table; its partitions are the media");
	d = disk("", "dos", 1);
	expect_ignored(&d, &c, NULL, "holds a partition table (dos)");
	/* what the user asked for, and what holds the disk, come first */
	d = disk("iso9660", "dos", 2);
	strcpy(d.holder, "dm-0");
	expect_ignored(&d, &c, NULL, "in use by dm-0");
	d = disk("iso9660", "dos", 2);
	expect_ignored(&d, &c, "/run/live/medium", "mounted by the system on /run/live/medium");
	d = disk("iso9660", "dos", 2);
	d.udev_ignore = true;
	expect_ignored(&d, &c, NULL, "MEDIAD_IGNORE");

	/* the kernel has made no partitions of it (partx -d, a loop device
	 * attached without -P): one answer still, what blkid finds on it */
	d = disk("ext4", "dos", 0);
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	assert_string_equal(r.mounttype, "ext4");
	d = disk("iso9660", "dos", 0);
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	assert_non_null(strstr(r.options, "ro"));
	d = disk("", "gpt", 0);
	expect_ignored(&d, &c, NULL, "holds a partition table (gpt); its partitions are the media");
}

static void test_hybrid_iso_partitions(void **state)
{
	struct config c = cfg();
	struct devinfo d;
	struct record r;

	(void)state;
	/* the first partition starts at sector 0 (MBR type 0) and so holds
	 * the ISO and the MBR: the filesystem is what counts */
	d = stick("iso9660", "filesystem");
	strcpy(d.fs.label, "MEDIAD_LIVE");
	strcpy(d.fs.pttype, "dos");
	strcpy(d.fs.parttype, "0x0");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	assert_string_equal(r.label, "MEDIAD_LIVE");
	/* its EFI system partition: listed, MBR or GPT, either case */
	d = stick("vfat", "filesystem");
	strcpy(d.fs.parttype, "0xef");
	expect_ignored(&d, &c, NULL, "EFI system partition (vfat)");
	d = stick("vfat", "filesystem");
	strcpy(d.fs.parttype, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	expect_ignored(&d, &c, NULL, "EFI system partition");
	d = stick("vfat", "filesystem");
	strcpy(d.fs.parttype, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
	expect_ignored(&d, &c, NULL, "EFI system partition");
	/* a FAT partition of an ordinary type is offered */
	d = stick("vfat", "filesystem");
	strcpy(d.fs.parttype, "0xc");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	d = stick("vfat", "filesystem");
	strcpy(d.fs.parttype, "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
	/* the ESP type on a whole disk means nothing */
	d = disk("vfat", "", 0);
	strcpy(d.fs.parttype, "0xef");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
}

static void test_nested_tables(void **state)
{
	struct config c = cfg();
	struct devinfo d;

	(void)state;
	/* an MBR extended partition: blkid reads the chain of EBRs in it */
	d = stick("", "");
	strcpy(d.fs.pttype, "dos");
	strcpy(d.fs.parttype, "0x5");
	expect_ignored(&d, &c, NULL,
		       "extended partition (holds the logical partitions, which are the media)");
	strcpy(d.fs.parttype, "0xf");
	expect_ignored(&d, &c, NULL, "extended partition");
	/* a disk image written into a partition: the kernel reads no table
	 * there, and "its partitions are the media" would be untrue */
	d = stick("", "");
	strcpy(d.fs.pttype, "gpt");
	strcpy(d.fs.parttype, "0x83");
	expect_ignored(&d, &c, NULL, "holds a nested partition table (gpt), not a filesystem");
}

static void test_not_filesystems(void **state)
{
	static const char *const other[] = {
		"jbd", "xfs_external_log", "bcache", "ceph_bluestore", "vdo", "drbd",
	};
	struct config c = cfg();
	struct devinfo d;
	struct record r;
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		d = stick(other[i], "other");
		snprintf(want, sizeof(want), "not a filesystem (%s)", other[i]);
		expect_ignored(&d, &c, NULL, want);
	}
	/* a swap area holding a suspended system's memory: libblkid says
	 * TYPE="swsuspend", USAGE="other" */
	d = stick("swsuspend", "other");
	expect_ignored(&d, &c, NULL, "hibernation image");
	d = stick("swap", "other");
	expect_ignored(&d, &c, NULL, "swap space");
	/* a filesystem type we do not mount keeps its own reason */
	d = stick("zfs_member", "filesystem");
	expect_ignored(&d, &c, NULL, "'zfs_member' is not mounted by mediad");
	/* no usage at all (an old udev database): judged by its type */
	d = stick("ext4", "");
	assert_int_equal(classify(&d, &c, NULL, &r), VERDICT_OFFERED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered),
		cmocka_unit_test(test_internal_disk_ro),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_config_ignore),
		cmocka_unit_test(test_whole_disk_with_partitions),
		cmocka_unit_test(test_hybrid_iso_partitions),
		cmocka_unit_test(test_nested_tables),
		cmocka_unit_test(test_not_filesystems),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
