/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for the daemon: syslog, or stderr in the foreground. One call at
 * the place that decides; messages name the medium and the device. */
#ifndef MEDIAD_LOG_H
#define MEDIAD_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_setup(const char *ident, bool to_syslog, int max_level);
void log_set_level(int max_level);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
