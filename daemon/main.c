/* mediad: command line, configuration, start-up order and the event loop.
 * Start-up order matters: the monitor listens before coldplug enumerates,
 * so no device can slip between the two. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <libudev.h>

#include "idleflush.h"
#include "log.h"
#include "mediad.h"
#include "monitor.h"
#include "mountreport.h"
#include "probejob.h"
#include "notify.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_RCVBUF (128 * 1024 * 1024)

/* The auto.master line for our media: derived from the configuration so
 * that media_dir and expire_timeout are set in one place.
 * --negative-timeout=1: automount caches a failed lookup (and, measured
 * on Debian 12, a re-pointed key) for negative_timeout seconds, default
 * 60; one second lets a name looked up just before it was published, or a
 * stick replaced under the same name, mount the right medium. */
static void print_autofs_entry(const struct config *c, const char *map)
{
	printf("%s/auto program:%s --timeout=%u --negative-timeout=1 nobrowse\n",
	       c->media_dir, map, c->expire_timeout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mediad [OPTION]...\n"
		"Publishes removable media in <media_dir>/list for mounting on demand.\n\n"
		"  -f, --foreground        stay in the foreground, log to stderr\n"
		"  -c, --config FILE       configuration file (default %s)\n"
		"  -s, --state-dir DIR     state directory (default /run/mediad)\n"
		"  -m, --media-dir DIR     media directory (default /media)\n"
		"  -S, --source SRC        event source: auto, udev or kernel\n"
		"  -l, --log-level LEVEL   err, warning, notice, info or debug\n"
		"      --rcvbuf BYTES      netlink receive buffer (tests shrink it)\n"
		"  -t, --test              check the configuration and exit\n"
		"      --autofs-entry[=MAP] print the auto.master line for MAP and exit\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n",
		CONFIG_DEFAULT_PATH);
}

static int apply_config(struct mediad *md);

static void on_monitor(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;
	struct udev_device *d;

	(void)loop;
	(void)revents;
	for (;;) {
		errno = 0;
		d = udev_monitor_receive_device(md->mon);
		if (!d)
			break;
		events_handle(md, d, udev_device_get_action(d) ? udev_device_get_action(d)
								 : "change");
		udev_device_unref(d);
	}
	if (errno == ENOBUFS) {
		/* The kernel dropped events: what we know may be wrong. */
		log_warn("netlink receive buffer overflowed: re-enumerating devices");
		events_rescan(md);
	}
}

static void on_mounts(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	events_mounts_changed(w->data);
}

static void on_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;

	(void)loop;
	(void)revents;
	mountreport_dispatch(md, md->report_fd);
}

