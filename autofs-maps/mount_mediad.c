/* mount.mediad: the mount helper behind auto.media's answers. auto.media
 * answers "-fstype=mediad.TYPE,OPTIONS :<state_dir>/dev/LINK"; automount
 * runs mount(8), which runs /sbin/mount.mediad LINK DIR -o OPTIONS -t
 * mediad.TYPE. Here, and only here, is the outcome of a mount known, so
 * this is where the fallback order of lib/fallback.c is walked and where
 * the reason for the outcome is written down: a report in
 * <state_dir>/mounts/LINK that mediad copies into the medium's record
 * (mounted_type, mounted_options, mount_note, mount_error).
 *
 * Exit status as mount(8) helpers have it: 0 mounted, 1 bad usage,
 * 32 mount failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "diskseq.h"
#include "fallback.h"
#include "kreason.h"
#include "log.h"
#include "mountrun.h"
#include "record.h"

enum { EX_MOUNTED = 0, EX_USAGE = 1, EX_FAIL = 32 };

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
	    snprintf(dir, sizeof(dir), "%s/mounts", c->state_dir) >= (int)sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, rep->link) >= (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, rep->link) >= (int)sizeof(path))
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

/* The name of mediad's device link for device dev (maj-min-diskseq),
 * when mediad keeps one for it: mount(8) hands us the device node, not
 * the link auto.media answered with. "" otherwise. */
static void link_of(const struct config *c, dev_t dev, char *out, size_t size)
{
	struct record r;
	char path[PATH_MAX], name[64];
	struct stat st;

	out[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.devmajor = major(dev);
	r.devminor = minor(dev);
	r.diskseq = diskseq_read(r.devmajor, r.devminor);
	if (record_devlink(&r, name, sizeof(name)) < 0 ||
	    snprintf(path, sizeof(path), "%s/dev/%s", c->state_dir, name) >= (int)sizeof(path) ||
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
	const char *prog = mountrun_find("e2fsck");
	char out[200], line[400];
	int st = prog ? mountrun_program(prog, argv, out, sizeof(out)) : -1;

	if (st == 0)
		return true;
	if (st == 1 || st == 2) {
		note_add(note, size, "e2fsck -p repaired errors");
		return true;
	}
	snprintf(line, sizeof(line), st < 0 ? "e2fsck could not run, so not read-write" :
		 st >= 8 ? "e2fsck -p could not check it (exit %d: %s), so not read-write" :
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
		const char *argv[] = { "ntfs-3g", dev, target, "-o", a->options, NULL };
		const char *prog = mountrun_find("ntfs-3g");
		int st = prog ? mountrun_program(prog, argv, why, why_size) : -1;

		if (st == 0)
			return 0; /* why keeps what it said, if anything */
		if (!why[0])
			snprintf(why, why_size, "%s", prog ? "ntfs-3g failed" : "ntfs-3g is not installed");
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
	       err == ENOTDIR || err == ENOTBLK;
}

static void usage(void)
{
	fprintf(stderr, "usage: mount.mediad SOURCE DIR [-sfnv] -o OPTIONS -t mediad.TYPE\n"
			"  (run by mount(8) for the entries auto.media gives automount)\n");
}

int main(int argc, char **argv)
{
	const char *source, *target, *type = NULL, *options = "", *conf = getenv("MEDIAD_CONFIG");
	struct mount_attempt plan[FALLBACK_MAX];
	struct report rep;
	struct config c;
	struct stat st;
	char dev[PATH_MAX], err[CONFIG_ERR_BUF], said[400] = "";
	bool fake = false, rw_refused = false;
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
	n = fallback_plan(type, options, plan);
	if (n < 0) {
		fprintf(stderr, "mount.mediad: mediad does not mount type '%s'\n", type);
		return EX_USAGE;
	}
	memset(&rep, 0, sizeof(rep));
	config_defaults(&c);
	if (config_load(&c, conf ? conf : CONFIG_DEFAULT_PATH, !conf, err) < 0) {
		log_warn("%s (no report for mediad)", err);
		c.state_dir[0] = '\0';
	}
	if (!realpath(source, dev) || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "mount.mediad: %s: not a block device (medium gone?)\n", source);
		snprintf(rep.error, sizeof(rep.error), "the device is gone");
		report_write(&c, &rep, NULL);
		return EX_FAIL;
	}
	snprintf(rep.kname, sizeof(rep.kname), "%s", strrchr(dev, '/') + 1);
	if (c.state_dir[0])
		link_of(&c, st.st_rdev, rep.link, sizeof(rep.link));
	if (fake)
		return EX_MOUNTED;
	for (int i = 0; i < n; i++) {
		const struct mount_attempt *a = &plan[i];
		char why[400] = "", line[600];
		int e;

		if (!a->readonly && rw_refused)
			continue;
		if (a->fsck && !fsck_allows_rw(dev, rep.note, sizeof(rep.note))) {
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
