/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decides, for one probed block device, whether mediad offers it for
 * mounting or lists it as ignored with a reason; and fills the record it
 * will publish. Pure: no I/O. */
#ifndef MEDIAD_POLICY_H
#define MEDIAD_POLICY_H

#include "config.h"
#include "device.h"
#include "options.h"
#include "record.h"

enum verdict {
	VERDICT_IGNORED, /* listed with a reason, never mounted */
	VERDICT_OFFERED, /* published in <media_dir>/list */
};

/* d has passed device_wanted() (device.h). system_mount: where the system
 * (not our automount) has the device mounted, or NULL. out->name is left
 * empty: naming is media.c's job. */
enum verdict policy_classify(const struct devinfo *d, const struct config *c,
			     const struct opts_policy *op, const char *system_mount,
			     struct record *out);

#endif
