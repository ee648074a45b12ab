/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounttime: the mount(2) system call alone, for tests/bench: the floor
 * under every way of mounting (mount(8), automount, mount.mediad).
 *
 *   mounttime N DEV DIR TYPE DATA   mounts DEV on DIR (nosuid,nodev, DATA
 *                                   as the filesystem's options) and
 *                                   unmounts it, N times; one line each:
 *                                   the mount's microseconds
 *
 * Never mounts anything but DEV on DIR, and leaves nothing mounted. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int n;

	if (argc != 6) {
		fprintf(stderr, "usage: mounttime N DEV DIR TYPE DATA\n");
		return 2;
	}
	n = atoi(argv[1]);
	for (int i = 0; i < n; i++) {
		double t0 = now_us(), t1;

		if (mount(argv[2], argv[3], argv[4], MS_NOSUID | MS_NODEV, argv[5]) < 0) {
			perror("mounttime: mount");
			return 1;
		}
		t1 = now_us();
		if (umount2(argv[3], 0) < 0) {
			perror("mounttime: umount");
			return 1;
		}
		printf("%.0f\n", t1 - t0);
	}
	return 0;
}
