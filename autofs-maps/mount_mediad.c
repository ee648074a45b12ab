/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mount.mediad: the mount helper behind auto.media's answers. auto.media
 * answers "-fstype=mediad.TYPE,OPTIONS :<state_dir>/dev/LINK"; automount
 * runs mount(8), which runs /sbin/mount.mediad LINK DIR -o OPTIONS -t
 * mediad.TYPE. Here, and only here, is the outcome of a mount known, so
 * this is where the fallback order of lib/fallback.c is walked and where
 * the reason for the outcome is written down: a report in
 * <state_dir>/mounts/LINK that mediad copies into the medium's record
 * (mounted_type, mounted_options, mount_note, mount_error).
 *
 * It mounts only a medium mediad offers, in the generation it offered:
 * the device must have its per-generation link <state_dir>/dev/LINK, and
 * its disk sequence number must not change until the mount is made. Every
 * program it runs has a deadline (lib/run.c), and whatever the options
 * say, nothing is mounted with suid, dev or errors=panic.
 *
 * Exit status as mount(8) helpers have it: 0 mounted, 1 bad usage,
 * 32 mount failure (also: refused). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "diskseq.h"
#include "extsb.h"
#include "fallback.h"
#include "kreason.h"
#include "log.h"
#include "mountrun.h"
#include "options.h"
#include "record.h"
#include "run.h"
#include "statedir.h"

enum { EX_MOUNTED = 0, EX_USAGE = 1, EX_FAIL = 32 };

/* Deadlines of the programs run on the way. e2fsck -p: a sound
 * filesystem is a superblock read (milliseconds); a damaged one on a
 * stick is checked in seconds to tens of seconds (with flex_bg only the
 * used inode tables are read). Someone is waiting in front of the
 * directory they opened, and a crafted image can keep e2fsck busy
 * without end: after a minute it is killed, and the read-only attempt
 * that follows gives the data (the filesystem stays marked as having
 * errors, so the next read-write mount checks it again). ntfs-3g opens
 * the volume, replays nothing and daemonises, within a second or two on
 * any stick; 30 s is plenty. */
#define FSCK_DEADLINE_MS 60000
#define NTFS3G_DEADLINE_MS 30000

struct report {
	char link[NAME_MAX + 1]; /* "" when the source is not a mediad link */
	char kname[64];
	char note[512];
	char error[512];
};

/* Appends "; "-separated text to a note. */
static void note_add(char *note, size_t size, const char *text)
{
	size_t len = strlen(note);

	snprintf(note + len, size - len, "%s%s", len ? "; " : "", text);
}

/* Writes the report where mediad watches for it, by rename, as a record
 * holding only the mount fields. */
static void report_write(const struct config *c, const struct report *rep,
			 const struct mount_attempt *used)
{
	struct record r;
	char dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX], buf[RECORD_MAX_BYTES];
	int len, fd;

	if (!rep->link[0])
		return;
	memset(&r, 0, sizeof(r));
	if (used) {
		snprintf(r.mounted_type, sizeof(r.mounted_type), "%s", used->type);
		snprintf(r.mounted_options, sizeof(r.mounted_options), "%s", used->options);
	}
	snprintf(r.mount_note, sizeof(r.mount_note), "%s", rep->note);
	snprintf(r.mount_error, sizeof(r.mount_error), "%s", rep->error);
	len = record_format(&r, buf, sizeof(buf));
	if (len < 0 ||
	    statedir_path(c->state_dir, STATEDIR_MOUNTS, NULL, dir, sizeof(dir)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, rep->link) >= (int)sizeof(tmp) ||
	    statedir_path(c->state_dir, STATEDIR_MOUNTS, rep->link, path, sizeof(path)) < 0)
		return;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("cannot write the report %s: %m", tmp);
		return;
	}
	if (write(fd, buf, (size_t)len) != len || close(fd) < 0 || rename(tmp, path) < 0) {
		log_warn("cannot write the report %s: %m", path);
		unlink(tmp);
	}
}

