/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol (sd_notify) without libsystemd: one
 * datagram to $NOTIFY_SOCKET. Does nothing when the variable is unset. */
#ifndef MEDIAD_NOTIFY_H
#define MEDIAD_NOTIFY_H

/* Sends state (e.g. "READY=1") to the service manager. Returns 0 (also
 * when there is no manager to tell) or -errno. */
int notify_send(const char *state);

#endif
