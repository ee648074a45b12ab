/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether a PCI-attached disk sits where its user can unplug it: a slot
 * that a hot-plug driver manages, or a port the firmware calls external
 * (see pcislot.h). Reads sysfs only, never a udev property, so both event
 * sources agree; never opens a device. */
#include "pcislot.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfile.h"

/* A sysfs directory that is a PCI device: its subsystem link ends in
 * bus/pci ("../../../bus/pci"). */
static bool is_pci_dev(const char *dir)
{
	char link[PATH_MAX + 16], target[PATH_MAX];
	ssize_t n;

	if (snprintf(link, sizeof(link), "%s/subsystem", dir) >= (int)sizeof(link))
		return false;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 8)
		return false;
	target[n] = '\0';
	return !strcmp(target + n - 8, "/bus/pci");
}

/* Whether a slot address from <sys>/bus/pci/slots/S/address names the
 * PCI device dev ("0000:01:00.0"): "0000:01:00" is one slot (every
 * function of the device in it), "0000:01" a slot the firmware gave no
 * device number (the whole bus behind it). */
static bool slot_holds(const char *addr, const char *dev)
{
	size_t len = strlen(addr);
	const char *dot = strrchr(dev, '.');
	const char *colon = strchr(addr, ':');

	if (!len || !dot || !colon)
		return false;
	if (!strchr(colon + 1, ':'))
		return !strncmp(dev, addr, len) && dev[len] == ':';
	return (size_t)(dot - dev) == len && !strncmp(dev, addr, len);
}

#define PCI_DEPTH 16

/* PCI devices on the way from <sys><devpath> to the root that sit behind
 * a bridge (a PCIe root port, a switch's downstream port, a Thunderbolt
 * or USB4 tunnel's port): their names into devs. Returns how many, or -1
 * when one of them carries the kernel's own mark (its "removable"
 * attribute reads "removable": below a port the firmware calls external,
 * which is how the kernel marks Thunderbolt and USB4). */
static int pci_path(const char *sys, const char *devpath, char devs[PCI_DEPTH][64])
{
	char dir[PATH_MAX], attr[PATH_MAX + 16], val[32];
	size_t root = strlen(sys);
	int n = 0;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s%s", sys, devpath) >= (int)sizeof(dir))
		return 0;
	while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) > root) {
		*slash = '\0';
		if (!is_pci_dev(dir))
			continue;
		snprintf(attr, sizeof(attr), "%s/removable", dir);
		if (sysfile_read(attr, val, sizeof(val)) > 0 && !strncmp(val, "removable", 9))
			return -1;
		slash = strrchr(dir, '/');
		if (n < PCI_DEPTH && slash && strlen(slash + 1) < 64) {
			/* behind a bridge: its parent is a PCI device too (a
			 * slot on the root bus is a virtual machine's or an
			 * old server's, never a drive bay or a dock) */
			char name[64];

			snprintf(name, sizeof(name), "%s", slash + 1);
			*slash = '\0';
			if (is_pci_dev(dir))
				snprintf(devs[n++], 64, "%s", name);
			*slash = '/';
		}
	}
	return n;
}

/* Whether one of devs sits in a slot a hot-plug driver manages (pciehp,
 * acpiphp, shpchp): such a slot has a "power" file next to its
 * "address", while a slot the firmware merely names (pci_slot) has none. */
