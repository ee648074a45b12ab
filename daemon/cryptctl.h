/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control-socket verbs of encrypted media (lib/unlockproto.h):
 * unlock (request, "more", the secret, the answer once the cleartext is
 * published), lock, and eject of a container or its cleartext, which
 * locks first. Only root and allow_group get as far as sending a secret;
 * a uid that keeps sending wrong ones waits longer each time
 * (daemon/backoff.h). The secret is held in locked, undumpable memory
 * only until it is in the helper's pipe, and is never logged. */
#ifndef MEDIAD_CRYPTCTL_H
#define MEDIAD_CRYPTCTL_H

#include <stdbool.h>
#include <stddef.h>

struct control_client;
struct mediad;
struct medium;

/* From control.c's handle(), before its own parse: true when the request
 * was one of ours (it is answered, or the client is kept for the rest). */
bool cryptctl_request(struct control_client *cl, const char *buf, size_t len);

/* From control.c's on_client(): true while the client is ours; then
 * cryptctl_on_readable() reads its socket instead (the secret). */
bool cryptctl_reads(const struct control_client *cl);
void cryptctl_on_readable(struct control_client *cl);

/* daemon/crypt.c: the cleartext of container (a kernel name) is now
 * announced as clear: the request that opened it is answered. */
void cryptctl_published(struct mediad *md, const char *container, const struct medium *clear);

/* daemon/crypt.c: the container left; requests for it are answered. */
void cryptctl_gone(struct mediad *md, const char *container);

/* True while a request (unlock, lock, auto-unlock) for the container
 * named kname runs. */
bool cryptctl_busy(const char *kname);

/* daemon/crypt.c: auto-unlock of container with the key file keyfd
 * (daemon/cryptkey.h; taken over and closed). 0 or -errno. */
int cryptctl_auto(struct mediad *md, const struct medium *container, int keyfd);

#endif
