/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for encrypted media's pure parts: the unlock protocol
 * (lib/unlockproto.c), the back-off (daemon/backoff.c), the sysfs facts
 * on a fake tree (daemon/cryptsys.c), key_dir's checks on real files
 * (daemon/cryptkey.c), the helper's secret buffer (unlock/secret.c), the
 * helper's reply as mediad reads it (daemon/cryptrun.c) and the record's
 * new fields. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backoff.h"
#include "cryptkey.h"
#include "cryptrun.h"
#include "cryptsys.h"
#include "record.h"
#include "secret.h"
#include "unlockproto.h"

static void test_opts(void **state)
{
	struct unlock_opts o;
	char out[64];

	(void)state;
	assert_int_equal(unlockproto_parse_opts("-", &o), 0);
	assert_int_equal(o.type, UNLOCK_AUTO);
	assert_false(o.hidden || o.keyfile || o.test);
	assert_int_equal(unlockproto_parse_opts("type=veracrypt,hidden,keyfile,test", &o), 0);
	assert_int_equal(o.type, UNLOCK_VERACRYPT);
	assert_true(o.hidden && o.keyfile && o.test);
	assert_int_equal(unlockproto_format_opts(&o, out, sizeof(out)), 34);
	assert_string_equal(out, "type=veracrypt,hidden,keyfile,test");
	assert_int_equal(unlockproto_parse_opts("keyfile", &o), 0);
	assert_int_equal(unlockproto_format_opts(&o, out, sizeof(out)), 7);
	assert_string_equal(out, "keyfile");
	memset(&o, 0, sizeof(o));
	assert_int_equal(unlockproto_format_opts(&o, out, sizeof(out)), 1);
	assert_string_equal(out, "-");
	assert_int_equal(unlockproto_parse_opts("type=truecrypt", &o), 0);
	assert_int_equal(o.type, UNLOCK_TCRYPT);
	assert_int_equal(unlockproto_parse_opts("type=bitlocker", &o), 0);
	assert_int_equal(o.type, UNLOCK_BITLK);
	/* malformed, repeated, unknown, or hidden without TCRYPT */
	static const char *const bad[] = {
		"", "type=", "type=foo", "hidden", "type=luks,hidden", "test,test", ",test",
		"test,", "test,,keyfile", "type=luks,type=luks2", "keyfile ", "pim=4",
		"type=auto,type=luks", "Test",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (unlockproto_parse_opts(bad[i], &o) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	{
		char big[300];

		memset(big, 't', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(unlockproto_parse_opts(big, &o), -EINVAL);
	}
}

static void test_secret_header(void **state)
{
	char buf[UNLOCK_MSG_MAX + 8];
	unsigned pim;
	size_t off;
	int h;

	(void)state;
	assert_int_equal(unlockproto_parse_secret("secret\nabc", 10, &pim, &off), 0);
	assert_int_equal(off, 7);
	assert_int_equal(pim, 0);
	assert_int_equal(unlockproto_parse_secret("secret pim=485\nx", 16, &pim, &off), 0);
	assert_int_equal(pim, 485);
	assert_int_equal(off, 15);
	/* a secret is bytes: NUL and newlines are its own */
	assert_int_equal(unlockproto_parse_secret("secret\n\0a\nb", 11, &pim, &off), 0);
	assert_int_equal(off, 7);
	static const char *const bad[] = {
		"secret\n", "secretx\nabc", "secret pim=0\nx", "secret pim=01\nx",
		"secret pim=123456789\nx", "secret pim=9999999\nx", "secret pim=\nx",
		"secret pim=4a\nx", "Secret\nx", "secret", "pim=4\nsecret\nx", "\nx",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (unlockproto_parse_secret(bad[i], strlen(bad[i]), &pim, &off) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	/* the longest secret passes, one byte more does not */
	h = unlockproto_secret_header(0, buf, sizeof(buf));
	assert_int_equal(h, 7);
	memset(buf + h, 'k', UNLOCK_SECRET_MAX + 1);
	assert_int_equal(unlockproto_parse_secret(buf, (size_t)h + UNLOCK_SECRET_MAX, &pim, &off), 0);
	assert_int_equal(unlockproto_parse_secret(buf, (size_t)h + UNLOCK_SECRET_MAX + 1, &pim, &off),
			 -EINVAL);
	assert_int_equal(unlockproto_secret_header(UNLOCK_PIM_MAX, buf, sizeof(buf)), 19);
	assert_int_equal(unlockproto_parse_secret("secret pim=2147468\nx", 20, &pim, &off), 0);
	assert_int_equal(pim, UNLOCK_PIM_MAX);
	assert_int_equal(unlockproto_secret_header(1, buf, 4), -ENOSPC);
}

static void test_map_name(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(unlockproto_map_name("sdb1", 0, out, sizeof(out)), 11);
	assert_string_equal(out, "mediad-sdb1");
	assert_true(unlockproto_map_name("sdb1", 17, out, sizeof(out)) > 0);
	assert_string_equal(out, "mediad-sdb1-17");
	assert_true(unlockproto_map_name_ok("mediad-cciss!c0d0p1"));
	assert_int_equal(unlockproto_map_name("a/b", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(unlockproto_map_name("a b", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(unlockproto_map_name("sdb1", 0, out, 8), -ENAMETOOLONG);
	assert_false(unlockproto_map_name_ok("mediad-"));
	assert_false(unlockproto_map_name_ok("luks-1234"));
	assert_false(unlockproto_map_name_ok("mediad-../control"));
	assert_false(unlockproto_map_name_ok("Mediad-sdb1"));
}

static void test_backoff(void **state)
{
	static struct backoff b;
	const double want[] = { 0, 0, 0, 2, 4, 8, 16, 32, 32, 32 };

	(void)state;
	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(backoff_delay(&b, 1000, 10.0 + i) == want[i]);
		backoff_failed(&b, 1000, 10.0 + i);
	}
	assert_int_equal(backoff_fails(&b, 1000, 20.0), 10);
	/* another uid is not slowed down by it */
	assert_true(backoff_delay(&b, 0, 20.0) == 0);
	/* forgotten after BACKOFF_FORGET without a failure */
	assert_true(backoff_delay(&b, 1000, 19.0 + BACKOFF_FORGET + 1) == 0);
	backoff_failed(&b, 1000, 19.0 + BACKOFF_FORGET + 1);
	assert_int_equal(backoff_fails(&b, 1000, 19.0 + BACKOFF_FORGET + 1), 1);
	/* a success starts afresh */
	for (int i = 0; i < 4; i++)
		backoff_failed(&b, 7, 1.0);
	assert_true(backoff_delay(&b, 7, 1.0) == 4);
	backoff_succeeded(&b, 7);
	assert_true(backoff_delay(&b, 7, 1.0) == 0);
	/* a full table forgets the oldest, never the one failing now */
	for (uid_t u = 2000; u < 2000 + BACKOFF_UIDS + 5; u++)
		for (int i = 0; i < 3; i++)
			backoff_failed(&b, u, 100.0 + u);
	assert_int_equal(backoff_fails(&b, 2000 + BACKOFF_UIDS + 4, 3000.0), 3);
	assert_int_equal(backoff_fails(&b, 2000, 3000.0), 0);
}

static char root[64];

static void put(const char *rel, const char *content)
{
	char path[200], dir[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(dir), 0);
	if (!content) {
		assert_int_equal(mkdir(path, 0755), 0);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_cryptsys(void **state)
{
	struct cleartext c;
	char out[64], cmd[128];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_unlock.XXXXXX");
	assert_non_null(mkdtemp(root));
	put("dm-0/dm/uuid", "CRYPT-LUKS2-0123abcd-mediad-sdb1\n");
	put("dm-0/dm/name", "mediad-sdb1\n");
	put("dm-0/slaves/sdb1", NULL);
	put("sdb1/size", "2048\n");
	put("sdb1/holders/dm-0", NULL);
	assert_int_equal(cryptsys_cleartext(root, "dm-0", &c), 1);
	assert_string_equal(c.container, "sdb1");
	assert_string_equal(c.map, "mediad-sdb1");
	assert_string_equal(c.type, "LUKS2");
	assert_true(c.ours && c.container_present);
	assert_int_equal(cryptsys_holder(root, "sdb1", out, sizeof(out)), 1);
	assert_string_equal(out, "dm-0");
	/* the container gone: its size 0 (or no slave left) */
	put("sdb1/size", "0\n");
	assert_int_equal(cryptsys_cleartext(root, "dm-0", &c), 1);
	assert_false(c.container_present);
	/* a mapping made by hand is a cleartext, not one of ours */
	put("dm-1/dm/uuid", "CRYPT-TCRYPT-usb\n");
	put("dm-1/dm/name", "usb\n");
	put("dm-1/slaves/sdc", NULL);
	put("sdc/size", "8\n");
	assert_int_equal(cryptsys_cleartext(root, "dm-1", &c), 1);
	assert_false(c.ours);
	assert_string_equal(cryptsys_type_label(c.type), "VeraCrypt or TrueCrypt");
	/* LVM, a crypt over two devices, a disk: not a container's */
	put("dm-2/dm/uuid", "LVM-abc\n");
	put("dm-2/dm/name", "vg-root\n");
	assert_int_equal(cryptsys_cleartext(root, "dm-2", &c), 0);
	put("dm-3/dm/uuid", "CRYPT-PLAIN-x\n");
	put("dm-3/dm/name", "mediad-x\n");
	put("dm-3/slaves/sdd", NULL);
	put("dm-3/slaves/sde", NULL);
	assert_int_equal(cryptsys_cleartext(root, "dm-3", &c), 0);
	assert_int_equal(cryptsys_cleartext(root, "sdb1", &c), 0);
	assert_int_equal(cryptsys_cleartext(root, "dm-9", &c), 0);
	assert_int_equal(cryptsys_cleartext(root, "dm-..", &c), 0);
	/* held by LVM, or by nothing: no crypt holder */
	put("sdf/holders/dm-2", NULL);
	assert_int_equal(cryptsys_holder(root, "sdf", out, sizeof(out)), 0);
	assert_int_equal(cryptsys_holder(root, "sdc", out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_cryptkey(void **state)
{
	char dir[64], path[128], why[400], sub[128];
	const char *uuid = "18bb0b52-e5c8-40cb-a82d-5b6aace5345a";
	int fd;

	(void)state;
	assert_true(cryptkey_uuid_ok(uuid));
	assert_false(cryptkey_uuid_ok("../etc/shadow"));
	assert_false(cryptkey_uuid_ok(""));
	assert_false(cryptkey_uuid_ok("-1"));
	assert_false(cryptkey_uuid_ok("abc/def"));
	snprintf(dir, sizeof(dir), "/tmp/test_keys.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, uuid);
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -ENOENT);
	assert_int_equal(cryptkey_open(dir, "../x", 8192, why, sizeof(why)), -EINVAL);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "key bytes\n", 10), 10);
	close(fd);
	if (geteuid() != 0) {
		/* the owner checks want root's files */
		assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -EPERM);
		goto out;
	}
	fd = cryptkey_open(dir, uuid, 8192, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	{
		char b[16];

		assert_int_equal(read(fd, b, sizeof(b)), 10);
		assert_memory_equal(b, "key bytes\n", 10);
	}
	close(fd);
	assert_int_equal(cryptkey_open(dir, uuid, 9, why, sizeof(why)), -EPERM); /* too big */
	chmod(path, 0640); /* group may read: not a secret any more */
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "only root may read"));
	chmod(path, 0400);
	assert_true((fd = cryptkey_open(dir, uuid, 8192, why, sizeof(why))) >= 0);
	close(fd);
	chown(path, 65534, 0); /* nobody's */
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -EPERM);
	chown(path, 0, 0);
	chmod(dir, 0777); /* anyone could swap the key */
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "key_dir"));
	chmod(dir, 0700);
	/* a link in place of the key, and a link as the directory */
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -ELOOP);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0); /* must not block */
	assert_int_equal(cryptkey_open(dir, uuid, 8192, why, sizeof(why)), -EPERM);
	unlink(path);
	snprintf(sub, sizeof(sub), "%s.link", dir);
	assert_int_equal(symlink(dir, sub), 0);
	assert_true(cryptkey_open(sub, uuid, 8192, why, sizeof(why)) < 0);
	unlink(sub);
out:
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	assert_int_equal(system(sub), 0);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* The helper's buffer: locked (lo) and left out of core dumps (dd), as
 * the kernel itself says in /proc/self/smaps. */
static bool flags_of(const void *addr, const char *want)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, ok = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') &&
		    !strncmp(strchr(line, ' ') + 1, "rw", 2)) {
			in = (unsigned long)addr >= lo && (unsigned long)addr < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			char tok[8];

			snprintf(tok, sizeof(tok), " %s", want);
			ok = strstr(line, tok) != NULL;
			break;
		}
	}
	fclose(f);
	return ok;
}

static void test_secret_buffer(void **state)
{
	struct secret s;
	int p[2], locked;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "secret\nhunter2", 14), 14);
	close(p[1]);
	assert_int_equal(secret_read(p[0], 64, &s, &locked), 0);
	close(p[0]);
	assert_int_equal(s.len, 14);
	assert_memory_equal(s.buf, "secret\nhunter2", 14);
	assert_true(flags_of(s.buf, "dd"));
	assert_false(flags_of(&locked, "dd")); /* the stack is dumped: the probe can tell */
	/* (AddressSanitizer's mlock() does nothing and says it did) */
	if (locked && !UNDER_ASAN)
		assert_true(flags_of(s.buf, "lo"));
	secret_free(&s);
	assert_null(s.buf);
	/* one byte more than allowed: refused, nothing kept */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(secret_read(p[0], 9, &s, &locked), -EFBIG);
	close(p[0]);
	assert_null(s.buf);
	/* a TCRYPT key file by path: sealed */
	{
		int fd = secret_memfd("keyfile", 7);
		char b[8];

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, b, sizeof(b), 0), 7);
		assert_int_equal(pwrite(fd, "x", 1, 0), -1);
		close(fd);
	}
}