static bool in_hotplug_slot(const char *sys, char devs[PCI_DEPTH][64], int n,
			    char slot[NAME_MAX + 1], int *which)
{
	char dir[PATH_MAX];
	bool hit = false;
	DIR *dp;
	struct dirent *e;

	if (n <= 0 || snprintf(dir, sizeof(dir), "%s/bus/pci/slots", sys) >= (int)sizeof(dir))
		return false;
	dp = opendir(dir);
	if (!dp)
		return false;
	while (!hit && (e = readdir(dp))) {
		char file[PATH_MAX + 300], addr[32];
		size_t len;

		if (e->d_name[0] == '.' ||
		    snprintf(file, sizeof(file), "%s/%s/power", dir, e->d_name) >= (int)sizeof(file) ||
		    access(file, F_OK))
			continue;
		snprintf(file, sizeof(file), "%s/%s/address", dir, e->d_name);
		if (sysfile_read(file, addr, sizeof(addr)) <= 0)
			continue;
		len = strcspn(addr, "\n");
		addr[len] = '\0';
		for (int i = 0; i < n && !hit; i++) {
			hit = slot_holds(addr, devs[i]);
			if (hit) {
				snprintf(slot, NAME_MAX + 1, "%s", e->d_name);
				*which = i;
			}
		}
	}
	closedir(dp);
	return hit;
}

static bool pci_hotplug(const char *sys, const char *devpath, int depth);

/* For a namespace of the NVMe native multipath (its disk is
 * /devices/virtual/nvme-subsystem/nvme-subsysN/nvmeXnY): its controllers
 * are the links nvmeN in that directory. True when there is one and
 * every one is hot-pluggable (a drive also reached through a fixed path
 * stays fixed). */
static bool nvme_paths_hotplug(const char *sys, const char *devpath, int depth)
{
	char dir[PATH_MAX], real[PATH_MAX];
	size_t root = strlen(sys);
	unsigned n = 0;
	bool all = true;
	char *slash;
	DIR *dp;
	struct dirent *e;

	if (depth > 0 || !strstr(devpath, "/nvme-subsystem/") ||
	    snprintf(dir, sizeof(dir), "%s%s", sys, devpath) >= (int)sizeof(dir) ||
	    !(slash = strrchr(dir, '/')))
		return false;
	*slash = '\0';
	dp = opendir(dir);
	if (!dp)
		return false;
	while (all && (e = readdir(dp))) {
		char link[PATH_MAX + 300];

		if (strncmp(e->d_name, "nvme", 4) || !e->d_name[4] ||
		    strspn(e->d_name + 4, "0123456789") != strlen(e->d_name + 4))
			continue; /* not a controller: nvme-subsys0's own files, nvme0n1 */
		if (snprintf(link, sizeof(link), "%s/%s", dir, e->d_name) >= (int)sizeof(link) ||
		    !realpath(link, real) || strncmp(real, sys, root) || real[root] != '/')
			continue;
		n++;
		all = pci_hotplug(sys, real + root, depth + 1);
	}
	closedir(dp);
	return n && all;
}

static bool pci_hotplug(const char *sys, const char *devpath, int depth)
{
	char devs[PCI_DEPTH][64], slot[NAME_MAX + 1];
	int n = pci_path(sys, devpath, devs), which;

	if (n < 0)
		return true;
	if (n > 0)
		return in_hotplug_slot(sys, devs, n, slot, &which);
	return nvme_paths_hotplug(sys, devpath, depth);
}

bool pcislot_hotplug(const char *sys, const char *devpath)
{
	return devpath && pci_hotplug(sys, devpath, 0);
}

int pcislot_find(const char *sys, const char *devpath, char slot[PATH_MAX], char pcidev[PATH_MAX])
{
	char devs[PCI_DEPTH][64], name[NAME_MAX + 1], full[PATH_MAX], key[80];
	int n = devpath ? pci_path(sys, devpath, devs) : 0, which = -1;
	char *at;

	if (n <= 0 || !in_hotplug_slot(sys, devs, n, name, &which) ||
	    snprintf(slot, PATH_MAX, "%s/bus/pci/slots/%s", sys, name) >= PATH_MAX ||
	    snprintf(full, sizeof(full), "%s%s/", sys, devpath) >= (int)sizeof(full))
		return -ENOENT;
	/* the device in the slot: the path up to its own name */
	snprintf(key, sizeof(key), "/%s/", devs[which]);
	if (!(at = strstr(full, key)))
		return -ENOENT;
	at[strlen(key) - 1] = '\0';
	snprintf(pcidev, PATH_MAX, "%s", full);
	return 0;
}
