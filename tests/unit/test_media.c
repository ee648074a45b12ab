/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/media.c: naming fallbacks, collisions, stability
 * while plugged in, and names kept from an earlier instance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "media.h"

static struct record rec(unsigned minor, const char *label)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.devmajor = 8;
	r.devminor = minor;
	r.diskseq = minor + 100;
	snprintf(r.kname, sizeof(r.kname), "sd%c1", 'a' + minor);
	snprintf(r.label, sizeof(r.label), "%s", label);
	snprintf(r.uuid, sizeof(r.uuid), "uuid-%u", minor);
	strcpy(r.fstype, "vfat");
	return r;
}

static const char *plug(struct media *m, struct record r)
{
	struct medium *e;

	media_pick_name(m, &r, NULL);
	e = media_add(m, makedev(r.devmajor, r.devminor), true, &r);
	assert_non_null(e);
	return e->rec.name;
}

static void unplug(struct media *m, unsigned minor)
{
	struct medium *e = media_find(m, makedev(8, minor));

	assert_non_null(e);
	media_remove(m, e);
}

static void test_fallbacks(void **state)
{
	struct record r = rec(1, "");
	char out[NAME_BUF];

	(void)state;
	strcpy(r.vendor, "SanDisk");
	strcpy(r.model, "Cruzer Blade");
	media_base_name(&r, out);
	assert_string_equal(out, "SanDisk_Cruzer Blade");
	r.vendor[0] = '\0';
	media_base_name(&r, out);
	assert_string_equal(out, "Cruzer Blade");
	r.model[0] = '\0';
	media_base_name(&r, out);
	assert_string_equal(out, "sdb1");
	strcpy(r.label, "..");
	media_base_name(&r, out);
	assert_string_equal(out, "sdb1");
	strcpy(r.label, "   ");
	media_base_name(&r, out);
	assert_string_equal(out, "sdb1");
}

static void test_collisions(void **state)
{
	struct media m;

	(void)state;
	media_init(&m);
	assert_string_equal(plug(&m, rec(0, "KEY")), "KEY");
	assert_string_equal(plug(&m, rec(1, "KEY")), "KEY_2");
	assert_string_equal(plug(&m, rec(2, "KEY")), "KEY_3");
	/* a label that is itself "KEY_4" pushes the next KEY further */
	assert_string_equal(plug(&m, rec(3, "KEY_4")), "KEY_4");
	assert_string_equal(plug(&m, rec(4, "KEY")), "KEY_5");
	/* names do not move while their media stay: KEY goes, KEY_2 stays */
	unplug(&m, 0);
	assert_non_null(media_find_name(&m, "KEY_2"));
	assert_null(media_find_name(&m, "KEY"));
	/* and the free name is reused by the next one */
	assert_string_equal(plug(&m, rec(5, "KEY")), "KEY");
	/* labels differing only in unsafe bytes collide after sanitising */
	assert_string_equal(plug(&m, rec(6, "a/b")), "a_b");
	assert_string_equal(plug(&m, rec(7, "a\nb")), "a_b_2");
	media_free(&m);
}

static void test_hints(void **state)
{
	struct media m;
	struct record old1 = rec(1, "KEY"), old0 = rec(0, "KEY");

	(void)state;
	media_init(&m);
	/* the earlier instance had sdb1 as KEY and sda1 as KEY_2 */
	strcpy(old1.name, "KEY");
	strcpy(old0.name, "KEY_2");
	media_add_hint(&m, &old1);
	media_add_hint(&m, &old0);
	/* coldplug enumerates sda1 first: it still gets KEY_2 */
	assert_string_equal(plug(&m, rec(0, "KEY")), "KEY_2");
	/* a new stick with the same label must not take the reserved KEY */
	assert_string_equal(plug(&m, rec(9, "KEY")), "KEY_3");
	assert_string_equal(plug(&m, rec(1, "KEY")), "KEY");
	media_drop_hints(&m);
	/* a different medium on sdb1's device number is not the same one */
	unplug(&m, 1);
	media_free(&m);

	media_init(&m);
	old1.diskseq = 999; /* reattached: a new diskseq, not the old medium */
	media_add_hint(&m, &old1);
	{
		struct record r = rec(1, "OTHER");

		assert_string_equal(plug(&m, r), "OTHER");
	}
	media_free(&m);
}

