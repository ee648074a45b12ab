# SPDX-License-Identifier: GPL-2.0-or-later
"""desktop_check.py: the desktop live CD's boot for livecd-check.py
(scenario "desktop"): mediad-live-desktop.iso with BIOS from a CD, X up on
its own (autologin, startx, no display manager), a stick plugged through
QMP, the file manager's window on it found in the guest by title
(xdotool), a file made through the file manager, "safe to remove" waited
for, and QEMU screendumps (PPM, made PNG by desktop/topng.py) before the
plug, with the window open and after "safe" in OUT/screens/. Drives the
guest through its serial console only; never touches a host device."""

import json
import os
import subprocess
import sys
import time

from qemu import Fail, make_fat_stick

HERE = os.path.dirname(os.path.abspath(__file__))
TOPNG = os.path.join(HERE, "..", "..", "desktop", "topng.py")
ISO = "mediad-live-desktop.iso"
LABEL = "KEYCHAIN"
CONTENT = "hello from the mediad desktop live CD check"
NEW = "written-by-xfe.txt"
X = "DISPLAY=:0 "   # the live user's own X (startx's cookie in ~/.Xauthority)
FM = "^Xfe - /media/list/%s$" % LABEL


def screenshot(ctx, g, name):
    """QMP screendump of the guest's screen -> OUT/screens/NAME.png"""
    d = os.path.join(ctx.out, "screens")
    os.makedirs(d, exist_ok=True)
    ppm = os.path.join(ctx.workdir, name + ".ppm")
    png = os.path.join(d, "desktop-%s.png" % name)
    g.qmp.cmd("screendump", filename=ppm)
    for _ in range(50):   # written by QEMU's main loop: wait for the whole file
        if os.path.exists(ppm) and os.path.getsize(ppm) > 15:
            break
        time.sleep(0.1)
    r = subprocess.run([sys.executable, TOPNG, ppm, png], stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise Fail("screendump %s: %s" % (name, r.stderr.strip()))
    return png


def wait_guest(g, cond, seconds, what):
    """Poll the shell condition COND in the guest (every 0.3 s, on its own
    clock: no round trip a try); fail with the session's logs."""
    st, out = g.run("timeout %d sh -c '%s' >/dev/null 2>&1" % (
        seconds, "until %s; do sleep 0.3; done" % cond.replace("'", "'\\''")),
        timeout=seconds + 60)
    if st != 0:
        _, logs = g.run("tail -n 25 ~/.xsession-errors; tail -n 15 /var/log/Xorg.0.log "
                        "~/.local/share/xorg/Xorg.0.log 2>/dev/null; "
                        + X + "xdotool search --name . getwindowname %@ 2>&1 | head -n 20")
        raise Fail("%s: not after %d s\n%s" % (what, seconds, logs))


def title(g):
    return g.must(X + "xdotool search --classname mediad-notify getwindowname | head -n1").strip()


def sc_desktop(ctx):
    iso = os.path.join(ctx.out, ISO)
    if not os.path.exists(iso):
        raise Fail("no %s (make -C livecd-build FLAVOUR=desktop iso; make check builds it)" % iso)
    g = ctx.guest("bios", ("cd", iso))
    try:
        ctx.login(g)   # the serial console's autologin, with its timings
        wait_guest(g, X + "xdotool search --name '^Xfe - /media/list$' && "
                   + X + "xdotool search --classname mediad-notify", 300,
                   "the desktop (the file manager on /media/list and the indicator)")
        desktop = time.monotonic() - g.t0
        # the driver that drives screen 0: modesetting, fbdev or vesa
        drv = g.run("grep -hom1 'modeset(0)\\|FBDEV(0)\\|VESA(0)' /var/log/Xorg.0.log "
                    "~/.local/share/xorg/Xorg.0.log 2>/dev/null | head -n1")[1].strip()
        ctx.log("desktop up %.1fs after power-on (X driver: %s)" % (desktop, drv or "?"))
        time.sleep(2)
        ctx.log("screenshot: %s" % screenshot(ctx, g, "before-plug"))

        stick = os.path.join(ctx.workdir, "stick.img")
        make_fat_stick(stick, LABEL, {"hello.txt": CONTENT + "\n"})
        t_plug = time.monotonic()
        g.qmp.plug_usb(stick, "stick0")
        wait_guest(g, X + "xdotool search --classname mediad-notify getwindowname | "
                   "grep -q '%s:'" % LABEL, 180, "a card naming %s" % LABEL)
        to_card = time.monotonic() - t_plug
        wait_guest(g, X + "xdotool search --name '%s'" % FM, 180,
                   "the file manager's window on /media/list/%s" % LABEL)
        plug = time.monotonic() - t_plug
        card = title(g)
        if LABEL + ":" not in card:
            raise Fail("no card for %s: the indicator's title is %r" % (LABEL, card))
        g.must("grep -qx '%s' /media/list/%s/hello.txt" % (CONTENT, LABEL))
        ctx.log("plug to the card: %.1fs, to the file manager's window on /media/list/%s: "
                "%.1fs; the card: %s" % (to_card, LABEL, plug, card))
        time.sleep(2)
        ctx.log("screenshot: %s" % screenshot(ctx, g, "window-open"))

        # the card's words from now on, logged in the guest on its own
        # clock (a change lasts a second or two: no serial round trip a look)
        # (started from a subshell: no job of the login shell, whose notice
        # of its end would land in a command's output)
        g.must("((last=; while :; do n=$(" + X + "xdotool search --classname mediad-notify "
               "getwindowname 2>/dev/null | head -n1); [ \"$n\" = \"$last\" ] || "
               "{ echo \"$(cut -d' ' -f1 /proc/uptime) $n\"; last=$n; }; sleep 0.2; done) "
               "> /tmp/titles 2>&1 & echo $! > /tmp/titles.pid)")
        # a file made through the file manager: File > New file (Ctrl+N),
        # its name typed into the dialog, Return (XTEST: as a person types)
        g.must(X + "xdotool search --name '" + FM + "' | head -n1 > /tmp/w && "
               + X + "xdotool windowactivate --sync $(cat /tmp/w) key ctrl+n", timeout=60)
        wait_guest(g, X + "xdotool search --onlyvisible --name '^New File$'", 60,
                   "xfe's New File dialog")
        t_write = time.monotonic()
        g.must(X + "xdotool windowactivate --sync $(" + X + "xdotool search --onlyvisible "
               "--name '^New File$' | head -n1) && " + X + "xdotool type --delay 60 " + NEW
               + " && " + X + "xdotool key Return && cut -d' ' -f1 /proc/uptime > /tmp/typed",
               timeout=90)
        wait_guest(g, "test -e /media/list/%s/%s" % (LABEL, NEW), 60,
                   "%s on the stick, made through the file manager" % NEW)
        # "writing — do not remove", then "safe to remove"; a card that never
        # says writing passes once mediad says safe: the new file is empty,
        # and mediad mounts vfat with "flush" (written as it is closed)
        g.run("timeout 30 sh -c 'until grep -q \"%s: writing\" /tmp/titles && "
                      "tail -n1 /tmp/titles | grep -q \"%s: .*safe to remove\"; do sleep 0.3; "
                      "done'" % (LABEL, LABEL), timeout=90)
        wait_guest(g, "tail -n1 /tmp/titles | grep -q '%s: .*safe to remove'" % LABEL, 60,
                   "the card saying safe to remove")
        safe = time.monotonic() - t_write
        typed = float(g.must("cat /tmp/typed").split()[-1])
        g.must("kill $(cat /tmp/titles.pid)")
        steps, last = [], None
        for line in g.must("cat /tmp/titles").splitlines():
            if " " in line.strip() and line.split(" ", 1)[1] != last:  # (a failed look: "")
                last = line.split(" ", 1)[1]
                steps.append("%+.1fs %s" % (float(line.split(" ", 1)[0]) - typed, last))
        media = g.must("medialist --json")
        rec = [r for r in json.loads(media[media.index("["):media.rindex("]") + 1])
               if r.get("name") == LABEL]
        if not rec or not rec[0].get("safe"):
            raise Fail("the card says safe, mediad does not: %r" % rec)
        ctx.log("%s made through the file manager; the card said (guest time from the "
                "Return key):\n%s\n%s" % (NEW, "\n".join(steps), "typed to safe: %.1fs%s" % (
                    safe, "" if any(": writing" in x for x in steps) else " (the card never "
                    "said writing: flushed before the indicator looked)")))
        ctx.log("screenshot: %s" % screenshot(ctx, g, "safe"))
        ctx.times["desktop"] = desktop
        ctx.times["plug-window"] = plug
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()
