/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The window of mediad-notify: a column of cards in the top right corner
 * of the work area, one per medium, drawn with Xlib and Xft (both already
 * on any system with xterm), so no notification daemon and no session
 * bus are needed. Override-redirect: it works the same under any window
 * manager, or none. Draws what notify_state.c says; must never decide. */
#include "notify.h"

#include <X11/Xatom.h>
#include <X11/Xft/Xft.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 400      /* window width */
#define CARD_H 90  /* one card: name, detail, two lines of status */
#define GAP 6      /* between cards */
#define PAD 10
#define BTN_H 22
#define EDGE 8     /* from the work area's corner */

static const char *const tone_colour[] = {
	[NT_NEUTRAL] = "#6b6b6b", [NT_OK] = "#1a7f37", [NT_WARN] = "#b35900", [NT_BAD] = "#c62828",
};
static const char *const button_label[] = {
	[NT_OPEN] = "Open", [NT_EJECT] = "Eject", [NT_DISMISS] = "\xc3\x97",
};

struct ntx {
	Display *dpy;
	int screen;
	Window win;
	Visual *vis;
	Colormap cmap;
	XftDraw *draw;
	XftFont *font, *bold;
	XftColor fg, dim, bg, frame, tone[4];
	unsigned long bg_pixel, frame_pixel;
	int x, y, h;   /* where the window is now */
	bool mapped;
	size_t shown;  /* cards drawn */
	/* the buttons drawn, for hit tests: card, button, box */
	struct hit {
		size_t card;
		enum nt_button b;
		int x, y, w, h;
	} hits[NT_MAX * 3];
	size_t nhits;
};

static int colour(struct ntx *x, const char *name, XftColor *c)
{
	return XftColorAllocName(x->dpy, x->vis, x->cmap, name, c) ? 0 : -EINVAL;
}

/* The work area's top right corner (the window manager's panels left
 * free), else the screen's. */
static void corner(struct ntx *x, int *right, int *top)
{
	Atom wa = XInternAtom(x->dpy, "_NET_WORKAREA", True), type;
	unsigned char *data = NULL;
	unsigned long n = 0, after;
	int fmt;

	*right = DisplayWidth(x->dpy, x->screen);
	*top = 0;
	if (wa != None &&
	    XGetWindowProperty(x->dpy, RootWindow(x->dpy, x->screen), wa, 0, 4, False,
			       XA_CARDINAL, &type, &fmt, &n, &after, &data) == Success &&
	    data && n == 4 && fmt == 32) {
		const long *v = (const long *)data;

		*right = (int)(v[0] + v[2]);
		*top = (int)v[1];
	}
	if (data)
		XFree(data);
}

int ntx_open(struct ntx **out, const char *font)
{
	struct ntx *x = calloc(1, sizeof(*x));
	XSetWindowAttributes a = { 0 };
	char boldname[256];
	Atom type, notif;
	XClassHint cls = { (char *)"mediad-notify", (char *)"MediadNotify" };

	if (!x)
		return -ENOMEM;
	x->dpy = XOpenDisplay(NULL);
	if (!x->dpy) {
		free(x);
		return -ENXIO;
	}
	/* children (the file manager, medialist) must not inherit it */
	fcntl(ConnectionNumber(x->dpy), F_SETFD, FD_CLOEXEC);
	x->screen = DefaultScreen(x->dpy);
	x->vis = DefaultVisual(x->dpy, x->screen);
	x->cmap = DefaultColormap(x->dpy, x->screen);
	snprintf(boldname, sizeof(boldname), "%s:bold", font);
	x->font = XftFontOpenName(x->dpy, x->screen, font);
	x->bold = XftFontOpenName(x->dpy, x->screen, boldname);
	if (!x->font || !x->bold || colour(x, "#1e1e1e", &x->fg) || colour(x, "#555555", &x->dim) ||
	    colour(x, "#f6f6f2", &x->bg) || colour(x, "#8a8a8a", &x->frame)) {
		ntx_close(x);
		return -EINVAL;
	}
	for (int t = 0; t < 4; t++)
		if (colour(x, tone_colour[t], &x->tone[t])) {
			ntx_close(x);
			return -EINVAL;
		}
	a.override_redirect = True;
	a.background_pixel = x->bg.pixel;
	a.border_pixel = x->frame.pixel;
	a.event_mask = ExposureMask | ButtonPressMask;
	x->win = XCreateWindow(x->dpy, RootWindow(x->dpy, x->screen), 0, 0, W, CARD_H, 1,
			       CopyFromParent, InputOutput, CopyFromParent,
			       CWOverrideRedirect | CWBackPixel | CWBorderPixel | CWEventMask, &a);
	XSetClassHint(x->dpy, x->win, &cls);
	type = XInternAtom(x->dpy, "_NET_WM_WINDOW_TYPE", False);
	notif = XInternAtom(x->dpy, "_NET_WM_WINDOW_TYPE_NOTIFICATION", False);
	XChangeProperty(x->dpy, x->win, type, XA_ATOM, 32, PropModeReplace,
			(unsigned char *)&notif, 1);
	x->draw = XftDrawCreate(x->dpy, x->win, x->vis, x->cmap);
	*out = x;
	return 0;
}

