/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What mediad-notify runs: its children (the watch, the file manager,
 * medialist eject; one spawn for all), and the effects of each input line
 * on the cards, the window and the children; in a dry run, the same
 * effects printed instead. Must never touch a medium itself, and never
 * wait for a child. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double run_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The one way a child starts: argv run with stdin from /dev/null, stdout
 * (and stderr when both) into a pipe whose read end is *fd (fd NULL: no
 * pipe, output to ours). A new session: a window manager's or terminal's
 * signals meant for us never reach it. Returns the pid or -errno. */
int run_spawn(char *const argv[], int *fd, bool both)
{
	int p[2] = { -1, -1 };
	int pid;

	if (fd && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		if (fd) {
			close(p[0]);
			close(p[1]);
		}
		return e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (fd) {
			dup2(p[1], STDOUT_FILENO);
			if (both)
				dup2(p[1], STDERR_FILENO);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "mediad-notify: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (fd) {
		close(p[1]);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		*fd = p[0];
	}
	return pid;
}

struct child *run_slot(struct child *c)
{
	for (int i = 0; i < NCHILD; i++)
		if (!c[i].pid && c[i].fd < 0)
			return &c[i];
	return NULL;
}

/* argv for medialist [-c CONFIG] ARGS... (at most 3 ARGS) */
static void ml_argv(const struct opts *o, char *argv[8], const char *a, const char *b,
		    const char *c)
{
	int n = 0;

	argv[n++] = (char *)o->medialist;
	if (o->config) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)o->config;
	}
	argv[n++] = (char *)a;
	argv[n++] = (char *)b;
	argv[n++] = (char *)c;
	argv[n] = NULL;
}

int run_watch(const struct opts *o, struct child *ch)
{
	char *argv[8];
	struct child *c = run_slot(ch);
	int pid;

	if (!c)
		return -EAGAIN;
	ml_argv(o, argv, "--json", "watch", NULL);
	pid = run_spawn(argv, &c->fd, false);
	if (pid < 0)
		return (int)pid;
	*c = (struct child){ .pid = pid, .fd = c->fd, .kind = K_WATCH };
	return c->fd;
}

/* Prints s with control bytes escaped: names and labels are the stick's. */
static void print_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
}

void run_effects(const struct opts *o, struct nt_state *s, struct ntx *x,
		       struct child *ch, int todo, int card, const char *why)
{
	const struct nt_card *c = card >= 0 && (size_t)card < s->n ? &s->card[card] : NULL;
	char st[400];
	static char last_title[4096];
	char title[4096];

	nstate_title(s, title, sizeof(title));
	if (c && (todo & NT_DO_REDRAW)) {
		nstate_status(c, st, sizeof(st));
		if (o->dry_run) {
			printf("show ");
			print_safe(c->rec.name);
			printf(": %s\n", st);
		} else if (strcmp(title, last_title)) {
			fprintf(stderr, "mediad-notify: %s: %s (%s)\n", c->rec.name, st, why);
		}
	}
	if (o->dry_run && strcmp(title, last_title)) {
		printf("title: ");
		print_safe(title);
		putchar('\n');
	}
	snprintf(last_title, sizeof(last_title), "%s", title);
	if (c && (todo & NT_DO_OPEN)) {
		const char *path = c->rec.path;

		if (o->dry_run) {
			printf("run: %s ", o->fm);
			print_safe(path);
			putchar('\n');
		} else {
			char cmd[512];
			char *argv[] = { (char *)"/bin/sh", (char *)"-c", cmd, (char *)"mediad-notify",
					 (char *)path, NULL };
			int pid = -ENAMETOOLONG;

			/* the command is the session's (trusted); the path, from
			 * the stick's name, only ever an argument. Not kept in a
			 * slot: a file manager lives as long as its window, and
			 * the loop reaps whatever child ends. */
			if ((size_t)snprintf(cmd, sizeof(cmd), "exec %s \"$1\"", o->fm) < sizeof(cmd))
				pid = run_spawn(argv, NULL, false);
			if (pid < 0)
				fprintf(stderr, "mediad-notify: cannot open %s: %s\n", path,
					strerror(-pid));
		}
	}
	if (c && (todo & NT_DO_EJECT)) {
		if (o->dry_run) {
			printf("run: %s eject ", o->medialist);
			print_safe(c->rec.name);
			putchar('\n');
		} else {
			char *argv[8];
			struct child *k = run_slot(ch);
			int pid = -EAGAIN;

			ml_argv(o, argv, "--json", "eject", c->rec.name);
			if (k)
				pid = run_spawn(argv, &k->fd, true);
			if (pid < 0) {
				nstate_ejected(s, c->rec.name, false, strerror(-pid));
			} else {
				*k = (struct child){ .pid = pid, .fd = k->fd, .kind = K_EJECT,
						     .deadline = run_now() + EJECT_DEADLINE };
				snprintf(k->name, sizeof(k->name), "%s", c->rec.name);
			}
		}
	}
	if (x && todo)
		ntx_draw(x, s, todo & NT_DO_RAISE);
	fflush(stdout);
}

