/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command line, configuration and reloads (see setup.h). Directories and
 * the event source are fixed for the life of the process; everything else
 * can change at a reload, which is refused as a whole when any of it is
 * wrong: a half-applied configuration is never running. Past 400 lines
 * because the option table, the name resolution and the reload child are
 * one story (what the daemon runs with) best read in one place. */
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "events.h"
#include "log.h"
#include "mediad.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_RCVBUF (128 * 1024 * 1024)
/* a name service that has not answered by then will not: keep what runs */
#define RESOLVE_DEADLINE_SECS 5.0

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

/* Asks the name service (may block: never call it in the loop). The owner
 * FAT-like filesystems get is mount_user (a name or a uid), by default the
 * first ordinary user (uid 1000, the live user on our CD), else root. */
static void resolve(const struct config *c, struct ids *out)
{
	const char *u = c->mount_user, *g = c->allow_group;
	struct passwd *pw;
	struct group *gr;
	char *end;
	unsigned long id;

	memset(out, 0, sizeof(*out));
	out->have_user = true;
	if (!*u) {
		pw = getpwuid(1000);
		out->uid = pw ? pw->pw_uid : 0;
		out->gid = pw ? pw->pw_gid : 0;
	} else {
		id = strtoul(u, &end, 10);
		pw = *end ? getpwnam(u) : getpwuid((uid_t)id);
		if (pw) {
			out->uid = pw->pw_uid;
			out->gid = pw->pw_gid;
		} else if (!*end) {
			out->uid = (uid_t)id; /* a bare uid needs no passwd entry */
			out->gid = (gid_t)id;
		} else {
			out->have_user = false;
		}
	}
	gr = *g ? getgrnam(g) : NULL;
	id = strtoul(g, &end, 10);
	out->have_group = gr || (*g && !*end);
	out->group = gr ? gr->gr_gid : (gid_t)id;
}

/* The mount-option policy and the control group from the configuration
 * and what its names resolve to. */
static void apply(struct mediad *md, const struct ids *ids)
{
	const struct config *c = &md->cfg;
	struct opts_policy *o = &md->opts;

	md->ids = *ids;
	o->noexec = c->noexec;
	o->internal_rw = c->internal_rw;
	for (size_t i = 0; i < sizeof(o->override) / sizeof(o->override[0]); i++)
		o->override[i] = i < sizeof(c->type_options) / sizeof(c->type_options[0]) &&
						 c->type_options[i][0]
					 ? c->type_options[i]
					 : NULL;
	o->uid = ids->uid;
	o->gid = ids->gid;
}

static bool have_ntfs3(void)
{
	char line[128], path[300], ver[128] = "";
	bool found = false;
	struct stat st;
	const char *rel = getenv("MEDIAD_KERNEL_RELEASE");
	FILE *f = fopen("/proc/filesystems", "re");

	if (f) {
		while (!found && fgets(line, sizeof(line), f))
			found = strstr(line, "\tntfs3\n") != NULL;
		fclose(f);
	}
	if (found)
		return true;
	/* not loaded yet, but loadable? */
	f = fopen("/proc/sys/kernel/osrelease", "re");
	if (f) {
		if (!fgets(ver, sizeof(ver), f))
			ver[0] = '\0';
		fclose(f);
		ver[strcspn(ver, "\n")] = '\0';
	}
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/fs/ntfs3", rel ? rel : ver);
	return stat(path, &st) == 0;
}

