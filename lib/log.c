/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log sink selection and level filtering. Never exits, never allocates. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_ident = "mediad";
static bool log_syslog;
static int log_level = LOG_INFO;

void log_setup(const char *ident, bool to_syslog, int max_level)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_level = max_level;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int max_level)
{
	log_level = max_level;
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const tags[] = { "emerg", "alert", "crit", "error",
					    "warning", "notice", "info", "debug" };
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(stderr, "%s[%ld.%03ld] %s: ", log_ident, (long)ts.tv_sec,
			ts.tv_nsec / 1000000, tags[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
