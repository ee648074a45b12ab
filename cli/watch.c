/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist watch: turns changes of <state_dir>/media (seen with
 * libinotifytools) into add, remove, mount, unmount, dirty, clean,
 * change, unlocked and locked events, one line each, flushed at once. Reads records only;
 * must never act. */
#include "medialist.h"
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct known {
	struct record *v; /* owned */
	size_t n;
};

static struct record *find(struct known *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].name, name))
			return &k->v[i];
	return NULL;
}

/* One event line. Returns -EPIPE when nobody reads any more. */
static int emit(const struct ml *ml, const char *event, const struct record *r)
{
	char name[NAME_BUF * 5], dev[NAME_BUF * 5], mp[1024 * 4];

	if (ml->json) {
		struct entry e = { .rec = *r, .ignored = false };
		struct timeval tv;

		gettimeofday(&tv, NULL);
		printf("{\"event\":\"%s\",\"time\":%lld.%03d,\"medium\":", event,
		       (long long)tv.tv_sec, (int)(tv.tv_usec / 1000));
		jsonout_entry(ml, &e, stdout);
		fputs("}\n", stdout);
	} else {
		/* the last field: the mount point, or for unlocked and locked
		 * the container's kernel name */
		bool crypt = !strcmp(event, "unlocked") || !strcmp(event, "locked");

		table_display(r->name, name, sizeof(name));
		table_display(r->devname, dev, sizeof(dev));
		table_display(crypt ? r->container : r->mountpoint, mp, sizeof(mp));
		printf("%s %s %s%s%s\n", event, name, dev, *mp ? " " : "", mp);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		return -EPIPE;
	return 0;
}

static int seen(const struct ml *ml, struct known *k, int dirfd, const char *file)
{
	struct record rec, *old = find(k, file);
	int r = 0;

	if (statedir_read_record(dirfd, file, &rec) < 0)
		return 0; /* gone again already: its delete follows */
	if (!old) {
		struct record *v = realloc(k->v, (k->n + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->v = v;
		k->v[k->n++] = rec;
		r = emit(ml, "add", &rec);
		if (!r && rec.container[0]) /* the cleartext of an encrypted container */
			r = emit(ml, "unlocked", &rec);
		if (!r && rec.mountpoint[0])
			r = emit(ml, "mount", &rec);
		return r;
	}
	if (strcmp(old->mountpoint, rec.mountpoint)) {
		if (old->mountpoint[0])
			r = emit(ml, "unmount", old);
		if (!r && rec.mountpoint[0])
			r = emit(ml, "mount", &rec);
	} else if (rec.mountpoint[0] && old->safe != rec.safe) {
		/* the daemon's dirty-data poll: safe to pull now, or not */
		r = emit(ml, rec.safe ? "clean" : "dirty", &rec);
	} else if (memcmp(old, &rec, sizeof(rec))) {
		r = emit(ml, "change", &rec);
	}
	*old = rec;
	return r;
}

static int gone(const struct ml *ml, struct known *k, const char *file)
{
	struct record *old = find(k, file);
	int r;

	if (!old)
		return 0;
	r = old->container[0] ? emit(ml, "locked", old) : 0;
	if (!r)
		r = emit(ml, "remove", old);
	*old = k->v[--k->n];
	return r;
}

/* The reader of our pipe went away: poll reports an error on stdout. */
static bool stdout_closed(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int watch_run(const struct ml *ml)
{
	char dir[300];
	struct known k = { NULL, 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int dirfd, r = 0;

	snprintf(dir, sizeof(dir), "%s/media", ml->cfg.state_dir);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: the read returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* watch first, then read what is there: nothing slips between */
	if (!inotifytools_initialize() ||
	    !inotifytools_watch_file(dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
						 IN_MOVED_FROM | IN_DELETE_SELF)) {
		fprintf(stderr, "medialist: cannot watch %s: %s\n", dir,
			strerror(inotifytools_error()));
		return EXIT_FAILED;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "medialist: cannot read %s: %s\n", dir, strerror(errno));
		inotifytools_cleanup();
		return EXIT_FAILED;
	}
	{
		struct entries e;

		if (state_load(ml, false, &e) == 0) {
			for (size_t i = 0; i < e.n; i++) {
				struct record *v = realloc(k.v, (k.n + 1) * sizeof(*v));

				if (!v)
					break;
				k.v = v;
				k.v[k.n++] = e.v[i].rec;
			}
			state_free(&e);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop && r == 0) {
		/* a one-second tick only to notice a closed pipe while no
		 * medium moves; events themselves wake us at once */
		struct inotify_event *ev = inotifytools_next_event(1);

		if (!ev) {
			if (stdout_closed())
				break;
			continue;
		}
		if (ev->mask & (IN_DELETE_SELF | IN_IGNORED)) {
			fprintf(stderr, "medialist: %s was removed\n", dir);
			r = -ENOENT;
			break;
		}
		if (!ev->len || ev->name[0] == '.')
			continue;
		if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE))
			r = seen(ml, &k, dirfd, ev->name);
		else
			r = gone(ml, &k, ev->name);
	}
	close(dirfd);
	free(k.v);
	inotifytools_cleanup();
	/* a closed pipe or a signal is the normal way to stop watching */
	return r == 0 || r == -EPIPE ? EXIT_DONE : EXIT_FAILED;
}