static void test_helper_reply(void **state)
{
	char out[128];
	struct child_result r = { 0 };

	(void)state;
	r.out = "libcryptsetup noise\nerror wrong passphrase\n";
	r.out_len = strlen(r.out);
	r.status = 1;
	cryptrun_message(&r, out, sizeof(out));
	assert_string_equal(out, "wrong passphrase");
	r.out = "ok /dev/sdb1 opened as /dev/mapper/mediad-sdb1 (LUKS2)\n";
	r.out_len = strlen(r.out);
	r.status = 0;
	cryptrun_message(&r, out, sizeof(out));
	assert_string_equal(out, "/dev/sdb1 opened as /dev/mapper/mediad-sdb1 (LUKS2)");
	r.out = "error \x1b[31mred\n";
	r.out_len = strlen(r.out);
	cryptrun_message(&r, out, sizeof(out));
	assert_string_equal(out, "?[31mred");
	r.out = "";
	r.out_len = 0;
	r.status = -1;
	r.signal = 11;
	cryptrun_message(&r, out, sizeof(out));
	assert_non_null(strstr(out, "killed by signal 11"));
	r.timed_out = true;
	cryptrun_message(&r, out, sizeof(out));
	assert_string_equal(out, "timed out");
}

/* The new fields at their longest survive the record format. */
static void test_record_fields(void **state)
{
	static struct record r, back;
	static char buf[RECORD_MAX_BYTES];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(r.unlocked_as, 0x01, sizeof(r.unlocked_as) - 1);
	memset(r.container, 0x01, sizeof(r.container) - 1);
	memset(r.label, 0x01, sizeof(r.label) - 1);
	memset(r.mountpoint, 0x01, sizeof(r.mountpoint) - 1);
	n = record_format(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(record_parse(buf, (size_t)n, &back, NULL), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	assert_int_equal(record_parse("unlocked_as=KEYS\ncontainer=sdb1\n", 32, &back, NULL), 0);
	assert_string_equal(back.unlocked_as, "KEYS");
	assert_string_equal(back.container, "sdb1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_secret_header),
		cmocka_unit_test(test_map_name),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_cryptsys),
		cmocka_unit_test(test_cryptkey),
		cmocka_unit_test(test_secret_buffer),
		cmocka_unit_test(test_helper_reply),
		cmocka_unit_test(test_record_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
