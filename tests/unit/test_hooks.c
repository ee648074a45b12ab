/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/hooks.c's pure parts: the environment a hook gets
 * for a record (every variable, values passed byte for byte whatever they
 * hold, -ENOSPC rather than a cut value when it does not fit) and which
 * file names in hooks_dir are hooks at all. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "hooks.h"

#define N_VARS 23 /* what hooks_build_env sets, PATH included */

static struct config cfg;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "/run/mediad");
	snprintf(cfg.media_dir, sizeof(cfg.media_dir), "/media");
	return 0;
}

static struct record stick(void)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "KEYCHAIN");
	snprintf(r.kname, sizeof(r.kname), "sdb1");
	snprintf(r.devname, sizeof(r.devname), "/dev/sdb1");
	r.devmajor = 8;
	r.devminor = 17;
	snprintf(r.fstype, sizeof(r.fstype), "vfat");
	snprintf(r.label, sizeof(r.label), "KEYCHAIN");
	snprintf(r.uuid, sizeof(r.uuid), "1234-ABCD");
	snprintf(r.bus, sizeof(r.bus), "usb");
	snprintf(r.vendor, sizeof(r.vendor), "SanDisk");
	snprintf(r.model, sizeof(r.model), "Cruzer Blade");
	snprintf(r.serial, sizeof(r.serial), "4C530001");
	r.size = 16008609792ULL;
	r.readonly = false;
	r.removable = true;
	snprintf(r.mountpoint, sizeof(r.mountpoint), "/media/auto/KEYCHAIN");
	snprintf(r.options, sizeof(r.options), "nosuid,nodev,uid=1000");
	r.safe = true;
	snprintf(r.dirty_source, sizeof(r.dirty_source), "bdi");
	return r;
}

