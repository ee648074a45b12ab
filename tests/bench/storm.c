/* SPDX-License-Identifier: GPL-2.0-or-later */
/* storm: CYCLES attach/detach cycles on loop devices as fast as the machine
 * goes, then checks that mediad's state converges to reality.
 *
 *   storm CYCLES LISTDIR RECDIR IMG=LABEL...   (an even number of images)
 *
 * Slots = images / 2; cycle i detaches slot i%S and attaches to it the
 * other of its two images, so names come and go all the time. At the end
 * S devices stay attached: it waits (inotify, 60 s at most) until the
 * LISTDIR links and RECDIR records whose names start with the first
 * label's first 5 bytes are exactly those S media, each record naming its
 * device (a name may carry a _N suffix: it got it while an earlier medium
 * with the same label was still published, and keeps it); then detaches all and waits until none is left. Prints one line
 * of key=value (times in microseconds). Exit 1 when the state did not
 * converge: a lost or a phantom entry. Autoclear: a killed storm leaves no
 * device bound. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAXIMG 64

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *img[MAXIMG], *label[MAXIMG], prefix[8];
static int slot_fd[MAXIMG], slot_img[MAXIMG], nimg, nslot, ctl;
static char slot_dev[MAXIMG][32];

static int attach(int s, int im)
{
	struct loop_config cfg;

	for (;;) {
		int num = ioctl(ctl, LOOP_CTL_GET_FREE), fd, ifd;

		if (num < 0)
			return -errno;
		snprintf(slot_dev[s], sizeof(slot_dev[s]), "/dev/loop%d", num);
		fd = open(slot_dev[s], O_RDWR | O_CLOEXEC);
		ifd = open(img[im], O_RDWR | O_CLOEXEC);
		if (fd < 0 || ifd < 0)
			return -errno;
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)ifd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) {
			close(ifd);
			slot_fd[s] = fd;
			slot_img[s] = im;
			return 0;
		}
		close(fd);
		close(ifd);
		if (errno != EBUSY)
			return -errno;
	}
}

static void detach(int s)
{
	if (slot_fd[s] < 0)
		return;
	ioctl(slot_fd[s], LOOP_CLR_FD, 0);
	close(slot_fd[s]);
	slot_fd[s] = -1;
}

/* Whether a name belongs to a label: the label itself or, when another
 * medium held that name at the time, the label with a _N suffix (a name
 * never changes while its medium stays plugged in). */
static int name_of(const char *name, const char *lab)
{
	size_t n = strlen(lab);

	return !strncmp(name, lab, n) && (!name[n] || name[n] == '_');
}

/* Number of our media published, each record naming an attached device
 * whose label the name carries, each device once, every record with its
 * link; -1 on a phantom (a record or a link for no attached medium) */
static int ours(const char *list, const char *rec)
{
	int seen[MAXIMG] = { 0 }, n = 0, links = 0;
	DIR *d = opendir(rec);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[4096], buf[8192], *dv;
		int fd, s, found = -1;
		ssize_t r;

		if (strncmp(e->d_name, prefix, strlen(prefix)) || strchr(e->d_name, '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", rec, e->d_name);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[r > 0 ? r : 0] = '\0';
		dv = strstr(buf, "\ndevname=");
		for (s = 0; dv && s < nslot; s++) {
			size_t l = strlen(slot_dev[s]);

			if (slot_fd[s] >= 0 && !strncmp(dv + 9, slot_dev[s], l) && dv[9 + l] == '\n' &&
			    name_of(e->d_name, label[slot_img[s]]))
				found = s;
		}
		if (found < 0 || seen[found]++) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	d = opendir(list);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[4096];

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(p, sizeof(p), "%s/%s", rec, e->d_name);
		if (access(p, F_OK) < 0) {
			closedir(d);
			return -1;
		}
		links++;
	}
	closedir(d);
	return links == n ? n : -1;
}

static int converge(int in, const char *list, const char *rec, int want)
{
	char buf[8192] __attribute__((aligned(8)));
	double end = now_us() + 60e6;

	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };

		if (ours(list, rec) == want)
			return 0;
		if (now_us() > end)
			return -ETIMEDOUT;
		if (poll(&p, 1, 200) > 0)
			while (read(in, buf, sizeof(buf)) > 0)
				;
	}
}

int main(int argc, char **argv)
{
	int cycles, in, r;
	double t0, t1, t2, t3, t4;

	if (argc < 6 || (argc - 4) % 2 || argc - 4 > MAXIMG) {
		fprintf(stderr, "usage: storm CYCLES LISTDIR RECDIR IMG=LABEL...\n");
		return 2;
	}
	cycles = atoi(argv[1]);
	nimg = argc - 4;
	nslot = nimg / 2;
	for (int i = 0; i < nimg; i++) {
		img[i] = argv[i + 4];
		label[i] = strchr(img[i], '=');
		if (!label[i])
			return 2;
		*label[i]++ = '\0';
	}
	snprintf(prefix, sizeof(prefix), "%.5s", label[0]);
	for (int s = 0; s < nslot; s++)
		slot_fd[s] = -1;
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (in < 0 || ctl < 0 ||
	    inotify_add_watch(in, argv[2], IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) < 0 ||
	    inotify_add_watch(in, argv[3], IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) < 0) {
		perror("storm: setup");
		return 1;
	}
	t0 = now_us();
	for (int i = 0; i < cycles; i++) {
		int s = i % nslot, im = s + nslot * ((i / nslot) % 2);

		detach(s);
		r = attach(s, im);
		if (r < 0) {
			fprintf(stderr, "storm: attach: %s\n", strerror(-r));
			return 1;
		}
	}
	t1 = now_us();
	r = converge(in, argv[2], argv[3], nslot);
	t2 = now_us();
	if (r < 0) {
		fprintf(stderr, "storm: state did not converge to the %d attached media "
			"(found %d)\n", nslot, ours(argv[2], argv[3]));
		return 1;
	}
	t3 = now_us();
	for (int s = 0; s < nslot; s++)
		detach(s);
	r = converge(in, argv[2], argv[3], 0);
	t4 = now_us();
	printf("ops_us=%.0f converge_us=%.0f final_ok=%d detach_converge_us=%.0f cleared_ok=%d\n",
	       t1 - t0, t2 - t0, 1, t4 - t3, r == 0);
	return r == 0 ? 0 : 1;
}
