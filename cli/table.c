/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table and the info view: columns chosen with -o, widths measured in
 * terminal cells, flexible columns cut to fit the terminal. Every byte of
 * a label passes table_display() first: nothing from a medium may reach the
 * terminal as a control sequence. */
#include "medialist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "utf8.h"

#define CELL_BUF 1600

enum col_id {
	C_NAME, C_DEVICE, C_TYPE, C_SIZE, C_BUS, C_STATE, C_LABEL, C_UUID,
	C_VENDOR, C_MODEL, C_SERIAL, C_MOUNTPOINT, C_OPTIONS, C_RO, C_RM,
	C_KNAME, C_DEVNUM, C_REASON, C_USAGE, C_MOUNTTYPE, C_NOTE, C_SAFE,
	C_UNLOCKED_AS, C_CONTAINER,
};

struct column {
	const char *title;
	enum col_id id;
	bool flexible;  /* may be cut to fit the terminal */
	bool right;     /* right-aligned (numbers) */
};

static const struct column columns[] = {
	{ "NAME", C_NAME, false, false },	  { "DEVICE", C_DEVICE, false, false },
	{ "TYPE", C_TYPE, false, false },	  { "SIZE", C_SIZE, false, true },
	{ "BUS", C_BUS, false, false },		  { "STATE", C_STATE, false, false },
	{ "LABEL", C_LABEL, true, false },	  { "UUID", C_UUID, true, false },
	{ "VENDOR", C_VENDOR, true, false },	  { "MODEL", C_MODEL, true, false },
	{ "SERIAL", C_SERIAL, true, false },	  { "MOUNTPOINT", C_MOUNTPOINT, true, false },
	{ "OPTIONS", C_OPTIONS, true, false },	  { "RO", C_RO, false, false },
	{ "RM", C_RM, false, false },		  { "KNAME", C_KNAME, false, false },
	{ "DEVNUM", C_DEVNUM, false, false },	  { "REASON", C_REASON, true, false },
	{ "USAGE", C_USAGE, false, false },	  { "MOUNTTYPE", C_MOUNTTYPE, false, false },
	{ "NOTE", C_NOTE, true, false },
	{ "SAFE", C_SAFE, false, false },
	/* encrypted media: the container's cleartext, the cleartext's container */
	{ "UNLOCKED_AS", C_UNLOCKED_AS, false, false }, { "CONTAINER", C_CONTAINER, false, false },
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))
#define MAX_SHOWN 32

void table_human_size(unsigned long long bytes, char out[16])
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, 16, "%lluB", bytes);
	else if (v < 10 && v != (double)(unsigned long long)v)
		snprintf(out, 16, "%.1f%c", v, units[u]);
	else
		snprintf(out, 16, "%.0f%c", v, units[u]);
}

static bool is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

size_t table_display(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), o = 0, width = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		char tmp[16];
		const char *piece = tmp;
		size_t plen;
		int w;

		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			n = n ? n : 1;
			plen = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			if (n == 2) /* a C1 control: both bytes shown */
				plen += (size_t)snprintf(tmp + plen, sizeof(tmp) - plen,
							 "\\x%02x", s[i + 1]);
			w = (int)plen;
		} else if (is_bidi_control(cp)) {
			plen = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
			w = (int)plen;
		} else {
			piece = (const char *)s + i;
			plen = n;
			w = wcwidth((wchar_t)cp);
			if (w < 0)
				w = 1;
		}
		if (o + plen >= size)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		width += (size_t)w;
		i += n;
	}
	out[o] = '\0';
	return width;
}

