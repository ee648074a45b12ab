/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inside of a pre-forked probe worker (daemon/probejob.c runs them):
 * a request on its socket, a libblkid probe, the answer back, until mediad
 * closes its end. Runs only in the worker process: must never touch the
 * daemon's state, which in the worker is a copy from the fork. */
#ifndef MEDIAD_PROBEWORKER_H
#define MEDIAD_PROBEWORKER_H

#include <stdbool.h>

/* One request (SOCK_SEQPACKET: one message); the answer is a struct
 * fsinfo (device.h). */
struct probe_req {
	char devname[128];
	bool flush;  /* drop what the block cache holds of an older medium */
	bool lock;   /* lock the drive's door once a disc reads */
};

/* The worker's life on socket fd; returns its exit status (0: mediad
 * closed its end). */
int probeworker_run(int fd);

#endif
