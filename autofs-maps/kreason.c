/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel log records about one device, from /dev/kmsg. Each read() of
 * /dev/kmsg returns one record, "PRI,SEQ,USEC,FLAGS[,...];MESSAGE\n"
 * followed by optional " KEY=VALUE" continuation lines. */
#include "kreason.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kreason_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True when msg names the device kname as a word: "(sdb1)", "sdb1:",
 * "sdb1 " and so on, but not "sdb10". */
static bool names_device(const char *msg, const char *kname)
{
	size_t klen = strlen(kname);

	if (!klen)
		return false;
	for (const char *p = strstr(msg, kname); p; p = strstr(p + 1, kname)) {
		char before = p == msg ? ' ' : p[-1];
		char after = p[klen];

		if ((before == ' ' || before == '(' || before == '[' || before == '/') &&
		    (after == '\0' || after == ')' || after == ':' || after == ' ' ||
		     after == ']' || after == ','))
			return true;
	}
	return false;
}

/* A line every mount or unmount logs, whatever happens. */
static bool routine(const char *msg)
{
	const char *close = strstr(msg, "): ");
	const char *text = close ? close + 3 : msg;

	return !strncmp(text, "Mounting ", 9) || !strncmp(text, "Unmounting ", 11) ||
	       !strncmp(text, "mounted filesystem", 18) || !strncmp(text, "unmounting ", 11);
}

/* Appends msg to out, without the "FS (kname): " prefix when the last
 * message kept had the same one. */
static void append(char *out, size_t size, char *prefix, size_t prefix_size, const char *msg)
{
	const char *close = strstr(msg, "): ");
	size_t len = strlen(out), plen = close ? (size_t)(close - msg) + 3 : 0;
	bool same = len && plen && plen < prefix_size && !strncmp(prefix, msg, plen) &&
		    !prefix[plen];

	if (same)
		msg += plen;
	else if (plen < prefix_size)
		snprintf(prefix, prefix_size, "%.*s", (int)plen, msg);
	snprintf(out + len, size - len, "%s%s", !len ? "" : same ? " " : "; ", msg);
}

void kreason_read(int fd, const char *kname, char *out, size_t size)
{
	char rec[2048], prefix[64] = "";

	if (size)
		out[0] = '\0';
	if (fd < 0 || !size)
		return;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *end;

		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten before we read them */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		/* notices and worse (XFS says "recovery required on read-only
		 * device" as a notice), but not the routine progress lines */
		if (!msg || (atoi(rec) & 7) > 5)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (names_device(msg, kname) && !routine(msg))
			append(out, size, prefix, sizeof(prefix), msg);
	}
}
