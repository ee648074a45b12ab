# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "plug": plug to visible. Each mediad cycle times one attach three
# ways (tests/bench/plugtime.c events): the kernel's uevent, udevd's
# processed event (ID_FS_LABEL) and mediad's /media/list link, so that the
# ratio to udevd is of the same attach; udisks2 until its D-Bus object
# shows the label. Sides take turns in blocks, the others stopped
# (SIGSTOP). Then plugs after the daemon idled longer than its probe
# workers live. Never stops a daemon it did not start.
"""plug to visible"""

import os

from harness import (PLUG_IDLE_MS, helper, log, median, mkimg, out, pause, ratio, reps,
                     resume, stats, tmp)


def _rows(text):
    """plugtime events output -> [(link, udevd, kernel)] in us, without
    the first cycle (it lets a daemon catch up on what it missed while
    stopped: events are ordered)"""
    return [tuple(float(x) for x in ln.split()) for ln in text.splitlines()[1:] if ln.strip()]


def _summary(rows):
    link, ud, kern = ([r[i] for r in rows] for i in range(3))
    s = {"link": stats(link), "udevd": stats(ud), "kernel_uevent": stats(kern)}
    s["ratio_to_udevd"] = ratio(s["link"], s["udevd"])
    # per attach: the link's time over udevd's for that very attach
    s["median_ratio_per_attach"] = round(median([a / b for a, b, _ in rows if b > 0]), 2) \
        if rows else None
    return s


def run(R, mu, mk, ud):
    P = R["plug_to_visible"]
    img = os.path.join(tmp(), "plug.img")
    mkimg(img, "ext4", "BENCHPLUG")
    n, block = reps("plug"), reps("plug_block")
    sides = [("mediad_udev", mu.p, ["events", img, mu.list]),
             ("mediad_kernel", mk.p, ["events", img, mk.list]),
             ("udisks2", ud, ["udisks", img, "-"])]
    rows = {s[0]: [] for s in sides}
    rnd = 0
    log(f"plug to visible: {n} cycles a side, interleaved in blocks of {block}")
    while min(len(v) for v in rows.values()) < n:
        order = sides[rnd % 3:] + sides[:rnd % 3]
        for name, p, args in order:
            k = min(block, n - len(rows[name]))
            if k <= 0:
                continue
            pause(*(q for _, q, _ in sides if q is not p))
            resume(p)
            o = out(helper("plugtime"), *args, "BENCHPLUG", str(k + 1))
            if name == "udisks2":
                rows[name] += [(float(x), 0.0, 0.0) for x in o.split()[1:]]
            else:
                rows[name] += _rows(o)
        rnd += 1
    for name in ("mediad_udev", "mediad_kernel"):
        P[name] = _summary(rows[name])
    P["udisks2"] = stats([r[0] for r in rows["udisks2"]])
    for name in ("mediad_udev", "mediad_kernel"):
        P[name]["ratio_to_udisks2"] = ratio(P[name]["link"], P["udisks2"])
    # after an idle spell: the probe workers have retired, the next probe
    # forks one (kernel source; the udev source probes nothing itself)
    k = reps("plug_idle")
    log(f"plug to visible after {PLUG_IDLE_MS / 1000:g} s idle: {k} cycles, kernel source")
    pause(mu.p, ud)
    resume(mk.p)
    o = out(helper("plugtime"), "events", img, mk.list, "BENCHPLUG", str(k + 1),
            str(PLUG_IDLE_MS))
    P["mediad_kernel_after_idle"] = _summary(_rows(o))
    P["idle_ms"] = PLUG_IDLE_MS
    resume(mu.p, mk.p, ud)
