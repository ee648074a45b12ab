/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 * against the type's allow list; errors= may only be remount-ro or
 * continue. Returns 0 or -EINVAL with a reason. */
int opts_check_override(const char *fstype, const char *options, bool noexec,
			char *why, size_t why_size);

/* "errors=remount-ro" for a kernel type (as passed to mount(2): "ext4",
 * "vfat") whose driver has an error policy, NULL for the others. Every
 * mount of such a type names its policy (opts_for, fallback_plan). */
const char *opts_errors_word(const char *mounttype);

/* True when opts holds an errors=VALUE word, whatever the value. */
bool opts_has_errors(const char *opts);

/* "barrier" for a kernel type whose superblock can turn the device's
 * cache flushes off (ext3, ext4), NULL for the others: opts_for names it
 * unless the options say barrier or nobarrier (opts_has_barrier). */
const char *opts_barrier_word(const char *mounttype);
bool opts_has_barrier(const char *opts);

/* -EPERM, with the word in why, when options hold suid, dev or an errors=
 * other than remount-ro and continue; else 0. */
int opts_refuse_unsafe(const char *options, char *why, size_t why_size);

/* The last check before mount.mediad mounts, whoever wrote the options
 * (the record, a hand-made map entry): opts_refuse_unsafe(), then writes
 * to out (size bytes) "nosuid,nodev" followed by options without nosuid
 * and nodev. Returns 0, -EPERM or -ENOSPC. */
int opts_enforce(const char *options, char *out, size_t size, char *why, size_t why_size);

/* True when word is one of the comma-separated options in opts. */
bool opts_has(const char *opts, const char *word);

/* Appends word (len bytes) to the comma-separated list in buf (size
 * bytes, *used of them in use, NUL-terminated). Returns 0 or -ENOSPC
 * (buf unchanged). */
int opts_append_word(char *buf, size_t size, size_t *used, const char *word, size_t len);

#endif