/* The value of KEY in env, or NULL. */
static const char *get(char **env, const char *key)
{
	size_t len = strlen(key);

	for (; *env; env++)
		if (!strncmp(*env, key, len) && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static size_t count(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	return n;
}

static void test_env_of_a_record(void **state)
{
	struct record r = stick();
	char buf[8192];
	char *env[32];

	(void)state;
	assert_int_equal(hooks_build_env("mount", &r, &cfg, buf, sizeof(buf), env, 32), 0);
	assert_int_equal(count(env), N_VARS);
	assert_string_equal(env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(get(env, "MEDIAD_EVENT"), "mount");
	assert_string_equal(get(env, "MEDIAD_NAME"), "KEYCHAIN");
	assert_string_equal(get(env, "MEDIAD_PATH"), "/media/list/KEYCHAIN");
	assert_string_equal(get(env, "MEDIAD_KNAME"), "sdb1");
	assert_string_equal(get(env, "MEDIAD_DEVNAME"), "/dev/sdb1");
	assert_string_equal(get(env, "MEDIAD_DEVNUM"), "8:17");
	assert_string_equal(get(env, "MEDIAD_FSTYPE"), "vfat");
	assert_string_equal(get(env, "MEDIAD_LABEL"), "KEYCHAIN");
	assert_string_equal(get(env, "MEDIAD_UUID"), "1234-ABCD");
	assert_string_equal(get(env, "MEDIAD_BUS"), "usb");
	assert_string_equal(get(env, "MEDIAD_VENDOR"), "SanDisk");
	assert_string_equal(get(env, "MEDIAD_MODEL"), "Cruzer Blade");
	assert_string_equal(get(env, "MEDIAD_SERIAL"), "4C530001");
	assert_string_equal(get(env, "MEDIAD_SIZE"), "16008609792");
	assert_string_equal(get(env, "MEDIAD_READONLY"), "0");
	assert_string_equal(get(env, "MEDIAD_REMOVABLE"), "1");
	assert_string_equal(get(env, "MEDIAD_MOUNTPOINT"), "/media/auto/KEYCHAIN");
	assert_string_equal(get(env, "MEDIAD_OPTIONS"), "nosuid,nodev,uid=1000");
	assert_string_equal(get(env, "MEDIAD_SAFE"), "1");
	assert_string_equal(get(env, "MEDIAD_DIRTY_SOURCE"), "bdi");
	assert_string_equal(get(env, "MEDIAD_STATE_DIR"), "/run/mediad");
	assert_string_equal(get(env, "MEDIAD_MEDIA_DIR"), "/media");
	/* every entry is in buf: the caller owns all of it */
	for (char **e = env; *e; e++)
		assert_in_range((uintptr_t)*e, (uintptr_t)buf, (uintptr_t)buf + sizeof(buf) - 1);
}

static void test_env_flags_and_empty_values(void **state)
{
	struct record r = stick();
	char buf[8192];
	char *env[32];

	(void)state;
	/* an unmounted, read-only, internal, not yet measured medium */
	r.mountpoint[0] = r.label[0] = r.serial[0] = r.dirty_source[0] = '\0';
	r.readonly = true;
	r.removable = false;
	r.safe = false;
	r.size = 0;
	r.devmajor = 259;
	r.devminor = 1048575;
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, sizeof(buf), env, 32), 0);
	assert_int_equal(count(env), N_VARS);
	/* empty, but there: a hook can tell "empty" from "not set" */
	assert_string_equal(get(env, "MEDIAD_MOUNTPOINT"), "");
	assert_string_equal(get(env, "MEDIAD_LABEL"), "");
	assert_string_equal(get(env, "MEDIAD_SERIAL"), "");
	assert_string_equal(get(env, "MEDIAD_DIRTY_SOURCE"), "");
	assert_string_equal(get(env, "MEDIAD_READONLY"), "1");
	assert_string_equal(get(env, "MEDIAD_REMOVABLE"), "0");
	assert_string_equal(get(env, "MEDIAD_SAFE"), "0");
	assert_string_equal(get(env, "MEDIAD_SIZE"), "0");
	assert_string_equal(get(env, "MEDIAD_DEVNUM"), "259:1048575");
}

static void test_env_odd_bytes(void **state)
{
	static const char *const labels[] = {
		"a=b=c",                    /* '=' inside a value */
		"$(reboot) `id` ; | & > <", /* shell syntax: a value, never code */
		"line\nbreak\r\ttab",       /* control bytes */
		"\xff\xfe not UTF-8 \x80",  /* invalid UTF-8 */
		"caf\xc3\xa9 \xe2\x80\xae", /* UTF-8, and a bidi override */
		" leading and trailing ",
		"'\"\\",
		"MEDIAD_NAME=evil",         /* looks like another variable */
	};
	char buf[8192];
	char *env[32];

	(void)state;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		struct record r = stick();

		snprintf(r.label, sizeof(r.label), "%s", labels[i]);
		snprintf(r.mountpoint, sizeof(r.mountpoint), "/media/auto/%s", labels[i]);
		assert_int_equal(hooks_build_env("add", &r, &cfg, buf, sizeof(buf), env, 32), 0);
		assert_int_equal(count(env), N_VARS);
		/* byte for byte, and nothing else changed by it */
		assert_string_equal(get(env, "MEDIAD_LABEL"), labels[i]);
		assert_memory_equal(get(env, "MEDIAD_MOUNTPOINT"), "/media/auto/", 12);
		assert_string_equal(get(env, "MEDIAD_MOUNTPOINT") + 12, labels[i]);
		assert_string_equal(get(env, "MEDIAD_NAME"), "KEYCHAIN");
		assert_string_equal(get(env, "MEDIAD_UUID"), "1234-ABCD");
	}
}

/* The bytes the whole environment takes: each "KEY=VALUE" and its NUL. */
static size_t env_bytes(char **env)
{
	size_t n = 0;

	for (; *env; env++)
		n += strlen(*env) + 1;
	return n;
}

