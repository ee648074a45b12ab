/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount-option policy table. Everything here is decided once per medium in
 * the daemon; nothing here may ever produce suid, dev, (with noexec) exec
 * or an error policy that panics the kernel, whatever the configuration
 * or the medium says. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { FAT_LIKE = 1, FORCE_RO = 2 };

struct fstype_policy {
	const char *blkid_type;
	const char *mount_type;  /* NULL: same as blkid_type */
	unsigned flags;
	const char *defaults;    /* type-specific options; uid/gid appended */
	const char *allowed;     /* override allow list, space separated;
				  * "name=" allows any safe value */
};

/* Options every type may use in an override. */
static const char common_allowed[] =
	"ro rw noatime relatime nodiratime lazytime sync dirsync noexec exec";

static const struct fstype_policy table[] = {
	{ "vfat", NULL, FAT_LIKE, "fmask=0133,dmask=0022,shortname=mixed,utf8,flush",
	  "uid= gid= fmask= dmask= umask= shortname= utf8 flush iocharset= codepage= errors= tz= time_offset= showexec quiet discard" },
	{ "exfat", NULL, FAT_LIKE, "fmask=0133,dmask=0022",
	  "uid= gid= fmask= dmask= umask= iocharset= errors= discard time_offset=" },
	{ "ntfs", NULL, FAT_LIKE, NULL,
	  "uid= gid= fmask= dmask= umask= windows_names iocharset= discard prealloc hide_dot_files" },
	{ "ext2", NULL, 0, NULL, "errors= discard nodiscard noload" },
	{ "ext3", NULL, 0, NULL, "errors= data= barrier nobarrier discard nodiscard noload" },
	{ "ext4", NULL, 0, NULL, "errors= data= barrier nobarrier discard nodiscard noload" },
	{ "btrfs", NULL, 0, NULL, "compress= compress-force= ssd nossd discard nodiscard autodefrag subvol= subvolid=" },
	{ "xfs", NULL, 0, NULL, "discard nodiscard norecovery inode64 logbufs=" },
	{ "f2fs", NULL, 0, NULL, "discard nodiscard" },
	{ "hfsplus", NULL, 0, NULL, "uid= gid= umask= force" },
	{ "iso9660", NULL, FORCE_RO, NULL, "uid= gid= mode= dmode= iocharset= utf8 norock nojoliet unhide" },
	{ "udf", NULL, FORCE_RO, NULL, "uid= gid= mode= dmode= iocharset= utf8" },
	{ "squashfs", NULL, FORCE_RO, NULL, "" },
	{ "erofs", NULL, FORCE_RO, NULL, "" },
};

#define N_TYPES (sizeof(table) / sizeof(table[0]))

/* The error policy, per kernel driver. Without errors= on the mount, ext2/3/4
 * take the policy from the superblock, which the stick writes: "tune2fs -e
 * panic" plus one bad block panics the machine on a mere lookup (the class of
 * udisks' CVE-2021-3802). So every mount of a driver that has the option
 * names one; remount-ro where the driver supports it: the data stays
 * readable and nothing more is written to a damaged filesystem. In Debian
 * 12's kernel (6.1) errors= exists for ext2/3/4 (remount-ro, continue,
 * panic), vfat (FAT: the same three, remount-ro its default) and exfat (the
 * same three, remount-ro its default); we name it for those two as well so
 * no default can change under us. ntfs3 has no such option in 6.1, and
 * ntfs-3g runs in user space. f2fs gained errors= only in 6.4 (an unknown
 * option fails the mount in 6.1; the stick cannot set its policy), btrfs's
 * fatal_errors=panic is not on its allow list, xfs takes its error
 * configuration from sysfs, and iso9660, udf, squashfs, erofs and hfsplus
 * have no policy a medium can choose. */
static const char *const errors_types[] = { "ext2", "ext3", "ext4", "vfat", "exfat" };

const char *opts_errors_word(const char *mounttype)
{
	for (size_t i = 0; i < sizeof(errors_types) / sizeof(errors_types[0]); i++)
		if (!strcmp(errors_types[i], mounttype))
			return "errors=remount-ro";
	return NULL;
}

