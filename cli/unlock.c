/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist unlock, lock, and eject of encrypted media: reads the secret
 * (terminal without echo, a key file, or a line of stdin) into locked,
 * undumpable memory, hands it to mediad in one message after the daemon
 * said "more" (lib/unlockproto.h), and wipes it. Must never print the
 * secret, put it in argv or the environment, or send it before mediad
 * has accepted the request. */
#include "unlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ctlproto.h"
#include "flush.h"
#include "json.h"
#include "medialist.h"
#include "name.h"

/* the daemon waits this long at most for a request's answer: the back-off
 * (daemon/backoff.h), the helper's deadline, the cleartext's publication */
#define BACKOFF_MAX_SECS 32
#define PUBLISH_SECS 15

struct buf {
	char *p;
	size_t cap, len;
};

static int buf_new(struct buf *b)
{
	b->cap = UNLOCK_MSG_MAX + 4096;
	b->len = 0;
	b->p = mmap(NULL, b->cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->p == MAP_FAILED)
		return -errno;
	madvise(b->p, b->cap, MADV_DONTDUMP);
	mlock(b->p, b->cap); /* best effort: a user's RLIMIT_MEMLOCK may be small */
	return 0;
}

static void buf_free(struct buf *b)
{
	if (b->p && b->p != MAP_FAILED) {
		explicit_bzero(b->p, b->cap);
		munmap(b->p, b->cap);
	}
	b->p = NULL;
}

int unlock_set_type(struct unlock_args *a, const char *v)
{
	if (unlockproto_type_parse(v, &a->opts.type) < 0 || a->opts.type == UNLOCK_AUTO) {
		fprintf(stderr, "medialist: --type: '%s' is not luks, luks1, luks2, veracrypt, "
				"truecrypt or bitlk\n", v);
		return EXIT_USAGE;
	}
	return 0;
}

int unlock_set_pim(struct unlock_args *a, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v < '1' || *v > '9' || *end || n > UNLOCK_PIM_MAX) {
		fprintf(stderr, "medialist: --pim: '%s' is not a number from 1 to %d\n", v,
			UNLOCK_PIM_MAX);
		return EXIT_USAGE;
	}
	a->pim = (unsigned)n;
	return 0;
}

static volatile sig_atomic_t interrupted;
static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One line from fd into b (after b->len), newline dropped. */
static int read_line(int fd, struct buf *b, size_t max)
{
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR && !interrupted)
			continue;
		if (n < 0)
			return interrupted ? -EINTR : -errno;
		if (n == 0 || c == '\n')
			break;
		if (b->len >= max)
			return -EFBIG;
		b->p[b->len++] = c;
	}
	if (b->len && b->p[b->len - 1] == '\r')
		b->len--;
	return 0;
}

/* The passphrase from the terminal, echo off (and back on whatever
 * happens, ^C included). */
static int ask_tty(const char *name, struct buf *b, size_t max)
{
	struct sigaction sa = { .sa_handler = on_int }, old_int, old_term;
	struct termios t, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	sigaction(SIGINT, &sa, &old_int); /* no SA_RESTART: the read returns */
	sigaction(SIGTERM, &sa, &old_term);
	/* echo off (and what was typed ahead dropped) before the prompt
	 * shows: a line typed once it shows is never flushed */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	dprintf(fd, "Passphrase for %s: ", name);
	r = read_line(fd, b, max);
	tcsetattr(fd, TCSAFLUSH, &t);
	dprintf(fd, "\n");
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(fd);
	return r;
}

static int read_file(const char *path, struct buf *b, size_t max)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO;
	int r = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, b->p + b->len, b->cap - b->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (b->len > max) {
			r = -EFBIG;
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}

/* The secret message: header, then the secret (read straight behind it). */
static int get_secret(const char *name, const struct unlock_args *a, struct buf *b)
{
	int h = unlockproto_secret_header(a->pim, b->p, UNLOCK_HEADER_MAX), r;

	if (h < 0)
		return h;
	b->len = (size_t)h;
	if (a->key_file)
		r = read_file(a->key_file, b, UNLOCK_SECRET_MAX + (size_t)h);
	else if (isatty(STDIN_FILENO))
		r = ask_tty(name, b, UNLOCK_SECRET_MAX + (size_t)h);
	else
		r = read_line(STDIN_FILENO, b, UNLOCK_SECRET_MAX + (size_t)h);
	if (r == 0 && b->len == (size_t)h)
		r = -ENODATA;
	return r;
}