static void test_env_too_large(void **state)
{
	struct record r = stick();
	char big[8192], buf[8192];
	char *env[32];
	size_t need;

	(void)state;
	assert_int_equal(hooks_build_env("add", &r, &cfg, big, sizeof(big), env, 32), 0);
	need = env_bytes(env);
	/* exactly enough bytes: fits; one fewer: ENOSPC, not a cut value */
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, need, env, 32), 0);
	assert_string_equal(get(env, "MEDIAD_MEDIA_DIR"), "/media");
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, need - 1, env, 32), -ENOSPC);
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, 1, env, 32), -ENOSPC);
	/* entries: N_VARS and the NULL; one slot fewer is too few */
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, sizeof(buf), env, N_VARS + 1), 0);
	assert_null(env[N_VARS]);
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, sizeof(buf), env, N_VARS),
			 -ENOSPC);
	assert_int_equal(hooks_build_env("add", &r, &cfg, buf, sizeof(buf), env, 1), -ENOSPC);
}

static void test_env_longest_record_fits(void **state)
{
	struct record r = stick();
	char buf[8192]; /* the size of the daemon's own buffer */
	char *env[32];

	(void)state;
	/* every field at its longest (labels and mount points of hostile
	 * media are): the environment still fits, none is cut */
	memset(r.name, 'N', sizeof(r.name) - 1);
	memset(r.kname, 'k', sizeof(r.kname) - 1);
	memset(r.devname, 'd', sizeof(r.devname) - 1);
	memset(r.fstype, 'f', sizeof(r.fstype) - 1);
	memset(r.label, 'L', sizeof(r.label) - 1);
	memset(r.uuid, 'u', sizeof(r.uuid) - 1);
	memset(r.bus, 'b', sizeof(r.bus) - 1);
	memset(r.vendor, 'v', sizeof(r.vendor) - 1);
	memset(r.model, 'm', sizeof(r.model) - 1);
	memset(r.serial, 's', sizeof(r.serial) - 1);
	memset(r.mountpoint, 'p', sizeof(r.mountpoint) - 1);
	memset(r.options, 'o', sizeof(r.options) - 1);
	memset(r.dirty_source, 'x', sizeof(r.dirty_source) - 1);
	memset(cfg.state_dir, 'S', sizeof(cfg.state_dir) - 1);
	memset(cfg.media_dir, 'M', sizeof(cfg.media_dir) - 1);
	r.size = UINT64_MAX;
	r.devmajor = r.devminor = 0xffffffffu;
	assert_int_equal(hooks_build_env("unmount", &r, &cfg, buf, sizeof(buf), env, 32), 0);
	assert_int_equal(count(env), N_VARS);
	assert_int_equal(strlen(get(env, "MEDIAD_LABEL")), sizeof(r.label) - 1);
	assert_int_equal(strlen(get(env, "MEDIAD_MOUNTPOINT")), sizeof(r.mountpoint) - 1);
	assert_int_equal(strlen(get(env, "MEDIAD_PATH")),
			 strlen(cfg.media_dir) + strlen("/list/") + strlen(r.name));
	assert_string_equal(get(env, "MEDIAD_SIZE"), "18446744073709551615");
	assert_string_equal(get(env, "MEDIAD_DEVNUM"), "4294967295:4294967295");
}

static void test_name_ok(void **state)
{
	static const char *const good[] = {
		"10-log", "notify", "a", "99_last.sh", "dpkg-hook", "rpm", "swp", "a.swpx",
		"x~y", "with space", "caf\xc3\xa9",
	};
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "10-log~", "~", "hook.dpkg-old", "hook.dpkg-new",
		"hook.dpkg-dist", "hook.rpmsave", "hook.rpmnew", "hook.rpm", ".hook.swp",
		"hook.swp",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!hooks_name_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hooks_name_ok(bad[i]))
			fail_msg("'%s' taken for a hook", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_env_of_a_record, setup),
		cmocka_unit_test_setup(test_env_flags_and_empty_values, setup),
		cmocka_unit_test_setup(test_env_odd_bytes, setup),
		cmocka_unit_test_setup(test_env_too_large, setup),
		cmocka_unit_test_setup(test_env_longest_record_fits, setup),
		cmocka_unit_test(test_name_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