static void on_watch(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediad *md = w->data;

	(void)loop;
	(void)revents;
	watch_dispatch(&md->watch, events_device_written, md);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* SIGHUP and a change of the config file both land here. */
static void reload(struct mediad *md)
{
	struct config c;
	char err[CONFIG_ERR_BUF];

	config_defaults(&c);
	if (config_load(&c, md->config_path, true, err) < 0) {
		log_err("reload refused, keeping the running configuration: %s", err);
		return;
	}
	/* Directories and the source are fixed for the life of the process. */
	memcpy(c.state_dir, md->cfg.state_dir, sizeof(c.state_dir));
	memcpy(c.media_dir, md->cfg.media_dir, sizeof(c.media_dir));
	c.source = md->cfg.source;
	{
		struct config old = md->cfg;

		md->cfg = c;
		if (apply_config(md) < 0) {
			log_err("reload refused: mount_user '%s' does not exist", c.mount_user);
			md->cfg = old;
			apply_config(md);
			return;
		}
	}
	log_set_level(c.log_level);
	log_info("configuration reloaded from %s", md->config_path);
	control_set_group(&md->control, md->cfg.allow_group);
	events_rescan(md);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	reload(w->data);
}

/* The config file changed (written in place or replaced by rename):
 * reload as on SIGHUP; a half-written file is refused and the next write
 * triggers another try. */
static void on_config_file(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop;
	(void)revents;
	if (w->attr.st_nlink == 0 && w->prev.st_nlink == 0)
		return;
	log_debug("%s changed", w->path);
	reload(w->data);
}

/* A previous instance's record still describes a device that is there:
 * the same device number holding the same disk (its sequence number,
 * where the kernel has one, tells a stick pulled and plugged in again
 * from the one the record was written for). */
static bool hint_present(const struct record *h, void *arg)
{
	struct udev_device *d =
		udev_device_new_from_devnum(arg, 'b', makedev(h->devmajor, h->devminor));
	struct udev_device *disk;
	const char *type, *seq;
	bool same;

	if (!d)
		return false;
	type = udev_device_get_devtype(d);
	disk = type && !strcmp(type, "partition")
		       ? udev_device_get_parent_with_subsystem_devtype(d, "block", "disk")
		       : d;
	seq = disk ? udev_device_get_sysattr_value(disk, "diskseq") : NULL;
	same = !seq || !h->diskseq || strtoull(seq, NULL, 10) == h->diskseq;
	udev_device_unref(d);
	return same;
}

static bool have_ntfs3(void)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (f) {
		while (!found && fgets(line, sizeof(line), f))
			found = strstr(line, "\tntfs3\n") != NULL;
		fclose(f);
	}
	if (!found) {
		/* not loaded yet, but loadable? */
		char path[300];
		struct stat st;
		const char *rel = getenv("MEDIAD_KERNEL_RELEASE");
		FILE *o = fopen("/proc/sys/kernel/osrelease", "re");
		char ver[128] = "";

		if (o) {
			if (!fgets(ver, sizeof(ver), o))
				ver[0] = '\0';
			fclose(o);
			ver[strcspn(ver, "\n")] = '\0';
		}
		snprintf(path, sizeof(path), "/lib/modules/%s/kernel/fs/ntfs3",
			 rel ? rel : ver);
		found = stat(path, &st) == 0;
	}
	return found;
}

/* The mount-option policy from the configuration. The owner FAT-like
 * filesystems get: mount_user (a name or a uid), by default the first
 * ordinary user (uid 1000, the live user on our CD), else root. Returns
 * -ENOENT when mount_user names nobody. */
