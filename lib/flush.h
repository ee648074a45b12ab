/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flushing a mounted filesystem before it is unmounted or its disk
 * powered off, timed, with the bytes the device took meanwhile. Shared by
 * the daemon (in its action child, never in the event loop) and medialist
 * (as root, without a daemon). Blocking by nature. */
#ifndef MEDIAD_FLUSH_H
#define MEDIAD_FLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flush_result {
	bool done;        /* something mounted was flushed */
	double seconds;   /* wall time of the syncfs() calls */
	int64_t bytes;    /* written to the device meanwhile; -1 unknown */
};

/* Bytes written to block device MAJ:MIN since it appeared (sysfs stat,
 * 512-byte sectors), or -1 when sysfs does not say. */
int64_t flush_written(unsigned maj, unsigned min);

/* A descriptor (O_RDONLY) of the root of what is mounted on mountpoint,
 * for syncfs(); -ENOENT when nothing is (only automount's directory is
 * there: it is never triggered), or another -errno. */
int flush_open_mounted(const char *mountpoint);

/* syncfs() on the filesystem mounted on mountpoint; the bytes are those
 * written to device MAJ:MIN (the disk or partition that holds it) during
 * the call. Adds to *fr (zero it first). Not mounted: nothing, 0. Returns
 * 0 or -errno. */
int flush_mount(const char *mountpoint, unsigned maj, unsigned min,
		struct flush_result *fr);

/* The same for the filesystem whose root path_fd (O_PATH, proven by the
 * caller to be the mount it means) is. 0 or -errno. */
int flush_at(int path_fd, unsigned maj, unsigned min, struct flush_result *fr);

/* "4.0M in 0.123 s" (or "in 0.123 s" when the amount is unknown). */
void flush_describe(const struct flush_result *fr, char *out, size_t size);

/* The control reply's machine-readable line: "flush SECONDS BYTES" (BYTES
 * "-" when unknown), and its parser (0, or -EINVAL). See lib/ctlproto.h. */
int flush_format_line(const struct flush_result *fr, char *out, size_t size);
int flush_parse_line(const char *line, struct flush_result *fr);

#endif
