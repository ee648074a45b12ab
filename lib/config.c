/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config parsing. Input is untrusted text (a config file may be edited by
 * hand and is fuzzed): bounded copies only, and a failed parse leaves the
 * caller's configuration exactly as it was. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (64 * 1024)

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, "/run/mediad");
	strcpy(c->media_dir, "/media");
	c->source = SOURCE_AUTO;
	c->include_loop = false;
	c->log_level = LOG_INFO;
	c->expire_timeout = 3;
	strcpy(c->allow_group, "plugdev");
	strcpy(c->hooks_dir, "/etc/mediad/hooks.d");
	c->hook_timeout = 10;
	c->probe_timeout = 10;
	strcpy(c->debugfs_dir, "/sys/kernel/debug");
	c->flush_idle = 1;
	c->unlock_timeout = 60;
	/* cryptsetup's default argon2 cost is at most 1 GiB; the helper's
	 * libraries, threads and stacks need room beside it */
	c->unlock_memory = 1280;
}

static int set_uint(unsigned *u, const char *v, unsigned min, unsigned max)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*u = (unsigned)n;
	return 0;
}

/* user and group names: what useradd accepts, or a number */
static int set_account(char *dst, size_t size, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len >= size || v[0] == '-')
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' ||
		      v[i] == '.'))
			return -EINVAL;
	memcpy(dst, v, len + 1);
	return 0;
}

const char *config_source_name(enum source s)
{
	switch (s) {
	case SOURCE_UDEV:
		return "udev";
	case SOURCE_KERNEL:
		return "kernel";
	default:
		return "auto";
	}
}

static int set_bool(bool *b, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static int set_path(char *dst, size_t size, const char *v, char *err,
		    const char *key)
{
	size_t len = strlen(v);

	if (v[0] != '/' || len >= size || strstr(v, "/../") ||
	    (len >= 3 && !strcmp(v + len - 3, "/.."))) {
		snprintf(err, CONFIG_ERR_BUF,
			 "%s must be an absolute path without '..' (at most %zu bytes)",
			 key, size - 1);
		return -EINVAL;
	}
	memcpy(dst, v, len + 1);
	/* One canonical form: no trailing slash (except "/" itself). */
	while (len > 1 && dst[len - 1] == '/')
		dst[--len] = '\0';
	return 0;
}

static const char *const level_names[] = {
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static int badval(const char *key, const char *v, char *err)
{
	snprintf(err, CONFIG_ERR_BUF, "bad value for %s: '%.64s'", key, v);
	return -EINVAL;
}

int config_set(struct config *c, const char *key, const char *v, char *err)
{
	if (!strcmp(key, "state_dir"))
		return set_path(c->state_dir, sizeof(c->state_dir), v, err, key);
	if (!strcmp(key, "media_dir"))
		return set_path(c->media_dir, sizeof(c->media_dir), v, err, key);
	if (!strcmp(key, "source")) {
		if (!strcmp(v, "auto"))
			c->source = SOURCE_AUTO;
		else if (!strcmp(v, "udev"))
			c->source = SOURCE_UDEV;
		else if (!strcmp(v, "kernel"))
			c->source = SOURCE_KERNEL;
		else
			goto badval;
		return 0;
	}
	if (!strcmp(key, "include_loop")) {
		/* yes, no, or a directory: loop devices backed by files in it
		 * (ISO images kept in one place, or one test run's images) */
		if (v[0] == '/') {
			if (set_path(c->loop_dir, sizeof(c->loop_dir), v, err, key) < 0)
				return -EINVAL;
			c->include_loop = true;
			return 0;
		}
		if (set_bool(&c->include_loop, v) < 0)
			goto badval;
		c->loop_dir[0] = '\0';
		return 0;
	}
	if (!strcmp(key, "log_level")) {
		for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
			if (level_names[i] && !strcmp(v, level_names[i])) {
				c->log_level = i;
				return 0;
			}
		goto badval;
	}
	if (!strcmp(key, "ignore")) {
		if (c->n_ignore >= CONFIG_MAX_IGNORE) {
			snprintf(err, CONFIG_ERR_BUF, "more than %d ignore entries",
				 CONFIG_MAX_IGNORE);
			return -EINVAL;
		}
		if (!*v || strlen(v) >= sizeof(c->ignore[0]))
			goto badval;
		strcpy(c->ignore[c->n_ignore++], v);
		return 0;
	}
	if (!strcmp(key, "mount_user"))
		return set_account(c->mount_user, sizeof(c->mount_user), v) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "allow_group"))
		return set_account(c->allow_group, sizeof(c->allow_group), v) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "noexec"))
		return set_bool(&c->noexec, v) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "internal_rw"))
		return set_bool(&c->internal_rw, v) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "expire_timeout"))
		return set_uint(&c->expire_timeout, v, 1, 86400) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "hook_timeout"))
		return set_uint(&c->hook_timeout, v, 1, 3600) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "probe_timeout"))
		return set_uint(&c->probe_timeout, v, 1, 600) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "flush_idle"))
		return set_uint(&c->flush_idle, v, 0, 3600) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "unlock_timeout"))
		return set_uint(&c->unlock_timeout, v, 5, 600) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "unlock_memory")) /* MiB; LUKS2 allows argon2 up to 4 GiB */
		return set_uint(&c->unlock_memory, v, 64, 8192) < 0 ? badval(key, v, err) : 0;
	if (!strcmp(key, "key_dir")) {
		if (!strcmp(v, "none")) {
			c->key_dir[0] = '\0';
			return 0;
		}
		return set_path(c->key_dir, sizeof(c->key_dir), v, err, key);
	}
	if (!strcmp(key, "hooks_dir"))
		return set_path(c->hooks_dir, sizeof(c->hooks_dir), v, err, key);
	if (!strcmp(key, "debugfs_dir")) {
		if (!strcmp(v, "none")) {
			strcpy(c->debugfs_dir, "none");
			return 0;
		}
		return set_path(c->debugfs_dir, sizeof(c->debugfs_dir), v, err, key);
	}
	if (!strncmp(key, "options.", 8)) {
		int i = opts_type_index(key + 8);
		char why[200];

		if (i < 0) {
			snprintf(err, CONFIG_ERR_BUF, "%.64s: mediad does not mount type '%.32s'",
				 key, key + 8);
			return -EINVAL;
		}
		/* noexec is checked against the final configuration by
		 * config_check(): the key may come later in the file. */
		if (strlen(v) >= sizeof(c->type_options[0]) ||
		    opts_check_override(key + 8, v, false, why, sizeof(why)) < 0) {
			snprintf(err, CONFIG_ERR_BUF, "%.64s: %s", key, why);
			return -EINVAL;
		}
		strcpy(c->type_options[i], v);
		return 0;
	}
	snprintf(err, CONFIG_ERR_BUF, "unknown key '%.64s'", key);
	return -EINVAL;
