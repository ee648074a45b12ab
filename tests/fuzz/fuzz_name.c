/* Name sanitiser and collision logic. Invariants: a sanitised label is
 * empty or a valid name, and sanitising it again changes nothing; every
 * medium added gets a valid name no other medium has, whatever the labels,
 * and names suffixed with _N stay valid. Input: labels separated by NUL
 * bytes (the first byte picks how many share one label). */
#include <string.h>
#include <sys/sysmacros.h>

#include "fuzz.h"
#include "media.h"
#include "name.h"

static void check_name(const char *s)
{
	size_t len = strlen(s);

	CHECK(len > 0 && len <= NAME_MAX_BYTES);
	CHECK(name_is_valid(s));
	CHECK(strcmp(s, ".") && strcmp(s, ".."));
	CHECK(s[0] != '-' && s[0] != '.' && s[0] != ' ' && s[len - 1] != ' ');
	CHECK(!strchr(s, '/') && !strchr(s, '\\'));
	for (size_t i = 0; i < len; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct record rec;
	char out[NAME_BUF], again[NAME_BUF], suff[NAME_BUF];
	struct media m;
	size_t n, pos = 0;
	unsigned dev = 1;

	n = name_sanitize((const char *)data, size, out);
	CHECK(n == strlen(out));
	if (n) {
		check_name(out);
		CHECK(name_sanitize(out, n, again) == n && !strcmp(again, out));
		for (unsigned k = 2; k < 12; k++) {
			CHECK(name_with_suffix(out, k, suff) == 0);
			check_name(suff);
		}
		CHECK(name_with_suffix(out, 1000000000u, suff) == 0);
		check_name(suff);
	}

	/* collisions: up to 40 media, labels from the input */
	media_init(&m);
	while (pos < size && m.n < 40) {
		const unsigned char *end = memchr(data + pos, 0, size - pos);
		size_t len = end ? (size_t)(end - data - pos) : size - pos;
		unsigned copies = len ? 1 + (data[pos] & 3) : 1;

		for (unsigned c = 0; c < copies && m.n < 40; c++) {
			struct medium *e;

			memset(&rec, 0, sizeof(rec));
			memcpy(rec.label, data + pos,
			       len < sizeof(rec.label) ? len : sizeof(rec.label) - 1);
			snprintf(rec.kname, sizeof(rec.kname), "loop%u", dev);
			rec.devmajor = 7;
			rec.devminor = dev;
			media_pick_name(&m, &rec, NULL);
			check_name(rec.name);
			CHECK(media_find_name(&m, rec.name) == NULL);
			e = media_add(&m, makedev(7, dev), true, &rec);
			CHECK(e);
			dev++;
		}
		pos += len + 1;
	}
	/* a removal frees the name; the next same label may take it, and
	 * still no two media share a name */
	if (m.n > 1) {
		rec = m.v[0]->rec;
		media_remove(&m, m.v[0]);
		rec.devminor = dev;
		media_pick_name(&m, &rec, NULL);
		check_name(rec.name);
		CHECK(media_find_name(&m, rec.name) == NULL);
		CHECK(media_add(&m, makedev(7, dev), true, &rec));
	}
	for (size_t i = 0; i < m.n; i++)
		for (size_t j = i + 1; j < m.n; j++)
			CHECK(strcmp(m.v[i]->rec.name, m.v[j]->rec.name) != 0);
	media_free(&m);
	return 0;
}