int ntx_fd(const struct ntx *x)
{
	return ConnectionNumber(x->dpy);
}

static int text_width(struct ntx *x, XftFont *f, const char *s, size_t len)
{
	XGlyphInfo g;

	XftTextExtentsUtf8(x->dpy, f, (const FcChar8 *)s, (int)len, &g);
	return g.xOff;
}

/* s in at most width pixels: cut at a character boundary with "…". */
static void text(struct ntx *x, XftFont *f, XftColor *c, int px, int py, int width,
		 const char *s)
{
	char buf[NT_PATH];
	size_t len = strlen(s);

	if (text_width(x, f, s, len) > width) {
		int ell = text_width(x, f, "\xe2\x80\xa6", 3);

		while (len > 0 && text_width(x, f, s, len) + ell > width) {
			len--;
			while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
				len--;
		}
		snprintf(buf, sizeof(buf), "%.*s\xe2\x80\xa6", (int)len, s);
		s = buf;
		len = strlen(buf);
	}
	XftDrawStringUtf8(x->draw, c, f, px, py, (const FcChar8 *)s, (int)len);
}

/* s in two lines of width pixels at most: broken at the last space that
 * fits, the rest cut with "…" by text(). */
static void text2(struct ntx *x, XftFont *f, XftColor *c, int px, int py, int width,
		  const char *s)
{
	size_t len = strlen(s), cut = 0;

	if (text_width(x, f, s, len) <= width) {
		text(x, f, c, px, py, width, s);
		return;
	}
	for (size_t i = 1; i < len; i++)
		if (s[i] == ' ' && text_width(x, f, s, i) <= width)
			cut = i;
	if (cut == 0) { /* one long word: cut it */
		text(x, f, c, px, py, width, s);
		return;
	}
	{
		char first[NT_PATH];

		snprintf(first, sizeof(first), "%.*s", (int)cut, s);
		text(x, f, c, px, py, width, first);
	}
	text(x, f, c, px, py + 17, width, s + cut + 1);
}

static int button(struct ntx *x, size_t card, enum nt_button b, int right, int top)
{
	const char *l = button_label[b];
	int w = text_width(x, x->font, l, strlen(l)) + 16, left = right - w;
	GC gc = DefaultGC(x->dpy, x->screen);

	XSetForeground(x->dpy, gc, x->frame.pixel);
	XDrawRectangle(x->dpy, x->win, gc, left, top, (unsigned)w, BTN_H);
	text(x, x->font, &x->fg, left + 8, top + BTN_H - 6, w, l);
	if (x->nhits < sizeof(x->hits) / sizeof(x->hits[0]))
		x->hits[x->nhits++] = (struct hit){ card, b, left, top, w, BTN_H };
	return left - 6;
}

static void set_title(struct ntx *x, const struct nt_state *s)
{
	char title[4096];
	Atom utf8 = XInternAtom(x->dpy, "UTF8_STRING", False);

	nstate_title(s, title, sizeof(title));
	/* both: xdotool search --name and xprop read either */
	XChangeProperty(x->dpy, x->win, XA_WM_NAME, utf8, 8, PropModeReplace,
			(unsigned char *)title, (int)strlen(title));
	XChangeProperty(x->dpy, x->win, XInternAtom(x->dpy, "_NET_WM_NAME", False), utf8, 8,
			PropModeReplace, (unsigned char *)title, (int)strlen(title));
}

