/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config parser: any bytes. Invariants: a failed parse leaves the caller's
 * configuration exactly as it was and says why; a successful one passes
 * config_check and every string is NUL-terminated in its buffer. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct config c, before;
	char err[CONFIG_ERR_BUF];
	int r;

	config_defaults(&c);
	before = c;
	err[0] = '\0';
	r = config_parse(&c, (const char *)data, size, "fuzz.conf", err);
	CHECK(memchr(err, 0, sizeof(err)));
	if (r < 0) {
		CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(r == 0);
	CHECK(config_check(&c, err) == 0);
	CHECK(memchr(c.state_dir, 0, sizeof(c.state_dir)) &&
	      memchr(c.media_dir, 0, sizeof(c.media_dir)) &&
	      memchr(c.mount_user, 0, sizeof(c.mount_user)) &&
	      memchr(c.allow_group, 0, sizeof(c.allow_group)) &&
	      memchr(c.hooks_dir, 0, sizeof(c.hooks_dir)));
	CHECK(c.n_ignore <= CONFIG_MAX_IGNORE);
	for (unsigned i = 0; i < c.n_ignore; i++)
		CHECK(memchr(c.ignore[i], 0, sizeof(c.ignore[i])));
	for (size_t i = 0; i < sizeof(c.type_options) / sizeof(c.type_options[0]); i++)
		CHECK(memchr(c.type_options[i], 0, sizeof(c.type_options[i])));
	return 0;
}
