/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Offer/ignore policy. The order of the checks is the order of the reasons
 * a user would want to hear first: an explicit wish (udev rule, config)
 * beats what the device is, which beats what is on it. Pure: no I/O. */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

static void fill(const struct devinfo *d, struct record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->kname, sizeof(r->kname), "%s", d->kname);
	snprintf(r->devname, sizeof(r->devname), "%s", d->devname);
	r->devmajor = major(d->devnum);
	r->devminor = minor(d->devnum);
	r->diskseq = d->diskseq;
	snprintf(r->fstype, sizeof(r->fstype), "%s", d->fs.fstype);
	snprintf(r->fsversion, sizeof(r->fsversion), "%s", d->fs.fsversion);
	snprintf(r->usage, sizeof(r->usage), "%s", d->fs.usage);
	memcpy(r->label, d->fs.label, sizeof(r->label));
	snprintf(r->uuid, sizeof(r->uuid), "%s", d->fs.uuid);
	snprintf(r->bus, sizeof(r->bus), "%s", d->bus);
	snprintf(r->vendor, sizeof(r->vendor), "%s", d->vendor);
	snprintf(r->model, sizeof(r->model), "%s", d->model);
	snprintf(r->serial, sizeof(r->serial), "%s", d->serial);
	r->size = d->size;
	r->readonly = d->readonly;
	r->removable = d->removable;
}

static const char *config_ignores(const struct devinfo *d, const struct config *c)
{
	for (unsigned i = 0; i < c->n_ignore; i++) {
		const char *e = c->ignore[i];

		if (!strncmp(e, "UUID=", 5) ? d->fs.found && !strcmp(e + 5, d->fs.uuid)
		    : !strncmp(e, "LABEL=", 6) ? d->fs.found && !strcmp(e + 6, d->fs.label)
		    : !strcmp(e, d->kname) || !strcmp(e, d->devname))
			return e;
	}
	return NULL;
}

/* An EFI system partition, by its entry in an MBR (0xef) or a GPT.
 * Listed, not offered, as udisks2 hides it (80-udisks2.rules sets
 * UDISKS_IGNORE for both). On a hybrid ISO stick it is the El Torito EFI
 * boot image again, appended as a partition (xorriso -append_partition
 * 2 0xef): a second entry for the same stick that holds nothing but the
 * boot loader, and writing to it can leave the stick unbootable. On a
 * disk formatted by macOS, or a system disk in a USB enclosure, it is the
 * firmware's, never the user's files. Who needs it mounts it by hand. */
