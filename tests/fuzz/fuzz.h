/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the libFuzzer targets: an invariant that fails aborts with a
 * message, so libFuzzer saves the input as a crash. Never compiled into
 * the programs. */
#ifndef MEDIAD_FUZZ_H
#define MEDIAD_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif
