/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist mount, unmount, eject and --wait. Mounting goes through
 * autofs (following the list link is what mounts); unmount and eject ask
 * the daemon on its control socket, and act directly only as root when no
 * daemon answers. Must never act on a name that is not a record. */
#include "medialist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "flush.h"
#include "json.h"
#include "mediaction.h"
#include "name.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int actions_wait_for(const struct ml *ml, const char *name)
{
	char dir[300];
	double end = ml->timeout < 0 ? 0 : now() + ml->timeout;
	int fd, dfd, r = 0;

	/* the link in <media_dir>/list, not the record: mediad publishes the
	 * record first and the link last (daemon/publish.c), and a mount
	 * that followed the record before its link existed failed */
	snprintf(dir, sizeof(dir), "%s/list", ml->cfg.media_dir);
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* watch first, then look: a record that appears in between is seen */
	if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF) < 0 ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	while (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		char buf[4096];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = end - now();
		int ms = ml->timeout < 0 ? -1 : left <= 0 ? 0 : (int)(left * 1000) + 1;

		if (ml->timeout >= 0 && left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, ms) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(dfd);
	close(fd);
	return r;
}

/* When NAME is no offered medium but a listed (ignored) device carries
 * that label, says why it is not offered and returns true: a medium
 * withdrawn a moment ago (a bind mount made it the system's, say) is
 * told as such, not as an unknown name. */
static bool explain_not_offered(const struct ml *ml, const char *name)
{
	struct entries all;
	bool found = false;

	if (state_load(ml, true, &all) < 0)
		return false;
	for (size_t i = 0; i < all.n && !found; i++) {
		const struct record *r = &all.v[i].rec;
		char reason[4 * sizeof(r->reason)];

		if (!all.v[i].ignored || strcmp(r->label, name) != 0)
			continue;
		/* the reason may hold a mount point any user chose */
		table_display(r->reason, reason, sizeof(reason));
		fprintf(stderr, "medialist: %s: not offered: %s: %s\n", name, r->kname, reason);
		found = true;
	}
	state_free(&all);
	return found;
}

/* Finds an offered medium by name, waiting for it with --wait. Prints
 * the error and returns an exit code, or 0 with *e filled. */
static int lookup(const struct ml *ml, const char *name, struct entry *e)
{
	int r;

	if (!name_is_valid(name)) {
		fprintf(stderr, "medialist: '%s' is not a medium's name\n", name);
		return EXIT_FAILED;
	}
	if (ml->wait && (r = actions_wait_for(ml, name)) < 0) {
		if (r == -ETIMEDOUT)
			fprintf(stderr, "medialist: %s: did not appear within %g s\n", name,
				ml->timeout);
		else
			fprintf(stderr, "medialist: %s: cannot wait: %s\n", name, strerror(-r));
		return EXIT_FAILED;
	}
	r = state_find(ml, name, e);
	if (r == -ENOENT && explain_not_offered(ml, name))
		return EXIT_FAILED;
	if (r < 0 || e->ignored) {
		fprintf(stderr, "medialist: %s: %s\n", name,
			r == -ENOENT || e->ignored ? "no such medium" : strerror(-r));
		return EXIT_FAILED;
	}
	return 0;
}

int actions_mount(const struct ml *ml, const char *name)
{
	char link[600], target[600];
	struct entry e;
	struct record rep;
	struct stat st, parent;
	int r = lookup(ml, name, &e);

	if (r)
		return r;
	snprintf(link, sizeof(link), "%s/list/%s/", ml->cfg.media_dir, name);
	snprintf(target, sizeof(target), "%s/auto/%s", ml->cfg.media_dir, name);
	/* following the link is the mount: autofs holds the stat until
	 * automount has mounted the medium, or failed to */
	if (stat(link, &st) < 0) {
		int err = errno;

		if (state_read_report(ml, &e.rec, &rep) == 0 && rep.mount_error[0])
			fprintf(stderr, "medialist: cannot mount %s (%s): %s\n", name,
				e.rec.devname, rep.mount_error);
		else
			fprintf(stderr, "medialist: cannot mount %s (%s): %s%s\n", name,
				e.rec.devname, strerror(err),
				err == ENOENT ? " (is automount running on <media_dir>/auto?)" : "");
		return EXIT_FAILED;
	}
	snprintf(link, sizeof(link), "%s/auto", ml->cfg.media_dir);
	if (stat(link, &parent) == 0 && parent.st_dev == st.st_dev) {
		fprintf(stderr, "medialist: cannot mount %s (%s): nothing was mounted on %s\n",
			name, e.rec.devname, target);
		return EXIT_FAILED;
	}
	printf("%s\n", target);
	/* mounted, but not as first chosen (read-only, another driver):
	 * say why */
	if (state_read_report(ml, &e.rec, &rep) == 0 && rep.mount_note[0])
		fprintf(stderr, "medialist: %s: %s\n", name, rep.mount_note);
	return EXIT_DONE;
}

/* One request, one reply on the control socket: the reply as it came
 * ("ok TEXT", "error TEXT", lib/ctlproto.h), or a made-up "error TEXT"
 * when the daemon did not answer. 0, or -errno when it cannot be
 * reached at all. */