/* The stand-in for sysfs: sdb (minor 1) now holds disk sequence 999. */
static bool present_now(const struct record *h, void *arg)
{
	(void)arg;
	return h->devminor != 1 || h->diskseq == 999;
}

static void test_prune_hints(void **state)
{
	struct media m;
	struct record old1 = rec(1, "KEY"), old0 = rec(0, "KEY"), back = rec(1, "KEY");

	(void)state;
	media_init(&m);
	/* a crash left KEY (sdb1) and KEY_2 (sda1); sdb1 was pulled and
	 * plugged in again while no mediad ran */
	strcpy(old1.name, "KEY");
	strcpy(old0.name, "KEY_2");
	media_add_hint(&m, &old1);
	media_add_hint(&m, &old0);
	media_prune_hints(&m, present_now, NULL);
	back.diskseq = 999;
	/* the stale KEY reserves nothing: no KEY_3 */
	assert_string_equal(plug(&m, back), "KEY");
	assert_string_equal(plug(&m, rec(0, "KEY")), "KEY_2");
	media_free(&m);
}

/* Coldplug's two passes: media still present claim their old names first;
 * a stick replugged while the daemon was down, or during coldplug itself
 * (new diskseq, hint not pruned), has none, and once the hints are
 * dropped it gets the plain name its old record held. */
static void test_known_names_first(void **state)
{
	struct media m;
	struct record old1 = rec(1, "KEY"), old0 = rec(0, "KEY");
	struct record again = rec(1, "KEY"), r0 = rec(0, "KEY");

	(void)state;
	media_init(&m);
	strcpy(old1.name, "KEY");
	strcpy(old0.name, "KEY_2");
	media_add_hint(&m, &old1);
	media_add_hint(&m, &old0);
	again.diskseq = 555; /* sdb1 pulled and plugged in again */
	assert_false(media_pick_known_name(&m, &again, NULL));
	assert_string_equal(again.name, "");
	assert_true(media_pick_known_name(&m, &r0, NULL));
	assert_string_equal(r0.name, "KEY_2");
	assert_non_null(media_add(&m, makedev(8, 0), true, &r0));
	media_drop_hints(&m);
	assert_string_equal(plug(&m, again), "KEY");
	/* a mount of the medium names it, hint or not */
	{
		struct record r = rec(5, "OTHER");

		assert_true(media_pick_known_name(&m, &r, "MOUNTED"));
		assert_string_equal(r.name, "MOUNTED");
	}
	media_free(&m);
}

static void test_mounted_name_wins(void **state)
{
	struct media m;
	struct record r = rec(0, "NEWLABEL");

	(void)state;
	media_init(&m);
	media_pick_name(&m, &r, "OLDNAME");
	assert_string_equal(r.name, "OLDNAME");
	r = rec(0, "NEWLABEL");
	media_pick_name(&m, &r, "../x");
	assert_string_equal(r.name, "NEWLABEL");
	media_free(&m);
}

static void test_identity(void **state)
{
	struct record a = rec(0, "KEY"), b = rec(0, "KEY");

	(void)state;
	assert_true(media_same_identity(&a, &b));
	b.size = 12345; /* size is not identity */
	assert_true(media_same_identity(&a, &b));
	strcpy(b.label, "NEW");
	assert_false(media_same_identity(&a, &b));
	b = a;
	b.diskseq++;
	assert_false(media_same_identity(&a, &b));
	b = a;
	strcpy(b.uuid, "x");
	assert_false(media_same_identity(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_prune_hints),
		cmocka_unit_test(test_known_names_first),
		cmocka_unit_test(test_mounted_name_wins),
		cmocka_unit_test(test_identity),
	};
	return cmocka_run_group_tests_name("media", tests, NULL, NULL);
}