static int report(const struct ml *ml, const char *verb, const char *name, char *reply)
{
	bool ok = !strncmp(reply, "ok ", 3);
	char *text = ok ? reply + 3 : !strncmp(reply, "error ", 6) ? reply + 6 : reply;
	char *more = strchr(text, '\n'), shown[CONTROL_REPLY_MAX * 5], how[64];
	const char *as = "";
	struct flush_result fr = { 0 };

	/* "TEXT", then lines "unlocked_as NAME" or "flush SECONDS BYTES" */
	if (more)
		*more++ = '\0';
	while (more && *more) {
		char *next = strchr(more, '\n');

		if (next)
			*next++ = '\0';
		if (!strncmp(more, "unlocked_as ", 12))
			as = more + 12;
		else if (flush_parse_line(more, &fr) < 0)
			memset(&fr, 0, sizeof(fr));
		more = next;
	}
	if (ml->json) {
		char j[JSON_ESCAPED_MAX(CONTROL_REPLY_MAX)], jn[JSON_ESCAPED_MAX(NAME_BUF * 2)];

		json_escape(name, strlen(name), jn, sizeof(jn));
		printf("{\"name\":%s,\"action\":\"%s\",\"ok\":%s,\"message\":", jn, verb,
		       ok ? "true" : "false");
		json_escape(text, strlen(text), j, sizeof(j));
		printf("%s,\"unlocked_as\":", j);
		if (*as) {
			json_escape(as, strlen(as), j, sizeof(j));
			printf("%s}\n", j);
		} else {
			printf("null}\n");
		}
	} else {
		table_display(text, shown, sizeof(shown));
		fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "medialist: ", shown);
		if (fr.done) {
			flush_describe(&fr, how, sizeof(how));
			printf("flushed %s\n", how);
		}
	}
	return ok ? EXIT_DONE : EXIT_FAILED;
}

/* Sends msg, waits for the reply (secs at most). 0 or -errno. */
static int exchange(int fd, const char *msg, size_t len, char *reply, size_t size, int secs)
{
	struct timeval tv = { .tv_sec = secs };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, msg, len, MSG_NOSIGNAL) < 0 || (n = recv(fd, reply, size - 1, 0)) < 0)
		return -errno;
	reply[n] = '\0';
	return 0;
}

/* An offered medium by its kernel name (mediad takes either). */
static int find_kname(const struct ml *ml, const char *kname, struct entry *out)
{
	struct entries all;
	int r = state_load(ml, false, &all);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < all.n && r; i++)
		if (!strcmp(all.v[i].rec.kname, kname)) {
			*out = all.v[i];
			r = 0;
		}
	state_free(&all);
	return r;
}

static bool prechecked(const struct ml *ml, const char *name, const struct unlock_args *a)
{
	struct entry e;
	bool tc = a->opts.type == UNLOCK_TCRYPT || a->opts.type == UNLOCK_VERACRYPT;

	if (state_find(ml, name, &e) < 0 && find_kname(ml, name, &e) < 0) {
		fprintf(stderr, "medialist: %s: no such medium\n", name);
		return false;
	}
	if (e.rec.unlocked_as[0] || e.rec.container[0]) {
		fprintf(stderr, "medialist: %s is already unlocked%s%s\n", name,
			e.rec.unlocked_as[0] ? " as " : "", e.rec.unlocked_as);
		return false;
	}
	if (!e.ignored || (strcmp(e.rec.usage, "crypto") && !(tc && !e.rec.fstype[0]))) {
		fprintf(stderr, "medialist: %s is not an encrypted container%s\n", name,
			!e.rec.fstype[0] && !tc ? " (a VeraCrypt or TrueCrypt volume? give "
						  "--type veracrypt)" : "");
		return false;
	}
	return true;
}