static size_t cell(const struct entry *e, enum col_id id, char *out, size_t size)
{
	const struct record *r = &e->rec;
	char tmp[CELL_BUF];

	tmp[0] = '\0';
	switch (id) {
	case C_NAME: snprintf(tmp, sizeof(tmp), "%s", e->ignored ? "-" : r->name); break;
	case C_DEVICE: snprintf(tmp, sizeof(tmp), "%s", r->devname); break;
	case C_TYPE: snprintf(tmp, sizeof(tmp), "%s", r->fstype); break;
	case C_SIZE: table_human_size(r->size, tmp); break;
	case C_BUS: snprintf(tmp, sizeof(tmp), "%s", r->bus); break;
	case C_STATE: snprintf(tmp, sizeof(tmp), "%s", state_name(e)); break;
	case C_LABEL: snprintf(tmp, sizeof(tmp), "%s", r->label); break;
	case C_UUID: snprintf(tmp, sizeof(tmp), "%s", r->uuid); break;
	case C_VENDOR: snprintf(tmp, sizeof(tmp), "%s", r->vendor); break;
	case C_MODEL: snprintf(tmp, sizeof(tmp), "%s", r->model); break;
	case C_SERIAL: snprintf(tmp, sizeof(tmp), "%s", r->serial); break;
	case C_MOUNTPOINT: snprintf(tmp, sizeof(tmp), "%s", r->mountpoint); break;
	case C_OPTIONS: snprintf(tmp, sizeof(tmp), "%s", r->options); break;
	case C_RO: snprintf(tmp, sizeof(tmp), "%d", r->readonly); break;
	case C_RM: snprintf(tmp, sizeof(tmp), "%d", r->removable); break;
	case C_KNAME: snprintf(tmp, sizeof(tmp), "%s", r->kname); break;
	case C_DEVNUM: snprintf(tmp, sizeof(tmp), "%u:%u", r->devmajor, r->devminor); break;
	case C_REASON: snprintf(tmp, sizeof(tmp), "%s", r->reason); break;
	case C_USAGE: snprintf(tmp, sizeof(tmp), "%s", r->usage); break;
	case C_MOUNTTYPE: snprintf(tmp, sizeof(tmp), "%s", r->mounttype); break;
	case C_NOTE: /* why the last mount went as it did */
		snprintf(tmp, sizeof(tmp), "%s%s", r->mount_error[0] ? "cannot mount: " : "",
			 r->mount_error[0] ? r->mount_error : r->mount_note);
		break;
	/* can it be pulled now (daemon/dirty.c); ignored devices: no answer */
	case C_SAFE: snprintf(tmp, sizeof(tmp), "%s", e->ignored ? "-" : r->safe ? "yes" : "no"); break;
	case C_UNLOCKED_AS: snprintf(tmp, sizeof(tmp), "%s", r->unlocked_as); break;
	case C_CONTAINER: snprintf(tmp, sizeof(tmp), "%s", r->container); break;
	}
	return table_display(tmp, out, size);
}

/* Parses -o: comma-separated titles, case-insensitive; "+LIST" adds to
 * the default set, as lsblk does. Returns the count or -EINVAL. */
static int pick_columns(const struct ml *ml, const struct column *shown[MAX_SHOWN])
{
	char buf[512], *save = NULL;
	const char *spec = ml->columns;
	int n = 0;

	if (!spec || *spec == '+') {
		static const enum col_id def[] = { C_NAME, C_DEVICE, C_TYPE, C_SIZE,
						   C_BUS, C_STATE, C_SAFE, C_LABEL };

		for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			shown[n++] = &columns[def[i]];
		if (ml->all)
			shown[n++] = &columns[C_REASON];
	}
	if (!spec)
		return n;
	if (*spec == '+')
		spec++;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < N_COLUMNS; i++)
			if (!strcasecmp(t, columns[i].title))
				break;
		if (i == N_COLUMNS) {
			fprintf(stderr, "medialist: unknown column '%s'\n", t);
			return -EINVAL;
		}
		if (n == MAX_SHOWN)
			return -EINVAL;
		shown[n++] = &columns[i];
	}
	return n ? n : -EINVAL;
}

static size_t term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (c && atoi(c) > 0)
		return (size_t)atoi(c);
	return 0; /* not a terminal: never cut */
}

