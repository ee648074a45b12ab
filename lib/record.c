/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Record format: a table of fields, one generic writer and one generic
 * parser. The parser takes untrusted bytes (a record may have been planted
 * or truncated) and must never overrun a field. */
#include "record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

enum field_type { F_STR, F_U64, F_BOOL, F_DEVNUM };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size; /* F_STR: buffer size */
};

#define STR(k) { #k, F_STR, offsetof(struct record, k), sizeof(((struct record *)0)->k) }
#define U64(k) { #k, F_U64, offsetof(struct record, k), 0 }
#define BOOL(k) { #k, F_BOOL, offsetof(struct record, k), 0 }

static const struct field fields[] = {
	STR(name),   STR(kname),  STR(devname), { "devnum", F_DEVNUM, 0, 0 },
	U64(diskseq), STR(fstype), STR(mounttype), STR(fsversion), STR(usage),
	STR(label),  STR(uuid),   STR(bus),     STR(vendor),
	STR(model),  STR(serial), U64(size),    BOOL(readonly),
	BOOL(removable), STR(mountpoint), STR(options), STR(reason),
	STR(mounted_type), STR(mounted_options), STR(mount_note), STR(mount_error),
	BOOL(safe),  STR(dirty_source), STR(unlocked_as), STR(container),
};

int record_escape(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		char tmp[5];
		const char *piece;
		size_t plen;

		if (n == 1 && s[i] == '\\') {
			piece = "\\\\";
			plen = 2;
		} else if (n == 1 && s[i] == '\n') {
			piece = "\\n";
			plen = 2;
		} else if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			piece = tmp;
			plen = 4;
			n = 1;
		} else {
			piece = (const char *)s + i;
			plen = n;
		}
		if (o + plen >= size)
			return -ENOSPC;
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	if (o >= size)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

int record_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int record_unescape(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '\\') {
			if (i + 1 >= len)
				return -EINVAL;
			c = in[++i];
			if (c == 'n') {
				c = '\n';
			} else if (c == 'x') {
				int hi, lo;

				if (i + 2 >= len)
					return -EINVAL;
				hi = record_hexdigit(in[i + 1]);
				lo = record_hexdigit(in[i + 2]);
				if (hi < 0 || lo < 0)
					return -EINVAL;
				c = (char)(hi * 16 + lo);
				i += 2;
			} else if (c != '\\') {
				return -EINVAL;
			}
		} else if ((unsigned char)c < 0x20 || c == 0x7f) {
			return -EINVAL; /* writers never leave these raw */
		}
		if (o + 1 >= size)
			return -ENOSPC;
		out[o++] = c;
	}
	if (o >= size)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

int record_devlink(const struct record *r, char *out, size_t size)
{
	int n = snprintf(out, size, "%u-%u-%" PRIu64, r->devmajor, r->devminor, r->diskseq);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

void record_copy_mount_report(struct record *dst, const struct record *src)
{
	memcpy(dst->mounted_type, src->mounted_type, sizeof(dst->mounted_type));
	memcpy(dst->mounted_options, src->mounted_options, sizeof(dst->mounted_options));
	memcpy(dst->mount_note, src->mount_note, sizeof(dst->mount_note));
	memcpy(dst->mount_error, src->mount_error, sizeof(dst->mount_error));
}

int record_format(const struct record *r, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		const char *p = (const char *)r + f->offset;
		char val[RECORD_VALUE_MAX];
		int n;

		switch (f->type) {
		case F_STR:
			n = record_escape(p, strnlen(p, f->size), val, sizeof(val));
			break;
		case F_U64:
			n = snprintf(val, sizeof(val), "%" PRIu64,
				     *(const uint64_t *)(const void *)p);
			break;
		case F_BOOL:
			n = snprintf(val, sizeof(val), "%d",
				     *(const bool *)(const void *)p ? 1 : 0);
			break;
		default:
			n = snprintf(val, sizeof(val), "%u:%u", r->devmajor,
				     r->devminor);
			break;
		}
		if (n < 0)
			return -ENOSPC;
		n = snprintf(buf + o, size - o, "%s=%s\n", f->key, val);
		if (n < 0 || (size_t)n >= size - o)
			return -ENOSPC;
		o += (size_t)n;
	}
	return (int)o;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int parse_value(const struct field *f, const char *val, size_t vlen,
		       struct record *r)
{
	char tmp[64];
	char *p = (char *)r + f->offset;
	uint64_t v;
	unsigned maj, min;
	char extra;

	if (f->type == F_STR) {
		int n = record_unescape(val, vlen, p, f->size);

		if (n < 0 || strlen(p) != (size_t)n)
			return -EINVAL; /* embedded NUL: refuse */
		return 0;
	}
	if (vlen >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, val, vlen);
	tmp[vlen] = '\0';
	switch (f->type) {
	case F_U64:
		if (parse_u64(tmp, &v) < 0)
			return -EINVAL;
		*(uint64_t *)(void *)p = v;
		return 0;
	case F_BOOL:
		if (strcmp(tmp, "0") && strcmp(tmp, "1"))
			return -EINVAL;
		*(bool *)(void *)p = tmp[0] == '1';
		return 0;
	default:
		if (sscanf(tmp, "%u:%u%c", &maj, &min, &extra) != 2 ||
		    tmp[0] < '0' || tmp[0] > '9')
			return -EINVAL;
		r->devmajor = maj;
		r->devminor = min;
		return 0;
	}
}

int record_parse(const char *buf, size_t len, struct record *r, int *bad_line)
{
	size_t pos = 0;
	int line = 0;

	memset(r, 0, sizeof(*r));
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - start) : len - pos;
		const char *eq = memchr(start, '=', llen);
		size_t klen;

		line++;
		pos += llen + (nl ? 1 : 0);
		if (!nl || !eq)
			goto bad; /* a record ends each line with '\n' */
		klen = (size_t)(eq - start);
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			const struct field *f = &fields[i];

			if (strlen(f->key) != klen || memcmp(f->key, start, klen))
				continue;
			if (parse_value(f, eq + 1, llen - klen - 1, r) < 0)
				goto bad;
			break;
		}
	}
	return 0;
bad:
	if (bad_line)
		*bad_line = line;
	return -EINVAL;
}
