/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's medium generation number of a block device (diskseq,
 * Linux 5.15+), read from sysfs. auto.media and mount.mediad use it to
 * name the per-generation device link mediad keeps (record_devlink). */
#ifndef MEDIAD_DISKSEQ_H
#define MEDIAD_DISKSEQ_H

#include <stdint.h>

/* The diskseq of device maj:min (its disk's, for a partition), or 0 when
 * the kernel gives none. */
uint64_t diskseq_read(unsigned maj, unsigned min);

#endif