/* The write-cache policy. Without barrier on the mount, ext3/4 take it
 * from the superblock, which the stick writes ("tune2fs -o nobarrier", or
 * "nobarrier" in its default mount options): then neither the journal's
 * commits nor syncfs flush the device's volatile write cache, and a stick
 * mediad calls safe to remove may still hold the last writes in that
 * cache. So every ext3/4 mount names barrier, unless root's options.TYPE
 * chose barrier or nobarrier itself. (ext2 has no journal and may be
 * mounted by a driver that knows no barrier option.) */
const char *opts_barrier_word(const char *mounttype)
{
	return !strcmp(mounttype, "ext3") || !strcmp(mounttype, "ext4") ? "barrier" : NULL;
}

bool opts_has_barrier(const char *opts)
{
	return opts_has(opts, "barrier") || opts_has(opts, "nobarrier");
}

/* The comma-separated word at s (len bytes) is an errors= setting; *ok
 * says whether mediad allows its value: remount-ro, or continue (a choice
 * for root's configuration; it keeps the kernel up). Never panic. */
static bool errors_setting(const char *s, size_t len, bool *ok)
{
	if (len < 7 || memcmp(s, "errors=", 7))
		return false;
	*ok = (len == 17 && !memcmp(s + 7, "remount-ro", 10)) ||
	      (len == 15 && !memcmp(s + 7, "continue", 8));
	return true;
}

