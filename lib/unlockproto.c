/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unlock requests and secret headers (see unlockproto.h). Input comes
 * from any local user (the request) or from root and allow_group (the
 * secret): bounded, and never copied, logged or printed here. */
#include "unlockproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[UNLOCK_AUTO] = "auto",		  [UNLOCK_LUKS] = "luks",
	[UNLOCK_LUKS1] = "luks1",	  [UNLOCK_LUKS2] = "luks2",
	[UNLOCK_TCRYPT] = "tcrypt",	  [UNLOCK_VERACRYPT] = "veracrypt",
	[UNLOCK_BITLK] = "bitlk",
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *unlockproto_type_name(enum unlock_type t)
{
	return (size_t)t < N_TYPES ? type_names[t] : "?";
}

int unlockproto_type_parse(const char *s, enum unlock_type *t)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (!strcmp(s, type_names[i])) {
			*t = (enum unlock_type)i;
			return 0;
		}
	if (!strcmp(s, "truecrypt")) {
		*t = UNLOCK_TCRYPT;
		return 0;
	}
	if (!strcmp(s, "bitlocker")) {
		*t = UNLOCK_BITLK;
		return 0;
	}
	return -EINVAL;
}

int unlockproto_parse_opts(const char *s, struct unlock_opts *o)
{
	char buf[128], *save = NULL;
	bool typed = false;

	memset(o, 0, sizeof(*o));
	if (!strcmp(s, "-"))
		return 0;
	if (!*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	/* strtok_r would fold ",," and a trailing ",": refuse them */
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool *flag = !strcmp(t, "hidden") ? &o->hidden
			     : !strcmp(t, "keyfile") ? &o->keyfile
			     : !strcmp(t, "test")    ? &o->test
						     : NULL;

		if (flag) {
			if (*flag)
				return -EINVAL;
			*flag = true;
		} else if (!strncmp(t, "type=", 5)) {
			if (typed || unlockproto_type_parse(t + 5, &o->type) < 0)
				return -EINVAL;
			typed = true;
		} else {
			return -EINVAL;
		}
	}
	if (o->hidden && o->type != UNLOCK_TCRYPT && o->type != UNLOCK_VERACRYPT)
		return -EINVAL;
	return 0;
}

int unlockproto_format_opts(const struct unlock_opts *o, char *out, size_t size)
{
	const char *parts[4];
	char type[32];
	size_t n = 0, len = 0;

	if (o->type != UNLOCK_AUTO) {
		snprintf(type, sizeof(type), "type=%s", unlockproto_type_name(o->type));
		parts[n++] = type;
	}
	if (o->hidden)
		parts[n++] = "hidden";
	if (o->keyfile)
		parts[n++] = "keyfile";
	if (o->test)
		parts[n++] = "test";
	if (n == 0)
		parts[n++] = "-";
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + len, size - len, "%s%s", i ? "," : "", parts[i]);

		if (w < 0 || (size_t)w >= size - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return (int)len;
}

int unlockproto_parse_secret(const char *buf, size_t len, unsigned *pim, size_t *off)
{
	const char *nl = memchr(buf, '\n', len < UNLOCK_HEADER_MAX ? len : UNLOCK_HEADER_MAX);
	size_t hlen;

	*pim = 0;
	*off = 0;
	if (!nl)
		return -EINVAL;
	hlen = (size_t)(nl - buf);
	if (hlen == 6 && !memcmp(buf, "secret", 6)) {
		/* no PIM */
	} else if (hlen > 11 && !memcmp(buf, "secret pim=", 11)) {
		unsigned long v = 0;

		for (size_t i = 11; i < hlen; i++) {
			if (buf[i] < '0' || buf[i] > '9' || i - 11 >= 8)
				return -EINVAL;
			v = v * 10 + (unsigned long)(buf[i] - '0');
		}
		if (buf[11] == '0' || v == 0 || v > UNLOCK_PIM_MAX)
			return -EINVAL;
		*pim = (unsigned)v;
	} else {
		return -EINVAL;
	}
	if (len - hlen - 1 == 0 || len - hlen - 1 > UNLOCK_SECRET_MAX)
		return -EINVAL;
	*off = hlen + 1;
	return 0;
}

int unlockproto_secret_header(unsigned pim, char *out, size_t size)
{
	int n = pim ? snprintf(out, size, "secret pim=%u\n", pim) : snprintf(out, size, "secret\n");

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static bool map_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '+' || c == '!';
}

int unlockproto_map_name(const char *kname, unsigned long long diskseq, char *out,
			 size_t size)
{
	int n = diskseq ? snprintf(out, size, "mediad-%s-%llu", kname, diskseq)
			: snprintf(out, size, "mediad-%s", kname);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return unlockproto_map_name_ok(out) ? n : -EINVAL;
}

bool unlockproto_map_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len <= 7 || len > 100 || strncmp(name, "mediad-", 7))
		return false;
	for (size_t i = 7; i < len; i++)
		if (!map_char_ok(name[i]))
			return false;
	return true;
}