badval:
	snprintf(err, CONFIG_ERR_BUF, "bad value for %s: '%.64s'", key, v);
	return -EINVAL;
}

int config_check(const struct config *c, char *err)
{
	for (size_t i = 0; i < sizeof(c->type_options) / sizeof(c->type_options[0]); i++) {
		const char *o = c->type_options[i];
		size_t len = strlen(o);

		if (!c->noexec || !len)
			continue;
		/* "exec" as a whole comma-separated word */
		for (const char *s = o; (s = strstr(s, "exec")); s += 4) {
			if ((s == o || s[-1] == ',') && (s[4] == ',' || s[4] == '\0')) {
				snprintf(err, CONFIG_ERR_BUF,
					 "options for %s: 'exec' conflicts with noexec = yes",
					 opts_type_name((int)i));
				return -EINVAL;
			}
		}
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int config_parse(struct config *out, const char *buf, size_t len,
		 const char *name, char *err)
{
	/* Parse into a copy so a bad file changes nothing. The copy is large
	 * (ignore list), so it lives on the heap. */
	struct config *c = malloc(sizeof(*c));
	char line[1024];
	size_t pos = 0;
	int lineno = 0;

	if (!c) {
		snprintf(err, CONFIG_ERR_BUF, "%s: out of memory", name);
		return -ENOMEM;
	}
	*c = *out;
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - start) : len - pos;
		char why[CONFIG_ERR_BUF];
		char *key, *val, *eq;

		pos += llen + (nl ? 1 : 0);
		lineno++;
		if (llen >= sizeof(line)) {
			snprintf(err, CONFIG_ERR_BUF, "%s:%d: line too long", name, lineno);
			goto fail;
		}
		memcpy(line, start, llen);
		line[llen] = '\0';
		if (memchr(line, '\0', llen)) {
			snprintf(err, CONFIG_ERR_BUF, "%s:%d: NUL byte", name, lineno);
			goto fail;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, CONFIG_ERR_BUF, "%s:%d: expected 'key = value'",
				 name, lineno);
			goto fail;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if (config_set(c, key, val, why) < 0) {
			snprintf(err, CONFIG_ERR_BUF, "%.200s:%d: %.280s", name, lineno, why);
			goto fail;
		}
	}
	if (config_check(c, err) < 0) {
		char why[CONFIG_ERR_BUF];

		memcpy(why, err, sizeof(why));
		snprintf(err, CONFIG_ERR_BUF, "%.200s: %.280s", name, why);
		goto fail;
	}
	*out = *c;
	free(c);
	return 0;
fail:
	free(c);
	return -EINVAL;
}

int config_load(struct config *c, const char *path, bool missing_ok, char *err)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok)
			return 0;
		snprintf(err, CONFIG_ERR_BUF, "%s: %s", path, strerror(-r));
		return r;
	}
	buf = malloc(CONFIG_MAX_BYTES);
	if (!buf) {
		close(fd);
		snprintf(err, CONFIG_ERR_BUF, "%s: out of memory", path);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, CONFIG_MAX_BYTES - len)) > 0)
		len += (size_t)n;
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		snprintf(err, CONFIG_ERR_BUF, "%s: %s", path, strerror(-r));
	else if (len == CONFIG_MAX_BYTES) {
		snprintf(err, CONFIG_ERR_BUF, "%s: larger than %d bytes", path,
			 CONFIG_MAX_BYTES);
		r = -EFBIG;
	} else
		r = config_parse(c, buf, len, path, err);
	free(buf);
	return r;
}
