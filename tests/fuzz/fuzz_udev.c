/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udev property decoding (daemon/device.c, device_decode_udev): turns
 * ID_FS_LABEL_ENC back into the label's bytes. Invariants: never writes
 * past the output buffer (exact-size heap buffer), always NUL-terminates,
 * never makes more bytes than it read, leaves text without a backslash as
 * it is, and undoes udev's \xHH encoding exactly for any label. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fuzz.h"

/* udev's encoding: bytes outside a safe set become \xHH (a backslash
 * always does, so a literal "\x" can never reach the decoder) */
static void udev_encode(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("#+-.:=@_", c))
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", c);
	}
	out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	size_t osize, inlen, len;
	char *in, *out, *enc, *dec;

	if (size < 1)
		return 0;
	osize = 1 + data[0] % 64u;
	in = malloc(size);
	out = malloc(osize);
	CHECK(in && out);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	inlen = strlen(in);

	device_decode_udev(in, out, osize);
	len = strnlen(out, osize);
	CHECK(len < osize);
	CHECK(len <= inlen);
	if (!strchr(in, '\\'))
		CHECK(!memcmp(out, in, len) && (len == inlen || len == osize - 1));

	/* round trip of udev's own encoding, with room for the whole label */
	enc = malloc(4 * inlen + 1);
	dec = malloc(inlen + 1);
	CHECK(enc && dec);
	udev_encode((const unsigned char *)in, inlen, enc);
	device_decode_udev(enc, dec, inlen + 1);
	CHECK(!strcmp(dec, in));
	free(enc);
	free(dec);
	free(in);
	free(out);
	return 0;
}
