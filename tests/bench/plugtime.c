/* plugtime: measures plug-to-visible on loop devices. Attaches IMAGE to a
 * free loop device with LOOP_CONFIGURE and times until NAME appears in DIR
 * (inotify, not polling); detaches and waits for NAME to go; N cycles.
 * Prints one line per cycle (microseconds) for the caller's statistics.
 * Used by tests/bench and the closing-note measurements. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Waits until name is (want_present) or is not in dir; 10 s at most. */
static int wait_name(int in, const char *dir, const char *name, int want_present)
{
	char path[4096], buf[4096] __attribute__((aligned(8)));
	double end = now_us() + 10e6;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		struct stat st;
		int present = lstat(path, &st) == 0 || errno != ENOENT;

		if (present == want_present)
			return 0;
		if (now_us() > end)
			return -ETIMEDOUT;
		if (poll(&p, 1, 100) > 0 && read(in, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			return -errno;
	}
}

int main(int argc, char **argv)
{
	struct loop_config cfg;
	int ctl, in, n;

	if (argc != 5) {
		fprintf(stderr, "usage: plugtime IMAGE DIR NAME CYCLES\n");
		return 2;
	}
	n = atoi(argv[4]);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, argv[2], IN_CREATE | IN_MOVED_TO | IN_DELETE) < 0) {
		perror("plugtime: inotify");
		return 1;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("plugtime: /dev/loop-control");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char dev[64];
		int num = ioctl(ctl, LOOP_CTL_GET_FREE);
		int img = open(argv[1], O_RDWR | O_CLOEXEC), lfd;
		double t0, t1;

		snprintf(dev, sizeof(dev), "/dev/loop%d", num);
		lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (num < 0 || img < 0 || lfd < 0) {
			perror("plugtime: loop");
			return 1;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)img;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
			perror("plugtime: LOOP_CONFIGURE");
			return 1;
		}
		t0 = now_us(); /* from the return of the attach, as losetup sees it */
		if (wait_name(in, argv[2], argv[3], 1) < 0) {
			fprintf(stderr, "plugtime: %s did not appear\n", argv[3]);
			ioctl(lfd, LOOP_CLR_FD, 0);
			return 1;
		}
		t1 = now_us();
		printf("%.0f\n", t1 - t0);
		fflush(stdout);
		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
		close(img);
		if (wait_name(in, argv[2], argv[3], 0) < 0) {
			fprintf(stderr, "plugtime: %s did not go away\n", argv[3]);
			return 1;
		}
	}
	return 0;
}
