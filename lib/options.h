/* The mount-option contract: the one table that decides which filesystem
 * types mediad offers for mounting and with which options. Used by the
 * daemon only (it writes the result into each record); auto.media just
 * passes on what the record says. */
#ifndef MEDIAD_OPTIONS_H
#define MEDIAD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OPTS_BUF 512
#define OPTS_TYPE_BUF 32

struct opts_policy {
	uid_t uid;          /* owner of files on FAT-like filesystems */
	gid_t gid;
	bool noexec;        /* add noexec everywhere */
	bool internal_rw;   /* internal disks may be mounted read-write */
	bool have_ntfs3;    /* the kernel has ntfs3; else ntfs-3g (FUSE) */
	/* per-type overrides (config options.TYPE), already validated;
	 * indexed like opts_types(); NULL when not overridden */
	const char *override[16];
};

/* What to mount medium of blkid type fstype as. readonly: the device is
 * read-only; internal: a non-removable disk. Writes the type to pass to
 * mount (e.g. "ntfs3" for blkid's "ntfs") and the full option string.
 * Returns 0, or -EPROTONOSUPPORT when mediad never mounts this type. */
int opts_for(const struct opts_policy *p, const char *fstype, bool readonly,
	     bool internal, char mounttype[OPTS_TYPE_BUF], char options[OPTS_BUF]);

/* Index of a mountable blkid type in the policy table, or -1. */
int opts_type_index(const char *fstype);

/* The blkid type name at index i (opts_type_index's inverse), or "?". */
const char *opts_type_name(int i);

/* Checks a user-supplied option string for type (config options.TYPE)
 * against the type's allow list. Returns 0 or -EINVAL with a reason. */
int opts_check_override(const char *fstype, const char *options, bool noexec,
			char *why, size_t why_size);

/* True when word is one of the comma-separated options in opts. */
bool opts_has(const char *opts, const char *word);

/* Appends word (len bytes) to the comma-separated list in buf (size
 * bytes, *used of them in use, NUL-terminated). Returns 0 or -ENOSPC
 * (buf unchanged). */
int opts_append_word(char *buf, size_t size, size_t *used, const char *word, size_t len);

#endif
