/* SPDX-License-Identifier: GPL-2.0-or-later */
/* e2e-uevmon: test helper for the e2e guest. Logs every kernel uevent with
 * a CLOCK_REALTIME stamp taken the moment it is read, one line each:
 * "SECONDS ACTION SUBSYSTEM DEVTYPE DEVNAME DEVPATH" ("-" for empty).
 * It exists only so plug-to-link times start at the kernel's event and not
 * at a forked shell; it must never be part of mediad. */
#include <err.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char *field(const char *v)
{
	return v && *v ? v : "-";
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char buf[16384];
	int sz = 8 << 20;
	FILE *out;
	int fd;

	if (argc != 2)
		errx(2, "usage: e2e-uevmon LOGFILE");
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		err(1, "socket");
	/* FORCE works as root and ignores rmem_max; plain is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		warn("SO_RCVBUF");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err(1, "bind");
	out = fopen(argv[1], "a");
	if (!out)
		err(1, "%s", argv[1]);
	for (;;) {
		const char *action = NULL, *subsystem = NULL, *devtype = NULL;
		const char *devname = NULL, *devpath = NULL;
		struct timespec ts;
		ssize_t n;

		n = recv(fd, buf, sizeof(buf) - 1, 0);
		clock_gettime(CLOCK_REALTIME, &ts);
		if (n < 0) {
			if (errno == ENOBUFS)
				fprintf(out, "%lld.%09ld overflow - - - -\n",
					(long long)ts.tv_sec, ts.tv_nsec);
			else if (errno != EINTR)
				err(1, "recv");
			continue;
		}
		buf[n] = '\0';
		/* "action@devpath\0KEY=value\0...": the header, then the keys */
		for (char *p = buf + strlen(buf) + 1; p < buf + n; p += strlen(p) + 1) {
			if (!strncmp(p, "ACTION=", 7))
				action = p + 7;
			else if (!strncmp(p, "SUBSYSTEM=", 10))
				subsystem = p + 10;
			else if (!strncmp(p, "DEVTYPE=", 8))
				devtype = p + 8;
			else if (!strncmp(p, "DEVNAME=", 8))
				devname = p + 8;
			else if (!strncmp(p, "DEVPATH=", 8))
				devpath = p + 8;
		}
		fprintf(out, "%lld.%09ld %s %s %s %s %s\n", (long long)ts.tv_sec,
			ts.tv_nsec, field(action), field(subsystem),
			field(devtype), field(devname), field(devpath));
		fflush(out);
	}
}
