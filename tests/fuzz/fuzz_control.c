/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control-socket request parser (daemon/control.c, control_parse): any
 * bytes a local user sends. Invariants: only the grammar of lib/ctlproto.h
 * is accepted, the request is exactly "VERB" or "VERB NAME" (a trailing
 * newline allowed), the name passes name_is_valid, and nothing past len
 * is read (the message is copied into an exact-size buffer). */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "cryptctl.h"
#include "fuzz.h"
#include "mediad.h"

/* control.c's other calls are never reached by control_parse */
int events_rescan(struct mediad *md)
{
	(void)md;
	abort();
}

/* nor the unlock and lock requests' handling (daemon/cryptctl.c) */
bool cryptctl_request(struct control_client *cl, const char *buf, size_t len)
{
	(void)cl;
	(void)buf;
	(void)len;
	abort();
}

bool cryptctl_reads(const struct control_client *cl)
{
	(void)cl;
	abort();
}

void cryptctl_on_readable(struct control_client *cl)
{
	(void)cl;
	abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char verb[16], arg[NAME_BUF], expect[CONTROL_REQ_MAX + 2];
	char *msg = malloc(size ? size : 1);
	size_t len = size;
	int r;

	CHECK(msg);
	memcpy(msg, data, size);
	memset(verb, 0x55, sizeof(verb));
	memset(arg, 0x55, sizeof(arg));
	r = control_parse(msg, size, verb, arg);
	if (r < 0) {
		free(msg);
		return 0;
	}
	CHECK(r == 0);
	CHECK(size > 0 && size <= CONTROL_REQ_MAX);
	CHECK(memchr(verb, 0, sizeof(verb)) && memchr(arg, 0, sizeof(arg)));
	if (!strcmp(verb, "ping") || !strcmp(verb, "rescan")) {
		CHECK(arg[0] == '\0');
		snprintf(expect, sizeof(expect), "%s", verb);
	} else {
		CHECK(!strcmp(verb, "unmount") || !strcmp(verb, "eject"));
		CHECK(name_is_valid(arg));
		snprintf(expect, sizeof(expect), "%s %s", verb, arg);
	}
	if (msg[len - 1] == '\n')
		len--;
	CHECK(len == strlen(expect) && !memcmp(msg, expect, len));
	free(msg);
	return 0;
}
