/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/config.c: good files, every kind of bad line, and the
 * rule that a failed parse changes nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static int parse(struct config *c, const char *text, char *err)
{
	return config_parse(c, text, strlen(text), "test.conf", err);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.state_dir, "/run/mediad");
	assert_string_equal(c.media_dir, "/media");
	assert_int_equal(c.source, SOURCE_AUTO);
	assert_false(c.include_loop);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_string_equal(c.debugfs_dir, "/sys/kernel/debug");
	assert_int_equal(c.flush_idle, 1);
}

static void test_flush_idle(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF];

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c, "flush_idle = 0\n", err), 0);
	assert_int_equal(c.flush_idle, 0);
	assert_int_equal(parse(&c, "flush_idle = 3600\n", err), 0);
	assert_int_equal(c.flush_idle, 3600);
	assert_int_equal(parse(&c, "flush_idle = 3601\n", err), -EINVAL);
	assert_non_null(strstr(err, "flush_idle"));
	assert_int_equal(parse(&c, "flush_idle = -1\n", err), -EINVAL);
	assert_int_equal(c.flush_idle, 3600);
}

static void test_debugfs_dir(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF];

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c, "debugfs_dir = /tmp/dbg/\n", err), 0);
	assert_string_equal(c.debugfs_dir, "/tmp/dbg");
	assert_int_equal(parse(&c, "debugfs_dir = none\n", err), 0);
	assert_string_equal(c.debugfs_dir, "none");
}

static void test_good_file(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF];

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c,
			       "# comment\n"
			       "\n"
			       "  state_dir = /tmp/x/state/  \n"
			       "media_dir=/tmp/x/media\n"
			       "source = kernel\r\n"
			       "include_loop = yes\n"
			       "log_level = debug\n"
			       "ignore = UUID=1234-ABCD\n"
			       "ignore = LABEL=My # Label\n"
			       "ignore = sda1\n", err), 0);
	assert_string_equal(c.state_dir, "/tmp/x/state");
	assert_string_equal(c.media_dir, "/tmp/x/media");
	assert_int_equal(c.source, SOURCE_KERNEL);
	assert_true(c.include_loop);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.n_ignore, 3);
	assert_string_equal(c.ignore[1], "LABEL=My # Label");
}

static void expect_error(const char *text, const char *msg)
{
	struct config c, before;
	char err[CONFIG_ERR_BUF];

	config_defaults(&c);
	before = c;
	assert_int_equal(parse(&c, text, err), -22);
	if (!strstr(err, msg))
		fail_msg("error '%s' does not contain '%s'", err, msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_bad_lines(void **state)
{
	(void)state;
	expect_error("bogus = 1\n", "test.conf:1: unknown key 'bogus'");
	expect_error("source = kernel\njunk\n", "test.conf:2: expected 'key = value'");
	expect_error("source = sideways\n", "bad value for source");
	expect_error("include_loop = maybe\n", "bad value for include_loop");
	expect_error("include_loop = /a/../b\n", "absolute path");
	expect_error("log_level = loud\n", "bad value for log_level");
	expect_error("state_dir = relative\n", "absolute path");
	expect_error("state_dir = /a/../b\n", "absolute path");
	expect_error("media_dir = /a/..\n", "absolute path");
	expect_error("ignore =\n", "bad value for ignore");
	expect_error("debugfs_dir = debug\n", "absolute path");
	expect_error("debugfs_dir = /sys/../x\n", "absolute path");
	/* the first lines were good, the last bad: nothing applied */
	expect_error("include_loop = yes\nsource = udev\nx\n", "test.conf:3:");
}

/* A medium's error policy: never panic, whoever asks (finding 3 of
 * issue 14); remount-ro and continue are root's to choose. */
static void test_errors_policy(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF];

	(void)state;
	expect_error("options.ext4 = noatime,errors=panic\n",
		     "test.conf:1: options.ext4: option 'errors=panic' is refused");
	expect_error("options.ext2 = errors=panic\n", "never stop the machine");
	expect_error("options.ext3 = errors=Panic\n", "options.ext3: option 'errors=Panic'");
	expect_error("options.vfat = uid=0,errors=panic\n", "options.vfat: option 'errors=panic'");
	expect_error("options.exfat = errors=panic\n", "options.exfat: option 'errors=panic'");
	expect_error("options.ext4 = errors=\n", "'errors=' is refused");
	expect_error("options.ext4 = errors=remount-ro-and-more\n", "is refused");
	/* types without the option: not on their allow list at all */
	expect_error("options.ntfs = errors=panic\n", "not allowed for ntfs");
	expect_error("options.btrfs = fatal_errors=panic\n", "not allowed for btrfs");
	expect_error("options.f2fs = errors=remount-ro\n", "not allowed for f2fs");
	config_defaults(&c);
	assert_int_equal(parse(&c, "options.ext4 = noatime,errors=continue\n"
				   "options.vfat = errors=remount-ro\n", err), 0);
	assert_string_equal(c.type_options[opts_type_index("ext4")], "noatime,errors=continue");
	assert_string_equal(c.type_options[opts_type_index("vfat")], "errors=remount-ro");
}

static void test_nul_and_long_lines(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF], big[3000];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "source = udev\0x\n", 16, "t", err), -22);
	assert_non_null(strstr(err, "NUL"));
	memset(big, 'a', sizeof(big));
	assert_int_equal(config_parse(&c, big, sizeof(big), "t", err), -22);
	assert_non_null(strstr(err, "too long"));
}

static void test_too_many_ignores(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF], text[CONFIG_MAX_IGNORE * 20 + 40];
	size_t o = 0;

	(void)state;
	config_defaults(&c);
	for (int i = 0; i <= CONFIG_MAX_IGNORE; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "ignore = sd%d\n", i);
	assert_int_equal(parse(&c, text, err), -22);
	assert_non_null(strstr(err, "more than"));
}

static void test_load_file(void **state)
{
	struct config c;
	char err[CONFIG_ERR_BUF], path[] = "/tmp/mediad-test-conf-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "source = udev\n", 14), 14);
	close(fd);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, false, err), 0);
	assert_int_equal(c.source, SOURCE_UDEV);
	unlink(path);
	assert_int_equal(config_load(&c, path, true, err), 0);
	assert_int_equal(config_load(&c, path, false, err), -2);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_debugfs_dir),
		cmocka_unit_test(test_flush_idle),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_errors_policy),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_too_many_ignores),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
