/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad.conf: "key = value" lines, '#' starts a comment line. Read by the
 * daemon, by auto.media (for state_dir) and by medialist. A bad line is an
 * error naming file and line; nothing is half-applied. */
#ifndef MEDIAD_CONFIG_H
#define MEDIAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

#define CONFIG_DEFAULT_PATH "/etc/mediad.conf"
#define CONFIG_MAX_IGNORE 64
#define CONFIG_ERR_BUF 512

enum source { SOURCE_AUTO, SOURCE_UDEV, SOURCE_KERNEL };

struct config {
	char state_dir[256];
	char media_dir[256];
	enum source source;
	bool include_loop;
	/* with include_loop: only loop devices whose backing file lies under
	 * this directory ("" = all); set by "include_loop = /some/dir" */
	char loop_dir[256];
	int log_level; /* syslog priority: LOG_ERR .. LOG_DEBUG */
	/* "UUID=x", "LABEL=x" or a device ("sdb1", "/dev/sdb1"); raw bytes */
	char ignore[CONFIG_MAX_IGNORE][256];
	unsigned n_ignore;

	/* mount-option policy (lib/options.h) */
	char mount_user[64]; /* user name or uid; "" = uid 1000 if any, else root */
	bool noexec;
	bool internal_rw;
	unsigned expire_timeout; /* seconds idle before autofs unmounts */
	char type_options[16][OPTS_BUF]; /* options.TYPE, by opts_type_index() */

	/* control socket and hooks */
	char allow_group[64]; /* may eject/unmount/mount through the socket */
	char hooks_dir[256];
	unsigned hook_timeout; /* seconds */
	unsigned probe_timeout; /* seconds */
	/* where debugfs is mounted: per-device dirty counters (bdi/MAJ:MIN/
	 * stats); "none", or a directory without bdi/, means the global
	 * counters of /proc/meminfo (daemon/dirty.c) */
	char debugfs_dir[256];
	/* seconds without write activity after which mediad flushes a
	 * medium that is mounted read-write and still has data to write;
	 * 0: never, the kernel's own writeback only (daemon/idleflush.c) */
	unsigned flush_idle;
	/* encrypted media (daemon/cryptctl.c): a root-only directory of key
	 * files named after the containers' UUIDs ("" = no auto-unlock); the
	 * unlock helper's deadline (seconds) and address-space bound (MiB,
	 * room for argon2's memory cost) */
	char key_dir[256];
	unsigned unlock_timeout;
	unsigned unlock_memory;
};

void config_defaults(struct config *c);

/* Applies one "key = value" setting (also used for command-line overrides).
 * Returns 0 or -EINVAL with a message in err (CONFIG_ERR_BUF bytes). */
int config_set(struct config *c, const char *key, const char *value, char *err);

/* Reads path on top of c. A missing file is not an error when
 * missing_ok. On error c is unchanged, err says "path:line: why", and the
 * return is -errno or -EINVAL. */
int config_load(struct config *c, const char *path, bool missing_ok, char *err);

/* Parses a buffer (for tests and fuzzing); name is used in messages. */
int config_parse(struct config *c, const char *buf, size_t len,
		 const char *name, char *err);

/* Checks rules that span keys (options.TYPE with exec against noexec).
 * config_parse() calls it; command-line overrides call it again. */
int config_check(const struct config *c, char *err);

const char *config_source_name(enum source s);

#endif
