/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist's shared declarations: the options every subcommand sees and
 * the media read from the state directory. Nothing here talks to the
 * daemon except actions_request() (cli/actions.c). Each function is
 * named after its file: state_, table_, jsonout_, watch_, actions_. */
#ifndef MEDIALIST_H
#define MEDIALIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "record.h"

/* exit codes, documented in medialist(1) */
#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct ml {
	struct config cfg;
	bool json, all, noheadings, wait;
	double timeout;        /* seconds; < 0: no limit */
	const char *columns;   /* -o */
};

struct entry {
	struct record rec;
	bool ignored;          /* from ignored/: listed, never offered */
};

struct entries {
	struct entry *v;       /* owned */
	size_t n;
};

/* cli/state.c */
int state_load(const struct ml *ml, bool with_ignored, struct entries *out);
void state_free(struct entries *e);
/* Reads media/NAME, else ignored/NAME (a kernel name). 0 or -errno. */
int state_find(const struct ml *ml, const char *name, struct entry *out);
/* mount.mediad's report on the last mount of the medium r describes
 * (<state_dir>/mounts/): read directly, since the daemon copies it into
 * the record only a moment later. */
int state_read_report(const struct ml *ml, const struct record *r, struct record *rep);
const char *state_name(const struct entry *e); /* mounted, idle, ignored */
/* A connected control socket, or -errno. */
int state_connect(const struct ml *ml);
/* True when the daemon answers on its socket; when not, says so once
 * on stderr. */
bool state_daemon_up(const struct ml *ml, bool warn);

/* cli/table.c */
int table_print(const struct ml *ml, const struct entries *e, FILE *out);
int table_info(const struct entry *e, FILE *out);
void table_human_size(unsigned long long bytes, char out[16]);
/* Text made safe for a terminal: control bytes, invalid UTF-8 and
 * bidirectional controls escaped. Returns its display width. */
size_t table_display(const char *in, char *out, size_t size);

/* cli/jsonout.c */
void jsonout_entry(const struct ml *ml, const struct entry *e, FILE *out);
int jsonout_list(const struct ml *ml, const struct entries *e, FILE *out);

/* cli/watch.c */
int watch_run(const struct ml *ml);

/* cli/actions.c */
int actions_mount(const struct ml *ml, const char *name);
int actions_unmount(const struct ml *ml, const char *name);
int actions_eject(const struct ml *ml, const char *name);
/* Waits (inotify) until media/NAME exists, at most ml->timeout. 0 or
 * -ETIMEDOUT / -errno. */
int actions_wait_for(const struct ml *ml, const char *name);

#endif