static int request(const struct ml *ml, const char *req, char *reply, size_t size)
{
	struct timeval tv = { .tv_sec = (time_t)CONTROL_ACTION_SECS + 10 };
	ssize_t n;
	int fd, r;

	fd = state_connect(ml);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
	    (n = recv(fd, reply, size - 1, 0)) < 0) {
		r = -errno;
		close(fd);
		snprintf(reply, size, "error no answer from mediad: %s", strerror(-r));
		return 0;
	}
	close(fd);
	reply[n] = '\0';
	return 0;
}

/* Splits a reply, the daemon's or lib/mediaction.c's own, into the text
 * for people and the flush (reply is changed). True for "ok". */
static bool split_reply(char *reply, const char **text, struct flush_result *fr)
{
	bool ok = !strncmp(reply, "ok ", 3);
	char *nl;

	memset(fr, 0, sizeof(*fr));
	*text = ok ? reply + 3 : !strncmp(reply, "error ", 6) ? reply + 6 : reply;
	/* "TEXT" or "TEXT\nflush SECONDS BYTES" (lib/ctlproto.h) */
	if ((nl = strchr(reply, '\n'))) {
		*nl = '\0';
		if (flush_parse_line(nl + 1, fr) < 0)
			memset(fr, 0, sizeof(*fr));
	}
	return ok;
}

/* Without the daemon (root only): the same action, through the same
 * code as the daemon's (lib/mediaction.c), the offered media read from
 * the records. */
static int act_directly(const struct ml *ml, const char *verb, const struct record *rec,
			char *reply, size_t size)
{
	struct mediaction a = { .media_dir = ml->cfg.media_dir, .root = geteuid() == 0 };
	struct entries all;
	dev_t *offered;
	int r = state_load(ml, false, &all);

	if (r < 0) {
		snprintf(reply, size, "error cannot read %s/media: %s", ml->cfg.state_dir,
			 strerror(-r));
		return r;
	}
	offered = calloc(all.n + 1, sizeof(*offered));
	for (size_t i = 0; offered && i < all.n; i++)
		offered[a.n_offered++] = makedev(all.v[i].rec.devmajor, all.v[i].rec.devminor);
	a.offered = offered;
	r = mediaction_run(&a, verb, rec, reply, size);
	free(offered);
	state_free(&all);
	return r;
}

/* The outcome of unmount or eject: the message, and the flush (how long
 * the data took to reach the medium, and how much) when there was one. */
static int report(const struct ml *ml, const char *verb, const char *name, bool ok,
		  const char *msg, const struct flush_result *fr)
{
	char shown[CONTROL_REPLY_MAX * 5], how[64];

	if (ml->json) {
		char buf[JSON_ESCAPED_MAX(CONTROL_REPLY_MAX * 2)];

		printf("{\"name\":");
		json_escape(name, strlen(name), buf, sizeof(buf));
		printf("%s,\"action\":\"%s\",\"ok\":%s,\"message\":", buf, verb,
		       ok ? "true" : "false");
		if (json_escape(msg, strlen(msg), buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "\"\"");
		printf("%s,", buf);
		if (fr->done) {
			printf("\"flush_seconds\":%.6f,", fr->seconds);
			if (fr->bytes >= 0)
				printf("\"flush_bytes\":%" PRId64 "}\n", fr->bytes);
			else
				printf("\"flush_bytes\":null}\n");
		} else {
			printf("\"flush_seconds\":null,\"flush_bytes\":null}\n");
		}
	} else {
		table_display(msg, shown, sizeof(shown));
		fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "medialist: ", shown);
		if (fr->done) {
			flush_describe(fr, how, sizeof(how));
			printf("flushed %s\n", how);
		}
	}
	return ok ? EXIT_DONE : EXIT_FAILED;
}

static int act(const struct ml *ml, const char *verb, const char *name)
{
	char req[CONTROL_REQ_MAX], reply[CONTROL_REPLY_MAX + 1];
	struct flush_result fr;
	const char *text;
	struct entry e;
	bool ok;
	int r = lookup(ml, name, &e);

	if (r)
		return r;
	snprintf(req, sizeof(req), "%s %s", verb, name);
	r = request(ml, req, reply, sizeof(reply));
	if (r == -ENOENT || r == -ECONNREFUSED) {
		if (geteuid() != 0) {
			fprintf(stderr, "medialist: %s %s: mediad is not running, and only root "
					"can act without it\n", verb, name);
			return EXIT_FAILED;
		}
		fprintf(stderr, "medialist: mediad is not running: acting directly as root\n");
		act_directly(ml, verb, &e.rec, reply, sizeof(reply));
	} else if (r < 0) {
		fprintf(stderr, "medialist: %s %s: cannot reach mediad: %s\n", verb, name,
			strerror(-r));
		return EXIT_FAILED;
	}
	ok = split_reply(reply, &text, &fr);
	return report(ml, verb, name, ok, text, &fr);
}

int actions_unmount(const struct ml *ml, const char *name)
{
	return act(ml, "unmount", name);
}

int actions_eject(const struct ml *ml, const char *name)
{
	return act(ml, "eject", name);
}
