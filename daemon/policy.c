/* Offer/ignore policy. The order of the checks is the order of the reasons
 * a user would want to hear first: an explicit wish (udev rule, config)
 * beats what the device is, which beats what is on it. */
#include "policy.h"

#include <stdio.h>
#include <string.h>
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

bool device_wanted(const struct devinfo *d, const struct config *c)
{
	size_t len = strlen(c->loop_dir);

	if (!d->loop)
		return true;
	if (!c->include_loop)
		return false;
	return !len || (!strncmp(d->backing_file, c->loop_dir, len) &&
			d->backing_file[len] == '/');
}

enum verdict policy_classify(const struct devinfo *d, const struct config *c,
			     const struct opts_policy *op, const char *system_mount,
			     struct record *r)
{
	const char *hit;
	int err;

	if (!device_wanted(d, c) || d->size == 0)
		return VERDICT_SKIP;
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
	if (!d->fs.found) {
		if (d->fs.pttype[0])
			snprintf(r->reason, sizeof(r->reason),
				 "holds a partition table (%s); its partitions are the media",
				 d->fs.pttype);
		else
			snprintf(r->reason, sizeof(r->reason), "%s",
				 d->fs.error[0] ? d->fs.error : "no filesystem found");
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.usage, "raid")) {
		snprintf(r->reason, sizeof(r->reason), "RAID or LVM member (%s)", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.usage, "crypto")) {
		snprintf(r->reason, sizeof(r->reason), "encrypted container (%s)", d->fs.fstype);
		return VERDICT_IGNORED;
	}
	if (!strcmp(d->fs.fstype, "swap")) {
		snprintf(r->reason, sizeof(r->reason), "swap space");
		return VERDICT_IGNORED;
	}
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
