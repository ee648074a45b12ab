/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad-notify: the desktop indicator of the live CD. Reads
 * `medialist watch --json` (its own child, restarted when it ends), shows
 * a card per stick, opens the file manager on <media_dir>/list/NAME and
 * runs `medialist eject NAME` when asked; --dry-run prints all that
 * instead (no X). main() is: options, open, loop, close. Must never block
 * on a child or act on a medium itself. */
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
#include <unistd.h>

#define BACKOFF_MAX 8.0 /* seconds between restarts of a failing watch */

static int wake[2] = { -1, -1 };
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	int e = errno;

	if (sig != SIGCHLD)
		stop = 1;
	(void)!write(wake[1], "x", 1);
	errno = e;
}

static void usage(FILE *f)
{
	fputs("usage: mediad-notify [options]\n"
	      "  -n, --dry-run            no window: print what would be shown and run\n"
	      "  -i, --input FILE         read watch events from FILE ('-': stdin), not from medialist\n"
	      "  -M, --medialist PATH     the medialist to run (default: medialist)\n"
	      "  -c, --config FILE        passed to medialist -c\n"
	      "  -f, --file-manager CMD   opens a stick's folder: CMD PATH (default: xfe)\n"
	      "      --no-open            do not open the file manager when a stick is plugged in\n"
	      "      --font PATTERN       Xft font (default: DejaVu Sans:size=10)\n"
	      "      --linger SECONDS     how long a removed stick's card stays (default 10)\n"
	      "  MEDIAD_NOTIFY_OPEN=0 in the environment is the same as --no-open.\n", f);
}

