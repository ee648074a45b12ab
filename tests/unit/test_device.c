/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/device.c: device_decode_udev, udev's \xHH label
 * encoding undone exactly, and anything that is not exactly a backslash,
 * 'x' and two hex digits copied as it is (the fuzz target "udev" found
 * "\x-1" taken for an escape when sscanf's %2x read the digits);
 * device_wanted, the uevent filter; and pcislot_hotplug, which PCI
 * disks count as removable, on sysfs trees made in a temp dir. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "device.h"
#include "pcislot.h"

static void decodes(const char *in, const char *want)
{
	char out[64];

	device_decode_udev(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_escapes(void **state)
{
	(void)state;
	decodes("MY\\x20STICK", "MY STICK");
	decodes("\\x2fetc\\x2f", "/etc/");
	decodes("\\xc3\\xa9t\\xC3\\xA9", "\xc3\xa9t\xc3\xa9");
	decodes("\\x1b[31m", "\x1b[31m");
	decodes("plain", "plain");
}

static void test_not_escapes(void **state)
{
	(void)state;
	/* the fuzzer's finding: a sign or a space is not a hex digit */
	decodes("\\x-1", "\\x-1");
	decodes("\\x 1", "\\x 1");
	decodes("\\x+f", "\\x+f");
	decodes("\\xzz", "\\xzz");
	decodes("\\x1", "\\x1");    /* one digit, then the end */
	decodes("\\x", "\\x");
	decodes("\\", "\\");
	decodes("a\\x4", "a\\x4");
}

static void test_bounds(void **state)
{
	char out[4];

	(void)state;
	memset(out, 'Z', sizeof(out));
	device_decode_udev("abcdef", out, sizeof(out));
	assert_string_equal(out, "abc");
	device_decode_udev("\\x41\\x42\\x43\\x44", out, sizeof(out));
	assert_string_equal(out, "ABC");
	device_decode_udev("xy", out, 1);
	assert_string_equal(out, "");
}

static struct devinfo loopdev(const char *backing)
{
	struct devinfo d;

	memset(&d, 0, sizeof(d));
	strcpy(d.kname, "loop3");
	d.loop = true;
	d.size = 1 << 20;
	strcpy(d.backing_file, backing);
	return d;
}

static void test_wanted(void **state)
{
	struct config c;
	struct devinfo d;

	(void)state;
	config_defaults(&c);
	/* not a loop device: always looked at */
	memset(&d, 0, sizeof(d));
	strcpy(d.kname, "sdb1");
	d.size = 1 << 30;
	assert_true(device_wanted(&d, &c));
	/* a drive with no medium (card reader, optical, floppy) is not */
	d.size = 0;
	assert_false(device_wanted(&d, &c));

	/* loop devices only with include_loop */
	d = loopdev("/tmp/x.img");
	assert_false(device_wanted(&d, &c));
	c.include_loop = true;
	assert_true(device_wanted(&d, &c));
	d.size = 0; /* detached: no medium */
	assert_false(device_wanted(&d, &c));

	/* include_loop = DIR: only those backed by files under DIR */
	strcpy(c.loop_dir, "/srv/isos");
	d = loopdev("/srv/isos/debian.iso");
	assert_true(device_wanted(&d, &c));
	d = loopdev("/srv/isos/sub/dir/x.img");
	assert_true(device_wanted(&d, &c));
	d = loopdev("/srv/isos-other/x.iso");
	assert_false(device_wanted(&d, &c));
	d = loopdev("/srv/isos");
	assert_false(device_wanted(&d, &c));
	d = loopdev("/tmp/x.img");
	assert_false(device_wanted(&d, &c));
}

/* ---- pcislot_hotplug on a fake sysfs --------------------------------- */

static char sysroot[PATH_MAX];

/* The helpers take paths relative to the fake sysfs, with or without a
 * leading slash (libudev's devpaths have one). */

static void mkdirs(const char *rel)
{
	char p[PATH_MAX + 300];
	size_t root;

	assert_true(snprintf(p, sizeof(p), "%s/%s", sysroot, rel + (rel[0] == '/')) <
		    (int)sizeof(p));
	root = strlen(sysroot) + 1;
	for (char *s = p + root; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX + 300];
	FILE *f;

	assert_true(snprintf(p, sizeof(p), "%s/%s", sysroot, rel + (rel[0] == '/')) <
		    (int)sizeof(p));
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char p[PATH_MAX + 300];

	assert_true(snprintf(p, sizeof(p), "%s/%s", sysroot, rel + (rel[0] == '/')) <
		    (int)sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

/* A PCI device directory at devices/<path> (its subsystem link is what
 * marks it; the link's depth does not matter to device.c). */
static void pcidev(const char *path)
{
	char rel[512];

	assert_true(snprintf(rel, sizeof(rel), "devices/%s", path) < (int)sizeof(rel));
	mkdirs(rel);
	assert_true(snprintf(rel, sizeof(rel), "devices/%s/subsystem", path) < (int)sizeof(rel));
	link_to("../../../bus/pci", rel);
}

/* A slot as a hot-plug driver registers it (power: pciehp, acpiphp) or
 * as pci_slot names it from the firmware (address only). */
static void slot(const char *name, const char *addr, bool hotplug)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "bus/pci/slots/%s", name);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "bus/pci/slots/%s/address", name);
	put(rel, addr);
	if (hotplug) {
		snprintf(rel, sizeof(rel), "bus/pci/slots/%s/power", name);
		put(rel, "1\n");
	}
}

static int fake_sys(void **state)
{
	char tmpl[] = "/tmp/test_device.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	/* realpath: device.c compares resolved links against the root */
	assert_non_null(realpath(tmpl, sysroot));
	mkdirs("bus/pci/slots");
	mkdirs("devices/pci0000:00");
	return 0;
}

static int rm_sys(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysroot);
	return system(cmd) == 0 ? 0 : -1;
}

#define HOT_NVME "/devices/pci0000:00/0000:00:04.0/0000:01:00.0/nvme/nvme2/nvme2n1"
#define FIXED_NVME "/devices/pci0000:00/0000:00:05.0/0000:02:00.0/nvme/nvme1/nvme1n1"
#define ROOTBUS_NVME "/devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1"

/* What QEMU 7.2's q35 guest showed (tests/e2e/scenarios/q35.py): a
 * pcie-root-port with hot-plug (acpiphp registered its slot 0 with
 * "0000:01:00", power, adapter, attention, latch), one with hotplug=off
 * (no slot at all), an nvme on the root complex (pcie.0). */
static void q35_tree(void)
{
	pcidev("pci0000:00/0000:00:04.0");
	pcidev("pci0000:00/0000:00:04.0/0000:01:00.0");
	mkdirs(HOT_NVME);
	pcidev("pci0000:00/0000:00:05.0");
	pcidev("pci0000:00/0000:00:05.0/0000:02:00.0");
	mkdirs(FIXED_NVME);
	pcidev("pci0000:00/0000:00:06.0");
	mkdirs(ROOTBUS_NVME);
	slot("0", "0000:01:00\n", true);
}

static void test_hotplug_q35(void **state)
{
	(void)state;
	q35_tree();
	/* hot-plug root port: removable; a partition's disk is what is
	 * asked, but the partition's own path answers the same */
	assert_true(pcislot_hotplug(sysroot, HOT_NVME));
	assert_true(pcislot_hotplug(sysroot, HOT_NVME "/nvme2n1p1"));
	/* a root port without hot-plug: the laptop's M.2 SSD */
	assert_false(pcislot_hotplug(sysroot, FIXED_NVME));
	/* on the root complex, no bridge */
	assert_false(pcislot_hotplug(sysroot, ROOTBUS_NVME));
	/* not PCI at all */
	mkdirs("devices/virtual/block/loop0");
	assert_false(pcislot_hotplug(sysroot, "/devices/virtual/block/loop0"));
	assert_false(pcislot_hotplug(sysroot, NULL));
}

/* The slot eject powers off, and the device in it whose disks all go. */
static void test_slot_find(void **state)
{
	char slotdir[PATH_MAX], dev[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	q35_tree();
	assert_int_equal(pcislot_find(sysroot, HOT_NVME, slotdir, dev), 0);
	snprintf(want, sizeof(want), "%s/bus/pci/slots/0", sysroot);
	assert_string_equal(slotdir, want);
	snprintf(want, sizeof(want), "%s/devices/pci0000:00/0000:00:04.0/0000:01:00.0", sysroot);
	assert_string_equal(dev, want);
	assert_int_equal(pcislot_find(sysroot, HOT_NVME "/nvme2n1p1", slotdir, dev), 0);
	assert_string_equal(dev, want);
	/* no slot: eject only flushes */
	assert_int_equal(pcislot_find(sysroot, FIXED_NVME, slotdir, dev), -ENOENT);
	assert_int_equal(pcislot_find(sysroot, ROOTBUS_NVME, slotdir, dev), -ENOENT);
	assert_int_equal(pcislot_find(sysroot, NULL, slotdir, dev), -ENOENT);
}

static void test_hotplug_slot_kinds(void **state)
{
	(void)state;
	q35_tree();
	/* a slot the firmware names (pci_slot: address, no power) for the
	 * fixed port: still fixed */
	slot("5", "0000:02:00\n", false);
	assert_false(pcislot_hotplug(sysroot, FIXED_NVME));
	/* i440fx's ACPI hot-plug slots are on the root bus: a slot for
	 * 0000:00:06 with power does not make the root-complex device
	 * removable (a virtual machine's virtio disk stays internal) */
	slot("6", "0000:00:06\n", true);
	assert_false(pcislot_hotplug(sysroot, ROOTBUS_NVME));
	/* a slot with no device number covers its whole bus; "0000:0" is
	 * not a prefix of bus 02 */
	slot("7", "0000:0\n", true);
	assert_false(pcislot_hotplug(sysroot, FIXED_NVME));
	slot("8", "0000:02\n", true);
	assert_true(pcislot_hotplug(sysroot, FIXED_NVME));
}

static void test_hotplug_slot_address(void **state)
{
	(void)state;
	/* another device number on the same bus is another slot */
	pcidev("pci0000:00/0000:00:05.0");
	pcidev("pci0000:00/0000:00:05.0/0000:02:00.0");
	mkdirs(FIXED_NVME);
	slot("1", "0000:02:01\n", true);
	slot("2", "0000:02:0\n", true);
	slot("3", "0000:12:00\n", true);
	assert_false(pcislot_hotplug(sysroot, FIXED_NVME));
	/* a function other than 0 of the slot's device */
	pcidev("pci0000:00/0000:00:05.0/0000:02:01.3");
	mkdirs("devices/pci0000:00/0000:00:05.0/0000:02:01.3/ata1/host0/target0:0:0/0:0:0:0/block/sda");
	assert_true(pcislot_hotplug(sysroot, "/devices/pci0000:00/0000:00:05.0/0000:02:01.3/"
					       "ata1/host0/target0:0:0/0:0:0:0/block/sda"));
}

#define DOCK_DEV "pci0000:00/0000:00:1c.0/0000:05:00.0/0000:06:01.0/0000:07:00.0"
#define DOCK_NVME "/devices/" DOCK_DEV "/nvme/nvme3/nvme3n1"

/* A Thunderbolt or USB4 dock: a switch behind the root port, the NVMe
 * behind one of its downstream ports. */
static void dock_tree(void)
{
	pcidev("pci0000:00/0000:00:1c.0");
	pcidev("pci0000:00/0000:00:1c.0/0000:05:00.0");
	pcidev("pci0000:00/0000:00:1c.0/0000:05:00.0/0000:06:01.0");
	pcidev(DOCK_DEV);
	mkdirs(DOCK_NVME);
}

static void test_hotplug_thunderbolt(void **state)
{
	(void)state;
	dock_tree();
	assert_false(pcislot_hotplug(sysroot, DOCK_NVME));
	/* the kernel's mark below an external-facing port */
	put("devices/" DOCK_DEV "/removable", "removable\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:05:00.0/removable", "removable\n");
	assert_true(pcislot_hotplug(sysroot, DOCK_NVME));
	put("devices/" DOCK_DEV "/removable", "fixed\n");
	put("devices/pci0000:00/0000:00:1c.0/0000:05:00.0/removable", "unknown\n");
	assert_false(pcislot_hotplug(sysroot, DOCK_NVME));
	/* no mark, but pciehp manages the root port's slot, which holds
	 * the dock's switch: everything behind it can be unplugged */
	slot("1-1", "0000:05:00\n", true);
	assert_true(pcislot_hotplug(sysroot, DOCK_NVME));
}

#define SUBSYS "/devices/virtual/nvme-subsystem/nvme-subsys0"

static void test_hotplug_multipath(void **state)
{
	(void)state;
	q35_tree();
	/* NVMe native multipath: the disk under the subsystem, links to
	 * its controllers (nvme0n1 itself is a directory there, not one) */
	mkdirs(SUBSYS "/nvme0n1");
	link_to("../../../pci0000:00/0000:00:04.0/0000:01:00.0/nvme/nvme2",
		SUBSYS "/nvme2");
	mkdirs("devices/pci0000:00/0000:00:04.0/0000:01:00.0/nvme/nvme2");
	assert_true(pcislot_hotplug(sysroot, SUBSYS "/nvme0n1"));
	/* a second path through a fixed port: not a drive one unplugs */
	mkdirs("devices/pci0000:00/0000:00:05.0/0000:02:00.0/nvme/nvme1");
	link_to("../../../pci0000:00/0000:00:05.0/0000:02:00.0/nvme/nvme1",
		SUBSYS "/nvme1");
	assert_false(pcislot_hotplug(sysroot, SUBSYS "/nvme0n1"));
	/* a subsystem with no controller link */
	mkdirs("devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1");
	assert_false(pcislot_hotplug(sysroot, "/devices/virtual/nvme-subsystem/"
					       "nvme-subsys1/nvme1n1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_escapes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test_setup_teardown(test_hotplug_q35, fake_sys, rm_sys),
		cmocka_unit_test_setup_teardown(test_slot_find, fake_sys, rm_sys),
		cmocka_unit_test_setup_teardown(test_hotplug_slot_kinds, fake_sys, rm_sys),
		cmocka_unit_test_setup_teardown(test_hotplug_slot_address, fake_sys, rm_sys),
		cmocka_unit_test_setup_teardown(test_hotplug_thunderbolt, fake_sys, rm_sys),
		cmocka_unit_test_setup_teardown(test_hotplug_multipath, fake_sys, rm_sys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