bool opts_has_errors(const char *opts)
{
	for (const char *s = opts; *s;) {
		size_t len = strcspn(s, ",");
		bool ok;

		if (errors_setting(s, len, &ok))
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

int opts_type_index(const char *fstype)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (!strcmp(table[i].blkid_type, fstype))
			return (int)i;
	return -1;
}

const char *opts_type_name(int i)
{
	return i >= 0 && (size_t)i < N_TYPES ? table[i].blkid_type : "?";
}

_Static_assert(N_TYPES <= sizeof(((struct opts_policy *)0)->override) /
			       sizeof(((struct opts_policy *)0)->override[0]),
	       "opts_policy.override must have a slot per type");

static int append(char *buf, size_t *len, const char *piece)
{
	int n;

	if (!piece || !*piece)
		return 0;
	n = snprintf(buf + *len, OPTS_BUF - *len, "%s%s", *len ? "," : "", piece);
	if (n < 0 || (size_t)n >= OPTS_BUF - *len)
		return -ENOSPC;
	*len += (size_t)n;
	return 0;
}

int opts_for(const struct opts_policy *p, const char *fstype, bool readonly,
	     bool internal, char mounttype[OPTS_TYPE_BUF], char options[OPTS_BUF])
{
	int i = opts_type_index(fstype);
	const struct fstype_policy *t;
	const char *mtype;
	bool ro;
	size_t len = 0;
	char ids[64];
	int r = 0;

	if (i < 0)
		return -EPROTONOSUPPORT;
	t = &table[i];
	mtype = t->mount_type ? t->mount_type : t->blkid_type;
	if (!strcmp(fstype, "ntfs"))
		mtype = p->have_ntfs3 ? "ntfs3" : "ntfs-3g";
	snprintf(mounttype, OPTS_TYPE_BUF, "%s", mtype);
	ro = readonly || (t->flags & FORCE_RO) || (internal && !p->internal_rw);
	options[0] = '\0';
	r |= append(options, &len, "nosuid,nodev");
	if (p->noexec)
		r |= append(options, &len, "noexec");
	if (ro)
		r |= append(options, &len, "ro");
	if (p->override[i]) {
		r |= append(options, &len, p->override[i]);
	} else {
		if (t->flags & FAT_LIKE) {
			snprintf(ids, sizeof(ids), "uid=%u,gid=%u", (unsigned)p->uid,
				 (unsigned)p->gid);
			r |= append(options, &len, ids);
		}
		r |= append(options, &len, t->defaults);
		if (!strcmp(mtype, "ntfs3"))
			r |= append(options, &len, "fmask=0133,dmask=0022");
		else if (!strcmp(mtype, "ntfs-3g"))
			r |= append(options, &len, "fmask=0133,dmask=0022,windows_names");
	}
	/* an override may name remount-ro or continue itself; else ours */
	if (opts_errors_word(mtype) && !opts_has_errors(options))
		r |= append(options, &len, opts_errors_word(mtype));
	/* the same for the write cache: root may name nobarrier */
	if (opts_barrier_word(mtype) && !opts_has_barrier(options))
		r |= append(options, &len, opts_barrier_word(mtype));
	return r ? -ENOSPC : 0;
}

bool opts_has(const char *opts, const char *word)
{
	size_t wlen = strlen(word);

	for (const char *s = opts; *s;) {
		size_t len = strcspn(s, ",");

		if (len == wlen && !memcmp(s, word, len))
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

int opts_append_word(char *buf, size_t size, size_t *used, const char *word, size_t len)
{
	size_t o = *used;

	if (o + len + 2 > size)
		return -ENOSPC;
	if (o)
		buf[o++] = ',';
	memcpy(buf + o, word, len);
	o += len;
	buf[o] = '\0';
	*used = o;
	return 0;
}

/* True when word (wlen bytes) is in the space-separated list; entries
 * ending in '=' match any "name=value". */
static bool in_list(const char *list, const char *word, size_t wlen)
{
	const char *eq = memchr(word, '=', wlen);
	size_t nlen = eq ? (size_t)(eq - word) + 1 : wlen;

	for (const char *s = list; *s;) {
		size_t elen = strcspn(s, " ");

		if (elen == nlen && !memcmp(s, word, nlen))
			return true;
		s += elen;
		while (*s == ' ')
			s++;
	}
	return false;
}

int opts_check_override(const char *fstype, const char *options, bool noexec,
			char *why, size_t why_size)
{
	int i = opts_type_index(fstype);

	if (i < 0) {
		snprintf(why, why_size, "mediad does not mount type '%.32s'", fstype);
		return -EINVAL;
	}
	for (const char *s = options; *s;) {
		size_t wlen = strcspn(s, ",");
		bool ok;

		for (size_t k = 0; k < wlen; k++) {
			char c = s[k];

			/* values stay inside autofs map syntax and mount(8)'s
			 * option parser: no quotes, spaces, '&', '$', '\' */
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '=' || c == '_' ||
			      c == '-' || c == '.' || c == ':')) {
				snprintf(why, why_size, "bad character in option '%.*s'",
					 (int)(wlen > 64 ? 64 : wlen), s);
				return -EINVAL;
			}
		}
		if (wlen == 0 || (!in_list(common_allowed, s, wlen) &&
				  !in_list(table[i].allowed, s, wlen))) {
			snprintf(why, why_size, "option '%.*s' is not allowed for %s",
				 (int)(wlen > 64 ? 64 : wlen), s, fstype);
			return -EINVAL;
		}
		if (errors_setting(s, wlen, &ok) && !ok) {
			snprintf(why, why_size, "option '%.*s' is refused: a damaged medium must "
				 "never stop the machine (errors=remount-ro or errors=continue)",
				 (int)(wlen > 40 ? 40 : wlen), s);
			return -EINVAL;
		}
		if (noexec && wlen == 4 && !memcmp(s, "exec", 4)) {
			snprintf(why, why_size, "option 'exec' conflicts with noexec = yes");
			return -EINVAL;
		}
		s += wlen;
		if (*s == ',')
			s++;
	}
	return 0;
}

int opts_refuse_unsafe(const char *options, char *why, size_t why_size)
{
	for (const char *s = options; *s;) {
		size_t len = strcspn(s, ",");
		bool ok = true;

		if ((len == 4 && !memcmp(s, "suid", 4)) || (len == 3 && !memcmp(s, "dev", 3)) ||
		    (errors_setting(s, len, &ok) && !ok)) {
			snprintf(why, why_size, "refusing the option '%.*s'",
				 (int)(len > 40 ? 40 : len), s);
			return -EPERM;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

int opts_enforce(const char *options, char *out, size_t size, char *why, size_t why_size)
{
	size_t used = 0;
	int r = opts_refuse_unsafe(options, why, why_size);

	out[0] = '\0';
	if (r < 0)
		return r;
	if (opts_append_word(out, size, &used, "nosuid,nodev", 12) < 0)
		return -ENOSPC;
	for (const char *s = options; *s;) {
		size_t len = strcspn(s, ",");

		if (len && !(len == 6 && !memcmp(s, "nosuid", 6)) &&
		    !(len == 5 && !memcmp(s, "nodev", 5)) &&
		    (r = opts_append_word(out, size, &used, s, len)) < 0)
			return r;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}