int setup_args(struct mediad *md, int argc, char **argv)
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
	/* command-line settings, applied over the file in this order */
	static const char *const over_keys[] = { "state_dir", "media_dir", "source",
						  "log_level" };
	const char *over[4] = { NULL, NULL, NULL, NULL };
	const char *autofs_map = NULL;
	bool test_only = false;
	char err[CONFIG_ERR_BUF];
	struct ids ids;
	int opt;

	md->config_path = CONFIG_DEFAULT_PATH;
	md->rcvbuf = DEFAULT_RCVBUF;
	while ((opt = getopt_long(argc, argv, "fc:s:m:S:l:thV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': md->foreground = true; break;
		case 'c': md->config_path = optarg; break;
		case 's': over[0] = optarg; break;
		case 'm': over[1] = optarg; break;
		case 'S': over[2] = optarg; break;
		case 'l': over[3] = optarg; break;
		case 'R': {
			const char *arg = optarg ? optarg : ""; /* required_argument */
			char *end;
			long v = strtol(arg, &end, 10);

			if (*end || v <= 0 || v > (1L << 30)) {
				fprintf(stderr, "mediad: --rcvbuf: bad size '%s'\n", arg);
				return 2;
			}
			md->rcvbuf = (int)v;
			break;
		}
		case 't': test_only = true; break;
		case 'A': autofs_map = optarg ? optarg : LIBEXECDIR "/auto.media"; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("mediad %s\n", VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	config_defaults(&md->cfg);
	if (config_load(&md->cfg, md->config_path,
			!strcmp(md->config_path, CONFIG_DEFAULT_PATH), err) < 0) {
		fprintf(stderr, "mediad: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < 4; i++) {
		if (over[i] && config_set(&md->cfg, over_keys[i], over[i], err) < 0) {
			fprintf(stderr, "mediad: command line: %s\n", err);
			return 2;
		}
	}
	if (config_check(&md->cfg, err) < 0) {
		fprintf(stderr, "mediad: %s\n", err);
		return 1;
	}
	resolve(&md->cfg, &ids); /* before the loop: may block */
	if (!ids.have_user) {
		fprintf(stderr, "mediad: %s: mount_user '%s' does not exist\n", md->config_path,
			md->cfg.mount_user);
		return 1;
	}
	apply(md, &ids);
	if (test_only) {
		printf("%s: configuration ok\n", md->config_path);
		return 0;
	}
	if (autofs_map) {
		print_autofs_entry(&md->cfg, autofs_map);
		return 0;
	}
	md->opts.have_ntfs3 = have_ntfs3();
	return -1;
}

/* Detaches from the terminal; the parent exits only when the child says it
 * has published the coldplugged media (or failed), so that "mediad && ls
 * /media/list" sees them. */
static int daemonize(void)
{
	int p[2], null;
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
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	return p[1];
}

int setup_detach(struct mediad *md)
{
	int fd = -1;

	if (!md->foreground && (fd = daemonize()) < 0) {
		fprintf(stderr, "mediad: cannot daemonize: %s\n", strerror(errno));
		return -2;
	}
	log_setup("mediad", !md->foreground, md->cfg.log_level);
	return fd;
}

/* A reload waiting for its names to be resolved. */
struct reload {
	struct mediad *md;
	struct config cfg;
};

static int resolve_run(void *arg)
{
	const struct reload *rl = arg;
	struct ids ids;

	resolve(&rl->cfg, &ids);
	return write(STDOUT_FILENO, &ids, sizeof(ids)) == (ssize_t)sizeof(ids) ? 0 : 1;
}

static void on_resolved(const struct child_result *res, void *arg)
{
	struct reload *rl = arg;
	struct mediad *md = rl->md;
	struct ids ids;

	md->reloading = NULL;
	if (res->timed_out || res->status != 0 || res->out_len != sizeof(ids)) {
		log_err("reload refused, keeping the running configuration: the name service "
			"did not answer%s", res->timed_out ? " in time" : "");
		free(rl);
		return;
	}
	memcpy(&ids, res->out, sizeof(ids));
	if (!ids.have_user) {
		log_err("reload refused: mount_user '%s' does not exist", rl->cfg.mount_user);
		free(rl);
		return;
	}
	md->cfg = rl->cfg;
	free(rl);
	apply(md, &ids);
	log_set_level(md->cfg.log_level);
	log_info("configuration reloaded from %s", md->config_path);
	control_set_group(&md->control, md->cfg.allow_group, ids.have_group, ids.group);
	events_rescan(md);
}

/* SIGHUP and a change of the config file both land here. */
static void reload(struct mediad *md)
{
	struct reload *rl = calloc(1, sizeof(*rl));
	char err[CONFIG_ERR_BUF];
	struct child_spec s = {
		.what = "name lookup for a reload",
		.deadline = RESOLVE_DEADLINE_SECS,
		.capture = sizeof(struct ids),
		.kill_at_stop = true,
		.keep_fd = -1,
		.run = resolve_run,
		.done = on_resolved,
	};
	int r;

	if (!rl) {
		log_err("reload refused: %s", strerror(ENOMEM));
		return;
	}
	rl->md = md;
	config_defaults(&rl->cfg);
	if (config_load(&rl->cfg, md->config_path, true, err) < 0) {
		log_err("reload refused, keeping the running configuration: %s", err);
		free(rl);
		return;
	}
	memcpy(rl->cfg.state_dir, md->cfg.state_dir, sizeof(rl->cfg.state_dir));
	memcpy(rl->cfg.media_dir, md->cfg.media_dir, sizeof(rl->cfg.media_dir));
	rl->cfg.source = md->cfg.source;
	if (md->reloading) {
		/* the newest file wins */
		struct reload *old = md->reloading;

		child_cancel(md->reloading_child);
		free(old);
	}
	s.run_arg = s.done_arg = rl;
	md->reloading_child = child_start(md->loop, &s, &r);
	if (!md->reloading_child) {
		log_err("reload refused: cannot start the name lookup: %s", strerror(-r));
		free(rl);
		md->reloading = NULL;
		return;
	}
	md->reloading = rl;
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
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

void setup_start(struct mediad *md)
{
	ev_signal_init(&md->sig_term, on_stop, SIGTERM);
	ev_signal_init(&md->sig_int, on_stop, SIGINT);
	ev_signal_init(&md->sig_hup, on_hup, SIGHUP);
	md->sig_hup.data = md;
	ev_signal_start(md->loop, &md->sig_term);
	ev_signal_start(md->loop, &md->sig_int);
	ev_signal_start(md->loop, &md->sig_hup);
	ev_stat_init(&md->config_stat, on_config_file, md->config_path, 0.);
	md->config_stat.data = md;
	ev_stat_start(md->loop, &md->config_stat);
}

void setup_stop(struct mediad *md)
{
	ev_signal_stop(md->loop, &md->sig_term);
	ev_signal_stop(md->loop, &md->sig_int);
	ev_signal_stop(md->loop, &md->sig_hup);
	ev_stat_stop(md->loop, &md->config_stat);
	free(md->reloading); /* its child is cancelled by child_stop_all */
	md->reloading = NULL;
}