/* A child ended: what it leaves behind. */
static void reaped(const struct opts *o, struct nt_state *s, struct ntx *x, struct child *ch,
		   struct child *k, int status, double *restart_at, double *backoff)
{
	if (k->kind == K_EJECT) {
		bool ok = false;
		char msg[256];
		ssize_t r;

		while (k->fd >= 0 && k->n < sizeof(k->out) - 1 &&
		       (r = read(k->fd, k->out + k->n, sizeof(k->out) - 1 - k->n)) > 0)
			k->n += (size_t)r;
		k->out[k->n] = '\0';
		if (njson_eject(k->out, &ok, msg, sizeof(msg)) < 0 || !msg[0]) {
			/* not JSON: medialist's own error line, "medialist: ..." */
			char *nl = strchr(k->out, '\n');

			const char *m = k->out;

			if (nl)
				*nl = '\0';
			if (!strncmp(m, "medialist: ", 11))
				m += 11;
			snprintf(msg, sizeof(msg), "%s", m[0] ? m : "no answer");
		}
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		nstate_ejected(s, k->name, ok, msg);
		run_effects(o, s, x, ch, NT_DO_REDRAW | NT_DO_RAISE, -1, "eject");
		fprintf(stderr, "mediad-notify: eject %s: %s\n", k->name, msg);
	} else {
		fprintf(stderr, "mediad-notify: medialist watch ended (status %d); again in %.0f s\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), *backoff);
		*restart_at = run_now() + *backoff;
		*backoff = *backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : *backoff * 2;
	}
	if (k->kind == K_WATCH) {
		k->pid = 0; /* the slot is free once the loop has read its fd to the end */
		return;
	}
	if (k->fd >= 0)
		close(k->fd);
	*k = (struct child){ .fd = -1 };
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' }, { "input", required_argument, NULL, 'i' },
		{ "medialist", required_argument, NULL, 'M' }, { "config", required_argument, NULL, 'c' },
		{ "file-manager", required_argument, NULL, 'f' }, { "no-open", no_argument, NULL, 'O' },
		{ "font", required_argument, NULL, 'F' }, { "linger", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct opts o = { .medialist = "medialist", .fm = "xfe", .font = "DejaVu Sans:size=10" };
	static struct nt_state s;
	static struct child ch[NCHILD];
	static char buf[NT_LINE];
	struct sigaction sa = { .sa_handler = on_signal };
	struct ntx *x = NULL;
	struct child *watch = NULL;
	size_t n = 0;
	double clock = 0, restart_at = 0, backoff = 1, watch_start = 0;
	int in = -1, opt;
	const char *env = getenv("MEDIAD_NOTIFY_OPEN");

	nstate_init(&s);
	if (env && !strcmp(env, "0"))
		s.open_on_add = false;
	while ((opt = getopt_long(argc, argv, "ni:M:c:f:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': o.dry_run = true; break;
		case 'i': o.input = optarg; break;
		case 'M': o.medialist = optarg; break;
		case 'c': o.config = optarg; break;
		case 'f': o.fm = optarg; break;
		case 'O': s.open_on_add = false; break;
		case 'F': o.font = optarg; break;
		case 'L':
			s.linger = strtod(optarg, NULL);
			if (s.linger <= 0) {
				fprintf(stderr, "mediad-notify: --linger: not a positive number: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < NCHILD; i++)
		ch[i].fd = -1;
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("mediad-notify: pipe");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGCHLD, &sa, NULL); /* no SA_RESTART: poll returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!o.dry_run) {
		int r = ntx_open(&x, o.font);

		if (r < 0) {
			fprintf(stderr, "mediad-notify: cannot open the display%s%s: %s\n",
				getenv("DISPLAY") ? " " : " (DISPLAY is not set)",
				getenv("DISPLAY") ? getenv("DISPLAY") : "",
				r == -EINVAL ? "no font or colour" : strerror(-r));
			return 1;
		}
		ntx_draw(x, &s, false);
	}
	if (o.input) {
		in = strcmp(o.input, "-") ? open(o.input, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		if (in < 0) {
			fprintf(stderr, "mediad-notify: cannot read %s: %s\n", o.input, strerror(errno));
			return 1;
		}
	}

	while (!stop) {
		struct pollfd p[3 + NCHILD];
		int np = 0, timeout = -1;
		double t = run_now(), next = -1;
		size_t card;
		enum nt_button b;

		if (!o.input && !watch && t >= restart_at) {
			in = run_watch(&o, ch);
			if (in < 0) {
				fprintf(stderr, "mediad-notify: cannot run %s: %s\n", o.medialist,
					strerror(-in));
				restart_at = t + backoff;
			} else {
				for (int i = 0; i < NCHILD; i++)
					if (ch[i].kind == K_WATCH && ch[i].fd == in && ch[i].pid)
						watch = &ch[i];
				watch_start = t;
			}
		}
		if (!o.dry_run && nstate_expire(&s, t, &next))
			run_effects(&o, &s, x, ch, NT_DO_REDRAW, -1, "expired");
		if (!o.dry_run && next >= 0)
			timeout = (int)(next * 1000) + 50;
		if (!o.input && !watch) {
			int ms = (int)((restart_at - t) * 1000) + 10;

			timeout = timeout < 0 || ms < timeout ? ms : timeout;
		}
		p[np++] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = x ? ntx_fd(x) : -1, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = in, .events = POLLIN };
		for (int i = 0; i < NCHILD; i++) {
			p[np++] = (struct pollfd){ .fd = ch[i].kind == K_EJECT ? ch[i].fd : -1,
						   .events = POLLIN };
			if (ch[i].kind == K_EJECT && ch[i].pid) {
				int ms = (int)((ch[i].deadline - t) * 1000) + 10;

				timeout = timeout < 0 || ms < timeout ? ms : timeout;
				if (ms <= 10)
					kill(ch[i].pid, SIGKILL); /* reaped below */
			}
		}
		if (x && ntx_pending(x)) /* read by Xlib already: poll would not see them */
			timeout = 0;
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			char drainbuf[64];
			int st, pid;

			while (read(wake[0], drainbuf, sizeof(drainbuf)) > 0)
				;
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				for (int i = 0; i < NCHILD; i++)
					if (ch[i].pid == pid) {
						if (&ch[i] == watch && run_now() - watch_start > 30)
							backoff = 1; /* it ran a while: not failing */
						reaped(&o, &s, x, ch, &ch[i], st, &restart_at, &backoff);
					}
		}
		if (x && ntx_events(x, &s, &card, &b) == 1) {
			int c = (int)card, todo = nstate_click(&s, &c, b);

			run_effects(&o, &s, x, ch, todo, c, "click");
		}
		if (in >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    run_drain(&o, &s, x, ch, in, buf, &n, &clock)) {
			if (watch) { /* read to the end; the slot is free once it is reaped too */
				close(in);
				watch->fd = -1;
				watch = NULL;
				restart_at = restart_at > run_now() ? restart_at : run_now() + backoff;
			} else {
				if (in != STDIN_FILENO)
					close(in);
				if (o.dry_run)
					break; /* the recorded stream is done */
			}
			in = -1;
			n = 0;
		}
		for (int i = 0; i < NCHILD; i++) {
			struct child *k = &ch[i];
			ssize_t r;

			if (k->kind != K_EJECT || k->fd < 0 || !(p[3 + i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(k->fd, k->out + k->n, sizeof(k->out) - 1 - k->n);
			if (r > 0)
				k->n += (size_t)r;
			else if (r == 0 || k->n == sizeof(k->out) - 1) {
				close(k->fd); /* the rest is read when it is reaped: none */
				k->fd = -1;
			}
		}
	}
	if (watch && watch->pid)
		kill(watch->pid, SIGTERM);
	ntx_close(x);
	return 0;
}