static int apply_config(struct mediad *md)
{
	const struct config *c = &md->cfg;
	struct opts_policy *o = &md->opts;
	const char *u = c->mount_user;
	struct passwd *pw;
	char *end;
	unsigned long uid;

	o->noexec = c->noexec;
	o->internal_rw = c->internal_rw;
	for (size_t i = 0; i < sizeof(o->override) / sizeof(o->override[0]); i++)
		o->override[i] = i < sizeof(c->type_options) / sizeof(c->type_options[0]) &&
						 c->type_options[i][0]
					 ? c->type_options[i]
					 : NULL;
	if (!*u) {
		pw = getpwuid(1000);
		o->uid = pw ? pw->pw_uid : 0;
		o->gid = pw ? pw->pw_gid : 0;
		return 0;
	}
	uid = strtoul(u, &end, 10);
	pw = *end ? getpwnam(u) : getpwuid((uid_t)uid);
	if (pw) {
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
	} else if (!*end) {
		o->uid = (uid_t)uid; /* a bare uid needs no passwd entry */
		o->gid = (gid_t)uid;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* Detaches from the terminal; the parent exits only when the child says it
 * has published the coldplugged media (or failed), so that "mediad && ls
 * /media/list" sees them. Returns the fd to report readiness on. */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 && c == 'R' ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		return -1;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	return p[1];
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "media-dir", required_argument, NULL, 'm' },
		{ "source", required_argument, NULL, 'S' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "rcvbuf", required_argument, NULL, 'R' },
		{ "test", no_argument, NULL, 't' },
		{ "autofs-entry", optional_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct mediad md; /* large (records); not on the stack */
	/* command-line settings, applied over the file in this order */
	static const char *const over_keys[] = { "state_dir", "media_dir", "source",
						  "log_level" };
	const char *over[4] = { NULL, NULL, NULL, NULL };
	bool foreground = false, test_only = false;
	const char *autofs_map = NULL;
	char err[CONFIG_ERR_BUF];
	int opt, ready_fd = -1, r;

	md.config_path = CONFIG_DEFAULT_PATH;
	md.rcvbuf = DEFAULT_RCVBUF;
	while ((opt = getopt_long(argc, argv, "fc:s:m:S:l:thV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			md.config_path = optarg;
			break;
		case 's':
			over[0] = optarg;
			break;
		case 'm':
			over[1] = optarg;
			break;
		case 'S':
			over[2] = optarg;
			break;
		case 'l':
			over[3] = optarg;
			break;
		case 'R': {
			const char *arg = optarg ? optarg : ""; /* required_argument */
			char *end;
			long v = strtol(arg, &end, 10);

			if (*end || v <= 0 || v > (1L << 30)) {
				fprintf(stderr, "mediad: --rcvbuf: bad size '%s'\n", arg);
				return 2;
			}
			md.rcvbuf = (int)v;
			break;
		}
		case 't':
			test_only = true;
			break;
		case 'A':
			autofs_map = optarg ? optarg : LIBEXECDIR "/auto.media";
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mediad %s\n", VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	config_defaults(&md.cfg);
	if (config_load(&md.cfg, md.config_path,
			!strcmp(md.config_path, CONFIG_DEFAULT_PATH), err) < 0) {
		fprintf(stderr, "mediad: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < 4; i++) {
		if (over[i] && config_set(&md.cfg, over_keys[i], over[i], err) < 0) {
			fprintf(stderr, "mediad: command line: %s\n", err);
			return 2;
		}
	}
	if (config_check(&md.cfg, err) < 0) {
		fprintf(stderr, "mediad: %s\n", err);
		return 1;
	}
	if (apply_config(&md) < 0) {
		fprintf(stderr, "mediad: %s: mount_user '%s' does not exist\n",
			md.config_path, md.cfg.mount_user);
		return 1;
	}
	if (test_only) {
		printf("%s: configuration ok\n", md.config_path);
		return 0;
	}
	if (autofs_map) {
		print_autofs_entry(&md.cfg, autofs_map);
		return 0;
	}
	if (!foreground && (ready_fd = daemonize()) < 0) {
		fprintf(stderr, "mediad: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	log_setup("mediad", !foreground, md.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	md.opts.have_ntfs3 = have_ntfs3();
	media_init(&md.media);
	hooks_init(&md.hooks, &md.cfg); /* coldplug's add events queue up */
	md.control.fd = -1;
	if (publish_open(&md.pub, &md.cfg, err) < 0) {
		log_err("%s", err);
		return 1;
	}
	if ((r = mounts_open(&md.mounts, md.cfg.media_dir)) < 0) {
		log_err("cannot watch mounts: %s", strerror(-r));
		return 1;
	}
	if ((md.report_fd = mountreport_open(md.cfg.state_dir)) < 0)
		log_warn("cannot watch mount reports (why a medium is mounted as it is "
			 "will not reach the records): %s", strerror(-md.report_fd));
	md.source = monitor_pick_source(md.cfg.source);
	md.watch.fd = -1;
	/* both sources: udevd's own watch misses writes made while one of
	 * its workers handles another event for the device */
	if ((r = watch_open(&md.watch)) < 0)
		log_warn("cannot watch device nodes (relabels will go unseen): %s",
			 strerror(-r));
	md.udev = udev_new();
	if (!md.udev || !(md.mon = monitor_open(md.udev, md.source, md.rcvbuf))) {
		log_err("cannot open the %s monitor: %m", config_source_name(md.source));
		return 1;
	}
	log_info("mediad %s starting: source %s, state %s, media %s", VERSION,
		 config_source_name(md.source), md.cfg.state_dir, md.cfg.media_dir);

	/* Coldplug: the monitor already queues events; names the previous
	 * instance gave are honoured for media still present. */
	md.loop = ev_default_loop(EVFLAG_AUTO);
	dirty_init(&md);
	publish_load_hints(&md.pub, &md.media);
	media_prune_hints(&md.media, hint_present, md.udev);
	md.coldplug = true;
	r = events_rescan(&md);
	/* probes run in children: coldplug is done when they all answered
	 * (or timed out); only their watchers run meanwhile */
	while (probejob_pending(&md) > 0)
		ev_run(md.loop, EVRUN_ONCE);
	/* Media still present have claimed their old names; the hints left
	 * are of media gone (the pruning above misses those pulled during
	 * coldplug itself) and reserve nothing: the others are named now.
	 * Then the records of the gone are swept (a new medium that took a
	 * gone one's name has already replaced its record and link). */
	md.coldplug = false;
	media_drop_hints(&md.media);
	events_name_waiting(&md);
	publish_sweep(&md.pub, &md.media);
	if (r < 0) {
		log_err("cannot enumerate block devices: %s", strerror(-r));
		return 1;
	}
	log_info("coldplug: %zu devices known", md.media.n);
	for (size_t i = 0; i < md.media.n; i++) /* mounted before a restart */
		mountreport_apply(&md, md.media.v[i]);

	ev_io_init(&md.mon_io, on_monitor, udev_monitor_get_fd(md.mon), EV_READ);
	md.mon_io.data = &md;
	ev_io_start(md.loop, &md.mon_io);
	ev_io_init(&md.mounts_io, on_mounts, mounts_fd(&md.mounts), EV_READ);
	md.mounts_io.data = &md;
	ev_io_start(md.loop, &md.mounts_io);
	if (md.report_fd >= 0) {
		ev_io_init(&md.report_io, on_report, md.report_fd, EV_READ);
		md.report_io.data = &md;
		ev_io_start(md.loop, &md.report_io);
	}
	if (md.watch.fd >= 0) {
		ev_io_init(&md.watch_io, on_watch, md.watch.fd, EV_READ);
		md.watch_io.data = &md;
		ev_io_start(md.loop, &md.watch_io);
	}
	ev_signal_init(&md.sig_term, on_stop, SIGTERM);
	ev_signal_init(&md.sig_int, on_stop, SIGINT);
	ev_signal_init(&md.sig_hup, on_hup, SIGHUP);
	md.sig_hup.data = &md;
	ev_signal_start(md.loop, &md.sig_term);
	ev_signal_start(md.loop, &md.sig_int);
	ev_signal_start(md.loop, &md.sig_hup);
	ev_stat_init(&md.config_stat, on_config_file, md.config_path, 0.);
	md.config_stat.data = &md;
	ev_stat_start(md.loop, &md.config_stat);
	if ((r = control_open(&md.control, &md, md.loop)) < 0)
		log_err("cannot open the control socket in %s: %s (unmount and eject "
			"need root and no daemon)", md.cfg.state_dir, strerror(-r));
	hooks_start(&md.hooks, md.loop);
	dirty_schedule(&md); /* media mounted before we started */

	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) != 1)
			log_warn("cannot report readiness: %m");
		close(ready_fd);
	}
	if ((r = notify_send("READY=1")) < 0) /* Type=notify: after coldplug */
		log_warn("cannot tell the service manager we are ready: %s", strerror(-r));
	ev_run(md.loop, 0);

	notify_send("STOPPING=1");
	control_close(&md.control);
	hooks_stop(&md.hooks);
	dirty_stop(&md);
	idleflush_stop_all(&md);
	probejob_stop_all(&md);
	events_stop(&md);
	log_info("stopped after %lu events, %lu rescans", md.events, md.rescans);
	media_free(&md.media);
	mounts_close(&md.mounts);
	watch_close(&md.watch);
	if (md.report_fd >= 0)
		close(md.report_fd);
	publish_close(&md.pub);
	udev_monitor_unref(md.mon);
	udev_unref(md.udev);
	ev_loop_destroy(md.loop);
	return 0;
}