int unlock_run(const struct ml *ml, const char *name, const struct unlock_args *a)
{
	char req[CONTROL_REQ_MAX], opts[64], reply[CONTROL_REPLY_MAX + 1];
	struct unlock_opts o;
	struct buf b = { 0 };
	int fd, r, wait = (int)ml->cfg.unlock_timeout + BACKOFF_MAX_SECS + PUBLISH_SECS + 10;

	if (!name_is_valid(name)) {
		fprintf(stderr, "medialist: '%s' is not a medium's name\n", name);
		return EXIT_FAILED;
	}
	if (a->pim && a->opts.type != UNLOCK_VERACRYPT) {
		fprintf(stderr, "medialist: --pim is for --type veracrypt only\n");
		return EXIT_USAGE;
	}
	if (a->opts.hidden && a->opts.type != UNLOCK_VERACRYPT && a->opts.type != UNLOCK_TCRYPT) {
		fprintf(stderr, "medialist: --hidden is for --type veracrypt or truecrypt only\n");
		return EXIT_USAGE;
	}
	if (!prechecked(ml, name, a))
		return EXIT_FAILED;
	o = a->opts;
	o.keyfile = a->key_file != NULL; /* said in the answers; TCRYPT needs it */
	if (unlockproto_format_opts(&o, opts, sizeof(opts)) < 0 ||
	    snprintf(req, sizeof(req), "unlock %s %s", opts, name) >= (int)sizeof(req) ||
	    buf_new(&b) < 0) {
		fprintf(stderr, "medialist: %s: request too long\n", name);
		return EXIT_FAILED;
	}
	/* the secret first: a mistyped one costs no round trip */
	if ((r = get_secret(name, a, &b)) < 0) {
		buf_free(&b);
		fprintf(stderr, "medialist: %s: %s\n", name,
			r == -EFBIG ? "the secret is longer than 8192 bytes"
			: r == -ENODATA ? "empty passphrase or key file"
			: r == -EINTR ? "interrupted" : strerror(-r));
		return EXIT_FAILED;
	}
	if ((fd = state_connect(ml)) < 0) {
		buf_free(&b);
		fprintf(stderr, "medialist: unlock %s: mediad is not running (%s)\n", name,
			strerror(-fd));
		return EXIT_FAILED;
	}
	r = exchange(fd, req, strlen(req), reply, sizeof(reply), (int)CONTROL_IDLE_SECS + 5);
	/* the secret crosses the socket only once mediad has said "more" */
	if (r == 0 && !strncmp(reply, "more ", 5))
		r = exchange(fd, b.p, b.len, reply, sizeof(reply), wait);
	buf_free(&b);
	close(fd);
	if (r < 0)
		snprintf(reply, sizeof(reply), "error no answer from mediad: %s", strerror(-r));
	return report(ml, "unlock", name, reply);
}

int unlock_lock(const struct ml *ml, const char *verb, const char *name)
{
	char req[CONTROL_REQ_MAX], reply[CONTROL_REPLY_MAX + 1];
	int fd, r;

	if (!name_is_valid(name) ||
	    snprintf(req, sizeof(req), "%s %s", verb, name) >= (int)sizeof(req)) {
		fprintf(stderr, "medialist: '%s' is not a medium's name\n", name);
		return EXIT_FAILED;
	}
	if ((fd = state_connect(ml)) < 0) {
		fprintf(stderr, "medialist: %s %s: mediad is not running (%s)\n", verb, name,
			strerror(-fd));
		return EXIT_FAILED;
	}
	r = exchange(fd, req, strlen(req), reply, sizeof(reply), (int)CONTROL_ACTION_SECS + 10);
	close(fd);
	if (r < 0)
		snprintf(reply, sizeof(reply), "error no answer from mediad: %s", strerror(-r));
	return report(ml, verb, name, reply);
}

bool unlock_is_crypt(const struct ml *ml, const char *name)
{
	struct entry e;

	return name_is_valid(name) && state_find(ml, name, &e) == 0 &&
	       (e.rec.container[0] || e.rec.unlocked_as[0] || !strcmp(e.rec.usage, "crypto"));
}
