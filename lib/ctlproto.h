/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control-socket contract shared by mediad and medialist:
 * <state_dir>/control, SOCK_SEQPACKET, one request and one reply per
 * connection.
 *
 *   request (one message, at most CONTROL_REQ_MAX bytes, ASCII verb, a
 *   single space, the argument; a trailing '\n' is allowed):
 *     "ping"            anyone
 *     "unmount NAME"    root and members of allow_group
 *     "eject NAME"      root and members of allow_group
 *     "rescan"          root and members of allow_group
 *     "unlock OPTS NAME" root and members of allow_group: answered "more
 *                       TEXT", then the secret message, then the reply
 *                       (lib/unlockproto.h: the one exchange of two
 *                       messages each way)
 *     "lock NAME"       root and members of allow_group; "eject NAME" of
 *                       an encrypted container or its cleartext locks
 *                       first (daemon/cryptctl.h)
 *   reply (one message, at most CONTROL_REPLY_MAX bytes):
 *     "ok TEXT" or "error TEXT" (TEXT is for people, one line); unmount
 *     and eject add "\nflush SECONDS BYTES" when they flushed a mounted
 *     filesystem (syncfs: its wall time, and the bytes the device took
 *     meanwhile, "-" when unknown; lib/flush.h)
 *
 * Documented in mediad(8); change it here, there, and in both programs. */
#ifndef MEDIAD_CTLPROTO_H
#define MEDIAD_CTLPROTO_H

#define CONTROL_REQ_MAX 256
#define CONTROL_REPLY_MAX 512
#define CONTROL_IDLE_SECS 5.0     /* a client that sends nothing is dropped */
#define CONTROL_ACTION_SECS 120.0 /* an eject that takes longer is killed */

#endif
