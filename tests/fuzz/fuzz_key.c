/* auto.media's key validator: autofs hands it whatever a user typed after
 * <media_dir>/auto/. A key that passes must be a name by the contract,
 * checked here independently of name_sanitize: nothing that can climb out
 * of the directory, start an option, or hide on a terminal. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "name.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char key[256], out[NAME_BUF];
	size_t len;

	if (size >= sizeof(key))
		size = sizeof(key) - 1;
	memcpy(key, data, size);
	key[size] = '\0';
	len = strlen(key);
	if (!name_is_valid(key))
		return 0;
	CHECK(len > 0 && len <= NAME_MAX_BYTES);
	CHECK(strcmp(key, ".") && strcmp(key, ".."));
	CHECK(key[0] != '-' && key[0] != '.' && key[0] != ' ' && key[len - 1] != ' ');
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)key + i, len - i, &cp);

		CHECK(n > 0); /* valid UTF-8 */
		CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f));
		CHECK(cp != '/' && cp != '\\');
		CHECK(cp != 0x202e && cp != 0x202d && cp != 0x2067 && cp != 0x200f);
		i += n;
	}
	CHECK(name_sanitize(key, len, out) == len && !strcmp(out, key));
	return 0;
}