/* One input line: a watch event, or in a dry run "click NAME BUTTON". */
static void line(const struct opts *o, struct nt_state *s, struct ntx *x, struct child *ch,
		 const char *l, double *clock)
{
	struct nt_event ev;
	int card, todo;
	double next;

	if (o->dry_run && !strncmp(l, "click ", 6)) {
		static const char *const names[] = { [NT_BODY] = "body", [NT_OPEN] = "open",
						     [NT_EJECT] = "eject", [NT_DISMISS] = "dismiss" };
		const char *sp = strrchr(l + 6, ' ');

		for (size_t i = 0; sp && i < s->n; i++) {
			if (strlen(s->card[i].rec.name) != (size_t)(sp - l - 6) ||
			    strncmp(s->card[i].rec.name, l + 6, (size_t)(sp - l - 6)))
				continue;
			for (int b = NT_BODY; b <= NT_DISMISS; b++)
				if (!strcmp(sp + 1, names[b])) {
					card = (int)i;
					todo = nstate_click(s, &card, (enum nt_button)b);
					run_effects(o, s, x, ch, todo, card, "click");
					return;
				}
		}
		printf("no card for: %s\n", l);
		return;
	}
	if (njson_event(l, &ev) < 0) {
		fprintf(stderr, "mediad-notify: not a watch event, ignored: %.80s\n", l);
		return;
	}
	/* a dry run keeps the stream's own clock: the same output every run */
	*clock = o->dry_run ? ev.time : run_now();
	if (nstate_expire(s, *clock, &next))
		run_effects(o, s, x, ch, NT_DO_REDRAW, -1, "expired");
	todo = nstate_apply(s, &ev, &card);
	run_effects(o, s, x, ch, todo, card, ev.event);
}

/* One read of fd (poll said it is readable); complete lines go to line().
 * Returns 0, or 1 at the end of the input. */
int run_drain(const struct opts *o, struct nt_state *s, struct ntx *x, struct child *ch,
		 int fd, char *buf, size_t *n, double *clock)
{
	ssize_t r = read(fd, buf + *n, NT_LINE - 1 - *n);
	char *nl;

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (r == 0)
		return 1;
	*n += (size_t)r;
	buf[*n] = '\0';
	while ((nl = memchr(buf, '\n', *n))) {
		*nl = '\0';
		if (nl > buf)
			line(o, s, x, ch, buf, clock);
		*n -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *n);
		buf[*n] = '\0';
	}
	if (*n == NT_LINE - 1) {
		fprintf(stderr, "mediad-notify: a line longer than %d bytes, dropped\n", NT_LINE);
		*n = 0;
	}
	return 0;
}
