/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Coldplug (see coldplug.h). The monitor is open before this runs, so no
 * device can slip between the enumeration and the first event; events
 * queue in its socket meanwhile. */
#include "coldplug.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <libudev.h>

#include "events.h"
#include "log.h"
#include "memtrim.h"
#include "mediad.h"
#include "mountreport.h"

/* A previous instance's record still describes a device that is there:
 * the same device number holding the same disk (its sequence number,
 * where the kernel has one, tells a stick pulled and plugged in again
 * from the one the record was written for). */
static bool hint_present(const struct record *h, void *arg)
{
	struct udev_device *d =
		udev_device_new_from_devnum(arg, 'b', makedev(h->devmajor, h->devminor));
	struct udev_device *disk;
	const char *type, *seq;
	bool same;

	if (!d)
		return false;
	type = udev_device_get_devtype(d);
	disk = type && !strcmp(type, "partition")
		       ? udev_device_get_parent_with_subsystem_devtype(d, "block", "disk")
		       : d;
	seq = disk ? udev_device_get_sysattr_value(disk, "diskseq") : NULL;
	same = !seq || !h->diskseq || strtoull(seq, NULL, 10) == h->diskseq;
	udev_device_unref(d);
	return same;
}

int coldplug_run(struct mediad *md)
{
	int r;

	publish_load_hints(&md->pub, &md->media);
	media_prune_hints(&md->media, hint_present, md->udev);
	md->coldplug = true;
	r = events_rescan(md);
	/* probes run in children: coldplug is done when they all answered
	 * (or timed out); only their watchers run meanwhile */
	while (probejob_pending(&md->probes) > 0)
		ev_run(md->loop, EVRUN_ONCE);
	/* Media still present have claimed their old names; the hints left
	 * are of media gone (the pruning above misses those pulled during
	 * coldplug itself) and reserve nothing: the others are named now.
	 * Then the records of the gone are swept (a new medium that took a
	 * gone one's name has already replaced its record and link). */
	md->coldplug = false;
	media_drop_hints(&md->media);
	events_name_waiting(md);
	publish_sweep(&md->pub, &md->media);
	if (r < 0)
		return r;
	log_info("coldplug: %zu devices known", md->media.n);
	for (size_t i = 0; i < md->media.n; i++) /* mounted before a restart */
		mountreport_apply(md, md->media.v[i]);
	/* coldplug's backlog (probe jobs, the hooks' add events waiting for
	 * hooks_start) is freed by now or soon: what it left in the arena
	 * goes back at once, and after the hooks' events by the next quiet */
	memtrim_now();
	memtrim_note();
	return 0;
}
