/* Decides, for one probed block device, whether mediad offers it for
 * mounting, lists it as ignored with a reason, or does not look at it at
 * all; and fills the record it will publish. Pure: no I/O. */
#ifndef MEDIAD_POLICY_H
#define MEDIAD_POLICY_H

#include "config.h"
#include "device.h"
#include "options.h"
#include "record.h"

enum verdict {
	VERDICT_SKIP,    /* not a medium: no record at all */
	VERDICT_IGNORED, /* listed with a reason, never mounted */
	VERDICT_OFFERED, /* published in <media_dir>/list */
};

/* True when the configuration asks mediad to look at this device at all
 * (loop devices only with include_loop, and then only those backed by a
 * file under loop_dir when it is set). */
bool device_wanted(const struct devinfo *d, const struct config *c);

/* system_mount: where the system (not our automount) has the device
 * mounted, or NULL. out->name is left empty: naming is media.c's job. */
enum verdict policy_classify(const struct devinfo *d, const struct config *c,
			     const struct opts_policy *op, const char *system_mount,
			     struct record *out);

#endif