void ntx_draw(struct ntx *x, const struct nt_state *s, bool raise)
{
	GC gc = DefaultGC(x->dpy, x->screen);
	int right, top, h = (int)s->n * (CARD_H + GAP) - GAP;

	set_title(x, s);
	x->nhits = 0;
	x->shown = s->n;
	if (s->n == 0) {
		if (x->mapped)
			XUnmapWindow(x->dpy, x->win);
		x->mapped = false;
		XFlush(x->dpy);
		return;
	}
	corner(x, &right, &top);
	/* the border (1 px each side) is outside the size */
	if (!x->mapped || h != x->h || right - W - EDGE - 2 != x->x || top + EDGE != x->y) {
		x->x = right - W - EDGE - 2;
		x->y = top + EDGE;
		x->h = h;
		XMoveResizeWindow(x->dpy, x->win, x->x, x->y, W, (unsigned)h);
	}
	if (!x->mapped) {
		XMapRaised(x->dpy, x->win);
		x->mapped = true;
	} else if (raise) {
		XRaiseWindow(x->dpy, x->win);
	}
	XClearWindow(x->dpy, x->win);
	for (size_t i = 0; i < s->n; i++) {
		const struct nt_card *c = &s->card[i];
		int y = (int)i * (CARD_H + GAP), bx = W - PAD;
		char st[400], detail[128];
		enum nt_tone t = nstate_status(c, st, sizeof(st));
		unsigned btn = nstate_buttons(c);

		if (i > 0) { /* the gap between cards, in the frame's colour */
			XSetForeground(x->dpy, gc, x->frame.pixel);
			XFillRectangle(x->dpy, x->win, gc, 0, y - GAP, W, GAP);
		}
		/* the stripe says the state at a glance */
		XSetForeground(x->dpy, gc, x->tone[t].pixel);
		XFillRectangle(x->dpy, x->win, gc, 0, y, 6, CARD_H);
		for (int b = NT_DISMISS; b >= NT_OPEN; b--)
			if (btn & 1u << b)
				bx = button(x, i, (enum nt_button)b, bx, y + 8);
		nstate_detail(c, detail, sizeof(detail));
		text(x, x->bold, &x->fg, PAD + 6, y + 22, bx - PAD - 6, c->rec.name);
		text(x, x->font, &x->dim, PAD + 6, y + 42, W - 2 * PAD - 6, detail);
		text2(x, t == NT_OK || t == NT_NEUTRAL ? x->font : x->bold, &x->tone[t], PAD + 6,
		      y + 62, W - 2 * PAD - 6, st);
	}
	XFlush(x->dpy);
}

int ntx_events(struct ntx *x, const struct nt_state *s, size_t *card, enum nt_button *b)
{
	bool expose = false, clicked = false;

	while (XPending(x->dpy)) {
		XEvent ev;

		XNextEvent(x->dpy, &ev);
		if (ev.type == Expose && ev.xexpose.count == 0) {
			expose = true;
		} else if (ev.type == ButtonPress && !clicked) {
			/* one click a call: the card list may change with it */
			int px = ev.xbutton.x, py = ev.xbutton.y;
			size_t i = (size_t)(py / (CARD_H + GAP));

			if (py < 0 || i >= x->shown)
				continue;
			*card = i;
			*b = NT_BODY;
			for (size_t k = 0; k < x->nhits; k++) {
				const struct hit *h = &x->hits[k];

				if (px >= h->x && px <= h->x + h->w && py >= h->y && py <= h->y + h->h) {
					*card = h->card;
					*b = h->b;
				}
			}
			clicked = true;
		}
	}
	/* a click's effects may draw again; an exposed window is drawn even
	 * when the click changes nothing (a card still ejecting) */
	if (expose)
		ntx_draw(x, s, false);
	return clicked ? 1 : 0;
}

bool ntx_pending(struct ntx *x)
{
	return XEventsQueued(x->dpy, QueuedAlready) > 0;
}

void ntx_close(struct ntx *x)
{
	if (!x)
		return;
	if (x->draw)
		XftDrawDestroy(x->draw);
	if (x->font)
		XftFontClose(x->dpy, x->font);
	if (x->bold)
		XftFontClose(x->dpy, x->bold);
	if (x->win)
		XDestroyWindow(x->dpy, x->win);
	XCloseDisplay(x->dpy);
	free(x);
}