/* Prints s padded (or cut, with "…") to width cells. */
static void put_cell(FILE *out, const char *s, size_t w, size_t width, bool right,
		     bool last)
{
	if (w > width) {
		const unsigned char *p = (const unsigned char *)s;
		size_t used = 0, i = 0, len = strlen(s);

		while (i < len) {
			uint32_t cp;
			size_t n = utf8_decode(p + i, len - i, &cp);
			int cw = n ? wcwidth((wchar_t)cp) : 1;

			n = n ? n : 1;
			cw = cw < 0 ? 1 : cw;
			if (used + (size_t)cw + 1 > width)
				break;
			fwrite(p + i, 1, n, out);
			used += (size_t)cw;
			i += n;
		}
		fputs("\xe2\x80\xa6", out);
		for (used++; used < width; used++)
			fputc(' ', out);
		return;
	}
	if (right)
		fprintf(out, "%*s", (int)(width - w), "");
	fputs(s, out);
	if (!right && !last)
		fprintf(out, "%*s", (int)(width - w), "");
}

int table_print(const struct ml *ml, const struct entries *e, FILE *out)
{
	const struct column *shown[MAX_SHOWN];
	size_t width[MAX_SHOWN] = { 0 }, total = 0, tw = term_width();
	char (*cells)[CELL_BUF];
	size_t *cw;
	int n = pick_columns(ml, shown);

	if (n < 0)
		return -EINVAL;
	cells = calloc((e->n + 1) * (size_t)n, CELL_BUF);
	cw = calloc((e->n + 1) * (size_t)n, sizeof(*cw));
	if (!cells || !cw) {
		free(cells);
		free(cw);
		return -ENOMEM;
	}
	for (int c = 0; c < n; c++) {
		snprintf(cells[c], CELL_BUF, "%s", shown[c]->title);
		cw[c] = ml->noheadings ? 0 : strlen(shown[c]->title);
		width[c] = cw[c];
	}
	for (size_t i = 0; i < e->n; i++) {
		for (int c = 0; c < n; c++) {
			size_t k = (i + 1) * (size_t)n + (size_t)c;

			cw[k] = cell(&e->v[i], shown[c]->id, cells[k], CELL_BUF);
			if (cw[k] > width[c])
				width[c] = cw[k];
		}
	}
	for (int c = 0; c < n; c++)
		total += width[c] + (c ? 1 : 0);
	/* too wide for the terminal: shrink the widest flexible column, one
	 * cell at a time, down to 6 cells each */
	while (tw && total > tw) {
		int widest = -1;

		for (int c = 0; c < n; c++)
			if (shown[c]->flexible && width[c] > 6 &&
			    (widest < 0 || width[c] > width[widest]))
				widest = c;
		if (widest < 0)
			break;
		width[widest]--;
		total--;
	}
	for (size_t i = ml->noheadings ? 1 : 0; i <= e->n; i++) {
		for (int c = 0; c < n; c++) {
			size_t k = i * (size_t)n + (size_t)c;

			if (c == n - 1 && cw[k] == 0)
				break; /* no trailing blanks after an empty last cell */
			if (c)
				fputc(' ', out);
			put_cell(out, cells[k], cw[k], width[c], shown[c]->right, c == n - 1);
		}
		fputc('\n', out);
	}
	free(cells);
	free(cw);
	return 0;
}

int table_info(const struct entry *e, FILE *out)
{
	char buf[RECORD_MAX_BYTES], shown[CELL_BUF * 2];
	int len = record_format(&e->rec, buf, sizeof(buf));
	char *save = NULL;

	if (len < 0)
		return len;
	/* the record's own escaped form: one line per key, nothing raw */
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');

		if (!eq)
			continue;
		*eq = '\0';
		table_display(eq + 1, shown, sizeof(shown));
		fprintf(out, "%-11s %s\n", l, shown);
	}
	fprintf(out, "%-11s %s\n", "state", state_name(e));
	return 0;
}