static bool is_esp(const char *parttype)
{
	return !strcasecmp(parttype, "0xef") ||
	       !strcasecmp(parttype, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
}

/* An MBR extended partition: the kernel's device for it covers the first
 * two sectors of the chain of logical partitions, which are its siblings. */
static bool is_extended(const char *parttype)
{
	return !strcmp(parttype, "0x5") || !strcmp(parttype, "0xf") ||
	       !strcmp(parttype, "0x85");
}

/* What a device holding no filesystem has instead, or why none was found. */
static void no_filesystem(const struct devinfo *d, struct record *r)
{
	if (d->partition && is_extended(d->fs.parttype))
		snprintf(r->reason, sizeof(r->reason),
			 "extended partition (holds the logical partitions, which are the media)");
	else if (d->partition && d->fs.pttype[0])
		/* the kernel reads no table inside a partition (but for BSD
		 * and the like, which it makes siblings of) */
		snprintf(r->reason, sizeof(r->reason),
			 "holds a nested partition table (%s), not a filesystem", d->fs.pttype);
	else if (d->fs.pttype[0])
		snprintf(r->reason, sizeof(r->reason),
			 "holds a partition table (%s); its partitions are the media",
			 d->fs.pttype);
	else
		snprintf(r->reason, sizeof(r->reason), "%s",
			 d->fs.error[0] ? d->fs.error : "no filesystem found");
}

enum verdict policy_classify(const struct devinfo *d, const struct config *c,
			     const struct opts_policy *op, const char *system_mount,
			     struct record *r)
{
	const char *hit;
	int err;

	/* no device_wanted() here: events.c filters every device before it
	 * is probed, and every conclusion starts from such an event */
	fill(d, r);
	if (d->udev_ignore) {
		snprintf(r->reason, sizeof(r->reason), "hidden by a udev rule (MEDIAD_IGNORE)");
		return VERDICT_IGNORED;
	}
	if ((hit = config_ignores(d, c))) {
		snprintf(r->reason, sizeof(r->reason), "ignored by configuration (%.200s)", hit);
		return VERDICT_IGNORED;
	}
	if (d->holder[0]) {
		snprintf(r->reason, sizeof(r->reason), "in use by %s", d->holder);
		return VERDICT_IGNORED;
	}
	if (system_mount) {
		snprintf(r->reason, sizeof(r->reason), "mounted by the system on %.200s",
			 system_mount);
		return VERDICT_IGNORED;
	}
	if (!d->partition && d->partitions) {
		/* One answer per disk: the kernel has read its table, so the
		 * partitions are the media, whatever blkid also finds on the
		 * whole: a hybrid ISO's iso9660 at sector 0 (its first
		 * partition starts there or carries a copy, and is offered
		 * under the ISO's label), a stale superblock under a new
		 * table. As udisks2 does (contains_filesystem_locked). Once
		 * the partitions are gone (partx -d) the disk is judged
		 * again and offered as what blkid finds on it. */
		if (d->fs.pttype[0])
			snprintf(r->reason, sizeof(r->reason),
				 "holds a partition table (%s); its partitions are the media",
				 d->fs.pttype);
		else /* made by hand (BLKPG), or a table blkid does not know */
			snprintf(r->reason, sizeof(r->reason),
				 "holds a partition table; its partitions are the media");
		return VERDICT_IGNORED;
	}
	if (!d->fs.found) {
		no_filesystem(d, r);
		return VERDICT_IGNORED;
	}
	if (d->partition && is_esp(d->fs.parttype)) {
		snprintf(r->reason, sizeof(r->reason),
			 "EFI system partition (%s): boot loader files, not offered", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.usage, "raid")) {
		snprintf(r->reason, sizeof(r->reason), "RAID or LVM member (%s)", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.usage, "crypto")) {
		snprintf(r->reason, sizeof(r->reason), "encrypted container (%s): medialist unlock %s",
			 d->fs.fstype, d->kname);
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.fstype, "swap")) {
		snprintf(r->reason, sizeof(r->reason), "swap space");
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.fstype, "swsuspend")) {
		/* libblkid's name for a swap area holding a suspended
		 * system's memory (S1SUSPEND, ULSUSPEND, ...): resuming
		 * that system needs it untouched */
		snprintf(r->reason, sizeof(r->reason),
			 "hibernation image (a suspended system's swap)");
		return VERDICT_IGNORED;
	}
	if (d->fs.usage[0] && strcmp(d->fs.usage, "filesystem")) {
		/* blkid's "other": a journal or log device of another
		 * filesystem (jbd, xfs_external_log), a cache (bcache), a
		 * Ceph or VDO volume */
		snprintf(r->reason, sizeof(r->reason), "not a filesystem (%s)", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	/* internal (read-only unless internal_rw): what device.c did not
	 * find removable; a PCI disk in a hot-plug slot or behind a
	 * Thunderbolt/USB4 port is removable (pcislot.c) */
	err = opts_for(op, d->fs.fstype, d->readonly, !d->removable, r->mounttype,
		       r->options);
	if (err < 0) {
		r->mounttype[0] = r->options[0] = '\0';
		snprintf(r->reason, sizeof(r->reason),
			 "filesystem type '%s' is not mounted by mediad", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	return VERDICT_OFFERED;
}
