/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state-directory contract: one medium (or one ignored device) as a
 * text record of "key=value" lines. Values are escaped so that no byte of a
 * label can break a line; readers parse with record_parse() and never see a
 * half-written record because writers rename() a complete temp file. */
#ifndef MEDIAD_RECORD_H
#define MEDIAD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"

/* A record file is never larger: every string field escaped at its worst
 * (4 bytes a byte, "\xHH") fits, so that no label or mount point can make
 * a record too large to rewrite (record_format checks it too). */
#define RECORD_MAX_BYTES 24576
/* the longest value a field can escape to: the mount point's */
#define RECORD_VALUE_MAX (4 * 1024 + 1)
#define LABEL_BUF 512         /* longest label (NTFS: 128 UTF-16 units) */

struct record {
	char name[NAME_BUF];  /* published name (empty for ignored devices) */
	char kname[64];       /* kernel name, e.g. "sdb1" */
	char devname[128];    /* device node, e.g. "/dev/sdb1" */
	unsigned devmajor, devminor;
	uint64_t diskseq;     /* 0: the kernel does not give one */
	char fstype[32];      /* as blkid names it */
	char mounttype[32];   /* as mount(8) gets it, e.g. ntfs3 for ntfs */
	char fsversion[32];
	char usage[32];       /* blkid usage: filesystem, raid, crypto, other */
	char label[LABEL_BUF]; /* raw label bytes, NUL-terminated */
	char uuid[128];
	char bus[16];         /* usb, ata, scsi, mmc, virtio, loop, ... */
	char vendor[64];
	char model[128];
	char serial[128];
	uint64_t size;        /* bytes */
	bool readonly;
	bool removable;       /* false: an internal disk */
	char mountpoint[1024]; /* empty when not mounted */
	char options[512];    /* mount options auto.media will use */
	char reason[256];     /* why it is not offered (ignored records) */
	/* what mount.mediad last did with the medium (its report in
	 * <state_dir>/mounts/): the type and options that mounted it, why
	 * not as first chosen, or why it could not be mounted at all */
	char mounted_type[32];
	char mounted_options[512];
	char mount_note[512];
	char mount_error[512];
	/* safe to pull now: not mounted, mounted read-only, or mounted with
	 * nothing left to write (daemon/dirty.c) */
	bool safe;
	char dirty_source[16]; /* what told: "bdi", "meminfo"; "" unmeasured */
	/* encrypted media (daemon/crypt.c): a container's record names the
	 * medium its cleartext is published as; the cleartext's record
	 * names its container's kernel name */
	char unlocked_as[NAME_BUF];
	char container[64];
};

/* The name, inside <state_dir>/dev/, of the link to r's device node that
 * auto.media hands automount: one per medium generation (device number
 * and diskseq), so that an answer automount cached for a medium that has
 * since left can never mount whatever took its device node. */
int record_devlink(const struct record *r, char *out, size_t size);

/* Copies what mount.mediad reported (mounted_type, mounted_options,
 * mount_note, mount_error) from src to dst: the one list of those fields. */
void record_copy_mount_report(struct record *dst, const struct record *src);

/* Serialises r into buf (size bytes). Returns the length, or -ENOSPC. */
int record_format(const struct record *r, char *buf, size_t size);

/* Parses len bytes into r (zeroed first). Unknown keys are skipped so that
 * older readers accept newer records. Returns 0, or -EINVAL with the
 * 1-based line number of the first bad line in *bad_line (if not NULL). */
int record_parse(const char *buf, size_t len, struct record *r, int *bad_line);

/* Escapes len bytes of in into out (size bytes, NUL-terminated): '\\',
 * control bytes and bytes that are not valid UTF-8 become "\\xHH"
 * ("\\\\" and "\\n" for the common two). Returns the length or -ENOSPC. */
int record_escape(const char *in, size_t len, char *out, size_t size);

/* The value of one hex digit (either case), or -1. Shared with the
 * decoding of udev's \xHH escapes. */
int record_hexdigit(char c);

/* Inverse of record_escape. Returns the length (the result may hold NUL
 * bytes only if the escaped text said so) or -EINVAL / -ENOSPC. */
int record_unescape(const char *in, size_t len, char *out, size_t size);

#endif