/* The name of mediad's device link for device dev (maj-min-diskseq, the
 * disk sequence number read now, stored in *seq), when mediad keeps one
 * for it: mount(8) hands us the device node, not the link auto.media
 * answered with. "" otherwise: mediad does not offer this medium, or not
 * in this generation (another medium took the node since). */
static void link_of(const struct config *c, dev_t dev, char *out, size_t size, uint64_t *seq)
{
	struct record r;
	char path[PATH_MAX], name[64];
	struct stat st;

	out[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.devmajor = major(dev);
	r.devminor = minor(dev);
	r.diskseq = *seq = diskseq_read(r.devmajor, r.devminor);
	if (record_devlink(&r, name, sizeof(name)) < 0 ||
	    statedir_devlink_path(c->state_dir, &r, path, sizeof(path)) < 0 ||
	    stat(path, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev)
		return;
	snprintf(out, size, "%s", name);
}

/* Runs e2fsck -p before a read-write ext* mount, as automount does for
 * ext* (it no longer sees the type, so that is our job now), and notes
 * what it did. False when it left errors: then no read-write mount. */
static bool fsck_allows_rw(const char *dev, char *note, size_t size)
{
	const char *argv[] = { "e2fsck", "-p", dev, NULL };
	char out[200], line[400];
	/* (in its own process group: killed at the deadline with any
	 * child it may start) */
	int st = mountrun_tool("e2fsck", argv, 0, FSCK_DEADLINE_MS, out, sizeof(out));

	if (st == 0)
		return true;
	if (st == 1 || st == 2) {
		note_add(note, size, "e2fsck -p repaired errors");
		return true;
	}
	if (st == -ETIMEDOUT)
		snprintf(line, sizeof(line), "e2fsck -p was stopped after %d s (%s), so not read-write",
			 FSCK_DEADLINE_MS / 1000, out[0] ? out : "no output");
	else if (st < 0)
		snprintf(line, sizeof(line), "e2fsck could not run (%s), so not read-write",
			 st == -ENOENT ? "not installed" : strerror(-st));
	else
		snprintf(line, sizeof(line), st >= 8 ?
			 "e2fsck -p could not check it (exit %d: %s), so not read-write" :
			 "e2fsck -p left errors (exit %d: %s), so not read-write", st, out);
	note_add(note, size, line);
	return false;
}

/* One attempt. Returns 0, or the errno of mount(2) (EIO for a program
 * that failed) with why (the kernel's or the program's words, else
 * errno's) in why. */
static int attempt(const struct mount_attempt *a, const char *dev, const char *target,
		   const char *kname, char *why, size_t why_size)
{
	int kfd, err;

	if (!strcmp(a->type, "ntfs-3g")) {
		/* the FUSE mount gets nosuid,nodev from us, as mount(2) below
		 * does, whatever the plan says; suid and dev are refused */
		char opts[OPTS_BUF + 16];
		const char *argv[] = { "ntfs-3g", dev, target, "-o", opts, NULL };
		int st = opts_enforce(a->options, opts, sizeof(opts), why, why_size);

		if (st == -EPERM)
			return EPERM;
		if (st < 0) {
			snprintf(why, why_size, "options too long");
			return E2BIG;
		}
		/* in our process group, which is automount's: from another
		 * one its access to the mount point would wait for itself */
		st = mountrun_tool("ntfs-3g", argv, RUN_SAME_PGRP, NTFS3G_DEADLINE_MS, why, why_size);
		if (st == 0)
			return 0; /* why keeps what it said, if anything */
		if (st == -ETIMEDOUT) {
			/* killed after its mount but before it daemonised, it
			 * would leave a dead FUSE mount on our directory */
			umount2(target, MNT_DETACH);
			snprintf(why, why_size, "ntfs-3g did not finish within %d s",
				 NTFS3G_DEADLINE_MS / 1000);
		} else if (!why[0] || st < 0) {
			snprintf(why, why_size, "%s", st == -ENOENT ? "ntfs-3g is not installed" :
				 st < 0 ? "ntfs-3g could not run" : "ntfs-3g failed");
		}
		return EIO;
	}
	kfd = kreason_mark();
	err = mountrun_syscall(dev, target, a->type, a->options) < 0 ? errno : 0;
	if (err) {
		kreason_read(kfd, kname, why, why_size);
		if (!why[0])
			snprintf(why, why_size, "%s", mountrun_strerror(err));
	}
	if (kfd >= 0)
		close(kfd);
	return err;
}

/* errno values after which no other attempt can do better */
static bool hopeless(int err)
{
	return err == ENOENT || err == ENXIO || err == ENOMEDIUM || err == EBUSY ||
	       err == ENOTDIR || err == ENOTBLK || err == EPERM || err == E2BIG;
}

static void usage(void)
{
	fprintf(stderr, "usage: mount.mediad SOURCE DIR [-sfnv] -o OPTIONS -t mediad.TYPE\n"
			"  (run by mount(8) for the entries auto.media gives automount)\n");
}

/* Refuses (exit 32) what mediad does not offer now: a source that is no
 * block device, or one without its per-generation link (not offered, or
 * another medium took the node since auto.media answered). Fills dev,
 * rep->kname and rep->link, *rdev with the device number and *seq with
 * the disk sequence number the link names. Returns 0 or EX_FAIL. */
static int check_source(const struct config *c, const char *source, char dev[PATH_MAX],
			struct report *rep, dev_t *rdev, uint64_t *seq)
{
	struct stat st;

	if (!realpath(source, dev) || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "mount.mediad: %s: not a block device (medium gone?)\n", source);
		snprintf(rep->error, sizeof(rep->error), "the device is gone");
		report_write(c, rep, NULL);
		return EX_FAIL;
	}
	snprintf(rep->kname, sizeof(rep->kname), "%s", strrchr(dev, '/') + 1);
	*rdev = st.st_rdev;
	link_of(c, st.st_rdev, rep->link, sizeof(rep->link), seq);
	if (!rep->link[0]) {
		log_err("%s: refused: no device link %u-%u-%llu in %s/dev", rep->kname,
			major(st.st_rdev), minor(st.st_rdev), (unsigned long long)*seq, c->state_dir);
		fprintf(stderr, "mount.mediad: %s: refusing to mount: no device link %u-%u-%llu "
				"in %s/dev (mediad does not offer this medium, or another medium "
				"took the device since)\n", source, major(st.st_rdev),
			minor(st.st_rdev), (unsigned long long)*seq, c->state_dir);
		return EX_FAIL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *source, *target, *type = NULL, *options = "", *conf = getenv("MEDIAD_CONFIG");
	struct mount_attempt plan[FALLBACK_MAX];
	struct report rep;
	struct config c;
	char dev[PATH_MAX], err[CONFIG_ERR_BUF], said[400] = "";
	bool fake = false, rw_refused = false;
	uint64_t seq = 0;
	dev_t rdev = 0;
	int n, opt, used = -1;

	log_setup("mount.mediad", !isatty(2), LOG_INFO);
	if (argc < 3) {
		usage();
		return EX_USAGE;
	}
	source = argv[1];
	target = argv[2];
	optind = 3;
	while ((opt = getopt(argc, argv, "sfnvo:t:N:")) != -1) {
		switch (opt) {
		case 'o': options = optarg; break;
		case 't': type = optarg; break;
		case 'f': fake = true; break;
		case 's': case 'n': case 'v': break;
		default: usage(); return EX_USAGE;
		}
	}
	if (!type || strncmp(type, "mediad.", 7)) {
		fprintf(stderr, "mount.mediad: the type must be mediad.TYPE\n");
		return EX_USAGE;
	}
	type += 7;
	memset(&rep, 0, sizeof(rep));
	if (opts_refuse_unsafe(options, err, sizeof(err)) < 0) {
		fprintf(stderr, "mount.mediad: %s: %s\n", source, err);
		return EX_FAIL;
	}
	n = fallback_plan(type, options, plan);
	if (n < 0) {
		fprintf(stderr, n == -EPROTONOSUPPORT ? "mount.mediad: mediad does not mount type '%s'\n" :
			"mount.mediad: the options for %s are too long\n", type);
		return EX_USAGE;
	}
	config_defaults(&c);
	if (config_load(&c, conf ? conf : CONFIG_DEFAULT_PATH, !conf, err) < 0) {
		/* without state_dir no device link can be checked */
		log_err("%s: refused: %s", source, err);
		fprintf(stderr, "mount.mediad: refusing to mount %s: %s\n", source, err);
		return EX_FAIL;
	}
	if (check_source(&c, source, dev, &rep, &rdev, &seq))
		return EX_FAIL;
	if (fake)
		return EX_MOUNTED;
	/* no attempt at all for an ext superblock whose default mount
	 * options a kernel would read past (extsb.h) */
	if (!strncmp(type, "ext", 3) && !extsb_opts_terminated_dev(dev, rep.error, sizeof(rep.error)))
		n = 0;
	for (int i = 0; i < n; i++) {
		const struct mount_attempt *a = &plan[i];
		char why[400] = "", line[600], sb_why[120];
		int e;

		if (!a->readonly && rw_refused)
			continue;
		/* e2fsck -p only when the superblock gives it a reason */
		if (a->fsck && !extsb_clean_dev(dev, sb_why, sizeof(sb_why)) &&
		    !fsck_allows_rw(dev, rep.note, sizeof(rep.note))) {
			rw_refused = true;
			continue;
		}
		e = attempt(a, dev, target, rep.kname, why, sizeof(why));
		if (!e) {
			used = i;
			snprintf(said, sizeof(said), "%s", why);
			break;
		}
		snprintf(line, sizeof(line), "%.31s%s: %.400s", a->type, a->readonly ? " read-only" : "", why);
		log_info("%s: %s", rep.kname, line);
		if (hopeless(e)) {
			snprintf(rep.error, sizeof(rep.error), "%.500s", line);
			break;
		}
		note_add(rep.note, sizeof(rep.note), line);
	}
	/* the generation checked before is the one mounted only if the disk
	 * sequence number did not change meanwhile */
	if (used >= 0 && diskseq_read(major(rdev), minor(rdev)) != seq) {
		umount2(target, MNT_DETACH);
		used = -1;
		snprintf(rep.error, sizeof(rep.error), "another medium took the device during the mount");
	}
	if (used < 0) {
		if (!rep.error[0])
			snprintf(rep.error, sizeof(rep.error), "%s", rep.note);
		log_err("%s: not mounted: %s", rep.kname, rep.error);
		fprintf(stderr, "mount.mediad: %s: %s\n", source, rep.error);
		report_write(&c, &rep, NULL);
		return EX_FAIL;
	}
	{
		struct statvfs sv;

		/* a driver may choose read-only itself (ntfs-3g does for a
		 * hibernated Windows volume): say so */
		if (!plan[used].readonly && statvfs(target, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
			char line[600];

			snprintf(line, sizeof(line), "%.31s mounted it read-only on its own%s%.400s",
				 plan[used].type, said[0] ? ": " : "", said);
			note_add(rep.note, sizeof(rep.note), line);
		}
	}
	if (used > 0 || rep.note[0]) {
		char line[600];

		snprintf(line, sizeof(line), "mounted%s with %.31s%s", plan[used].readonly ? " read-only" : "",
			 plan[used].type, plan[used].noreplay ?
			 " without replaying its journal: the last changes may be missing" : "");
		if (used > 0)
			note_add(rep.note, sizeof(rep.note), line);
		log_notice("%s: %s", rep.kname, rep.note);
		fprintf(stderr, "mount.mediad: %s: %s\n", source, rep.note);
	}
	report_write(&c, &rep, &plan[used]);
	return EX_MOUNTED;
}
