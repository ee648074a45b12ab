/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad-notify: the desktop's plug -> window -> safe indicator, driven by
 * `medialist watch --json`. The parts: the JSON reader (notify_json.c),
 * what a card says and does (notify_state.c, pure, tested without X), the
 * X window (notify_x11.c) and the loop (mediad_notify.c). None of them
 * ever acts on a medium itself: eject is `medialist eject`. */
#ifndef MEDIAD_NOTIFY_H
#define MEDIAD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#define NT_NAME 260   /* names are <= 64 bytes by contract; labels longer */
#define NT_PATH 1024
#define NT_MAX 12     /* cards at once; more sticks than that: the oldest gone ones go first */
#define NT_LINE 65536 /* the longest watch line read (a label escaped 6 times is < 2 KiB) */

/* The fields of a medium's JSON object the notifier reads. */
struct nt_rec {
	char name[NT_NAME], devname[64], fstype[32], label[NT_NAME], bus[32];
	char mountpoint[NT_PATH], path[NT_PATH];
	unsigned long long size;
	bool readonly, safe;
};

/* One `medialist watch --json` line. */
struct nt_event {
	char event[16];
	double time; /* seconds since the epoch, as medialist stamped it */
	struct nt_rec rec;
};

enum nt_phase { NT_PRESENT, NT_EJECTING, NT_GONE };
enum nt_tone { NT_NEUTRAL, NT_OK, NT_WARN, NT_BAD };
enum nt_button { NT_NONE, NT_BODY, NT_OPEN, NT_EJECT, NT_DISMISS };

struct nt_card {
	struct nt_rec rec;  /* as the last event left it */
	enum nt_phase phase;
	bool lost;          /* pulled while data waited to be written */
	bool ejected;       /* our eject succeeded before it went */
	bool note_bad;      /* note is an error */
	double dirty_since; /* when data began to wait (0: none waits) */
	double gone_at;
	char note[256];     /* what the last eject said */
};

struct nt_state {
	struct nt_card card[NT_MAX];
	size_t n;
	bool open_on_add; /* the setting: open the file manager on a new stick */
	double linger;    /* seconds a removed card stays (a lost one stays until dismissed) */
};

/* What the loop has to do after a change. */
enum nt_do { NT_DO_NOTHING = 0, NT_DO_REDRAW = 1, NT_DO_RAISE = 2, NT_DO_OPEN = 4, NT_DO_EJECT = 8 };

/* notify_json.c. Both return 0 or -EINVAL (not JSON, or not the shape
 * medialist prints); strings too long for a field are cut at a UTF-8
 * character boundary. */
int njson_event(const char *line, struct nt_event *ev);
/* `medialist --json eject` output: ok and message (size bytes). */
int njson_eject(const char *text, bool *ok, char *msg, size_t size);

/* notify_state.c */
void nstate_init(struct nt_state *s);
/* Applies one event; *card is the index of the card it concerns (or -1).
 * Returns NT_DO_* flags. */
int nstate_apply(struct nt_state *s, const struct nt_event *ev, int *card);
/* A click on *card: what to do (NT_DO_OPEN, NT_DO_EJECT), or a redraw
 * when the card is dismissed (*card is then -1). */
int nstate_click(struct nt_state *s, int *card, enum nt_button b);
/* The eject of card i ran: ok or not, with medialist's words. */
void nstate_ejected(struct nt_state *s, const char *name, bool ok, const char *msg);
/* Drops removed cards older than linger; returns NT_DO_REDRAW when one
 * went, and *next (seconds) until the next one goes, or -1. */
int nstate_expire(struct nt_state *s, double now, double *next);
/* The second line of a card ("writing — do not remove") and its tone. */
enum nt_tone nstate_status(const struct nt_card *c, char *buf, size_t size);
/* The detail line: "usb · vfat · 1.0 GiB". */
void nstate_detail(const struct nt_card *c, char *buf, size_t size);
/* The window title: every card's name and status ("mediad: KEYCHAIN:
 * safe to remove"), which tests look for with xdotool. */
void nstate_title(const struct nt_state *s, char *buf, size_t size);
/* Which buttons card i shows (bit 1 << NT_OPEN etc.). */
unsigned nstate_buttons(const struct nt_card *c);

/* notify_x11.c: one override-redirect window in the top right corner of
 * the work area, a card per medium. */
struct ntx;
int ntx_open(struct ntx **out, const char *font);
int ntx_fd(const struct ntx *x);
void ntx_draw(struct ntx *x, const struct nt_state *s, bool raise);
/* Handles pending X events. Returns 1 with *card and *b set on a click,
 * 0 when nothing was clicked. When the display goes away Xlib ends the
 * program (its I/O error handler); the session starts it again. */
int ntx_events(struct ntx *x, const struct nt_state *s, size_t *card, enum nt_button *b);
/* Events Xlib has read already (poll on its fd would not wake for them). */
bool ntx_pending(struct ntx *x);
void ntx_close(struct ntx *x);

/* notify_run.c: the program's children and the effects of its input. */
#define EJECT_DEADLINE 120.0 /* seconds: an eject still flushing then is killed */
#define NCHILD 8

struct opts {
	bool dry_run;
	const char *input, *medialist, *config, *fm, *font;
};

enum nt_kind { K_WATCH, K_EJECT };
struct child {
	int pid;      /* 0: a free slot */
	int fd;       /* its output, -1 when none or read to the end */
	enum nt_kind kind;
	double deadline;
	char name[NT_NAME];
	char out[4096];
	size_t n;
};

double run_now(void);
/* Starts argv in a session of its own, stdin from /dev/null; with fd, its
 * stdout (and stderr when both) into a pipe whose read end is *fd
 * (non-blocking). Returns the pid or -errno. */
int run_spawn(char *const argv[], int *fd, bool both);
struct child *run_slot(struct child *ch);
/* Starts `medialist watch --json`; returns its output fd or -errno. */
int run_watch(const struct opts *o, struct child *ch);
/* Does what todo says for card (-1: none): redraw, open, eject; in a dry
 * run prints it. why goes to the log. */
void run_effects(const struct opts *o, struct nt_state *s, struct ntx *x, struct child *ch,
		 int todo, int card, const char *why);
/* One read of fd; its complete lines are applied. 1 at the end of input. */
int run_drain(const struct opts *o, struct nt_state *s, struct ntx *x, struct child *ch, int fd,
	      char *buf, size_t *n, double *clock);

#endif
