/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount fallback order. The order, and why:
 *  1. what the policy chose (read-write unless the medium must be
 *     read-only), after e2fsck -p for ext* as automount would have run;
 *  2. NTFS only: the other driver (ntfs3 in the kernel, then ntfs-3g in
 *     FUSE): a kernel without ntfs3 says "unknown filesystem type";
 *  3. the same read-only: a write-protected card whose switch the kernel
 *     only notices at mount, a dirty NTFS, an ext4 with features this
 *     kernel can only read;
 *  4. read-only without replaying the journal (ext3/4 noload, xfs
 *     norecovery, btrfs nologreplay): a journal that needs recovery on a
 *     read-only device cannot be replayed, and this is the only way to
 *     read it at all. The note says recent changes may be missing.
 * Every attempt of a driver with an error policy names one (errors=
 * remount-ro unless the options chose continue): never the superblock's,
 * which the stick writes (options.c, opts_errors_word); and every ext3/4
 * attempt names barrier unless the options chose (opts_barrier_word). Options that ask
 * for errors=panic, suid or dev are refused, not mended. */
#include "fallback.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* opts without the words rw, ro and windows_names (the per-driver and
 * per-attempt words, added back by add()) */
static int strip(const char *opts, char out[OPTS_BUF])
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *s = opts; *s;) {
		size_t len = strcspn(s, ",");

		if (len && !(len == 2 && (!memcmp(s, "rw", 2) || !memcmp(s, "ro", 2))) &&
		    !(len == 13 && !memcmp(s, "windows_names", 13)) &&
		    opts_append_word(out, OPTS_BUF, &o, s, len) < 0)
			return -ENOSPC;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int add(struct mount_attempt *a, const char *type, const char *base, bool ro,
	       const char *extra)
{
	const char *errors = opts_has_errors(base) ? NULL : opts_errors_word(type);
	const char *barrier = opts_has_barrier(base) ? NULL : opts_barrier_word(type);
	size_t used = 0;
	int r = 0;

	snprintf(a->type, sizeof(a->type), "%s", type);
	a->readonly = ro;
	a->fsck = false;
	a->noreplay = extra != NULL;
	a->options[0] = '\0';
	if (ro)
		r |= opts_append_word(a->options, sizeof(a->options), &used, "ro", 2);
	if (*base)
		r |= opts_append_word(a->options, sizeof(a->options), &used, base, strlen(base));
	if (!strcmp(type, "ntfs-3g"))
		r |= opts_append_word(a->options, sizeof(a->options), &used, "windows_names", 13);
	if (errors)
		r |= opts_append_word(a->options, sizeof(a->options), &used, errors, strlen(errors));
	if (barrier)
		r |= opts_append_word(a->options, sizeof(a->options), &used, barrier, strlen(barrier));
	if (extra)
		r |= opts_append_word(a->options, sizeof(a->options), &used, extra, strlen(extra));
	return r ? -ENOSPC : 0;
}

/* the option that mounts type read-only without replaying its journal */
static const char *noreplay_option(const char *type)
{
	if (!strcmp(type, "ext3") || !strcmp(type, "ext4"))
		return "noload";
	if (!strcmp(type, "xfs"))
		return "norecovery";
	if (!strcmp(type, "btrfs"))
		return "rescue=nologreplay";
	return NULL;
}

int fallback_plan(const char *mounttype, const char *options,
		  struct mount_attempt out[FALLBACK_MAX])
{
	static const char *const ntfs_drivers[] = { "ntfs3", "ntfs-3g" };
	const char *const *drivers = &mounttype;
	size_t ndrivers = 1, n = 0;
	char base[OPTS_BUF], why[80];
	const char *noreplay;
	bool ro_only = opts_has(options, "ro");
	int r = 0;

	if (!strcmp(mounttype, "ntfs3") || !strcmp(mounttype, "ntfs-3g")) {
		drivers = ntfs_drivers;
		ndrivers = 2;
	} else if (opts_type_index(mounttype) < 0 || !strcmp(mounttype, "ntfs")) {
		return -EPROTONOSUPPORT;
	}
	if (opts_refuse_unsafe(options, why, sizeof(why)) < 0)
		return -EPERM;
	if (strip(options, base) < 0)
		return -ENOSPC;
	if (!ro_only) {
		for (size_t i = 0; i < ndrivers; i++) {
			r |= add(&out[n], drivers[i], base, false, NULL);
			out[n++].fsck = !strncmp(drivers[i], "ext", 3);
		}
	}
	for (size_t i = 0; i < ndrivers; i++)
		r |= add(&out[n++], drivers[i], base, true, NULL);
	noreplay = noreplay_option(mounttype);
	if (noreplay)
		r |= add(&out[n++], mounttype, base, true, noreplay);
	return r ? -ENOSPC : (int)n;
}
