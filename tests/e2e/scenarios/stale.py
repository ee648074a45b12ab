# SPDX-License-Identifier: GPL-2.0-or-later
# Stale-free (issue 9): a power cut and fresh boots with the same sticks,
# and a kill -9 of mediad in a plug storm; the first scenarios, since the
# first boots its own guests.
"""Scenarios: nothing mediad leaves behind changes the next name."""

import time

from harness import (MEDIAD_START, PUB, check, consistent, mt, scenario,
                     snapshot)


def uuid_key(u):
    return u.replace("-", "").lower()


# (QEMU drive name, fstype, label, uuid): the uuid tells the sticks apart.
FRESH = [("fbone", "vfat16", "FRESHBOOT", "fb000001"),
         ("fbtwa", "vfat16", "BOOTTWIN", "fb000002"),
         ("fbtwb", "vfat16", "BOOTTWIN", "fb000003"),
         ("fbnol", "ext4", None, "fb000004-0000-4000-8000-000000000004")]


def fresh_boot_names(ctx, images, order, what):
    """Boot with the sticks in `order` (drive names, ports 1..n), wait for
    all four records, check the names contract; return uuid -> name."""
    ports = [(n, images[n], i + 1) for i, n in enumerate(order)]
    ctx.boot(ports)
    t0 = time.monotonic()
    ctx.sh("""
        i=0
        while [ $(grep -l '^bus=usb' /run/mediad/media/* 2>/dev/null |
                  wc -l) -lt %d ]; do
            [ $i -ge 1200 ] && { ls -A /media/list; exit 1; }
            usleep 50000; i=$((i + 1))
        done
        sleep 1""" % len(order), 90)     # a late extra entry shows too
    ctx.times.append(("ready-to-%d-sticks (%s)" % (len(order), what),
                      time.monotonic() - t0))
    snap = snapshot(ctx)
    consistent(ctx, snap, what)
    recs = snap[0]
    by_uuid = {uuid_key(r.get("uuid", "")): n for n, r in recs.items()
               if r.get("bus") == "usb"}
    want = {uuid_key(u) for _, _, _, u in FRESH}
    check(set(by_uuid) == want, "%s: USB records %s, expected uuids %s"
          % (what, by_uuid, sorted(want)))
    name = {drv: by_uuid[uuid_key(u)] for drv, _, _, u in FRESH}
    # The contract (README "Names", lib/name.c): the label made safe; no
    # label: VENDOR_MODEL; the second medium of a name gets _2.  Which
    # twin arrives second is the kernel's scan order, not promised.
    check(name["fbone"] == "FRESHBOOT", "%s: FRESHBOOT stick named %r"
          % (what, name["fbone"]))
    check({name["fbtwa"], name["fbtwb"]} == {"BOOTTWIN", "BOOTTWIN_2"},
          "%s: the twins are named %r and %r"
          % (what, name["fbtwa"], name["fbtwb"]))
    nl = recs[name["fbnol"]]
    vm = "_".join(x for x in (nl.get("vendor"), nl.get("model")) if x)
    check(name["fbnol"] == vm, "%s: the unlabelled stick is %r, its "
          "vendor_model %r" % (what, name["fbnol"], vm))
    return name


@scenario("fresh boots with the same sticks (power cut, same and other "
          "ports): same names, no suffix left over", needs=PUB, boots=True)
def fresh_boots(ctx):
    d = ctx.img_dir("fresh")
    images = {drv: mt.filesystem(d, drv, fs, 16, label=label, uuid=u)
              for drv, fs, label, u in FRESH}
    order = [drv for drv, _, _, _ in FRESH]
    first = fresh_boot_names(ctx, images, order, "boot 1")
    if ctx.mounting():
        # Written and synced, still mounted when the power goes.
        ctx.sh("echo boot1 > /media/list/FRESHBOOT/b1.txt && sync")
        check(ctx.mounted("FRESHBOOT") is not None, "FRESHBOOT not mounted")
    second = fresh_boot_names(ctx, images, order, "boot 2, same ports")
    check(second["fbnol"] == first["fbnol"],
          "the unlabelled stick's name changed: %r -> %r"
          % (first["fbnol"], second["fbnol"]))
    if ctx.mounting():
        out = ctx.sh("cat /media/list/FRESHBOOT/b1.txt")
        check(out == "boot1\n", "after the power cut: %r" % out)
    third = fresh_boot_names(ctx, images, order[::-1],
                             "boot 3, ports reversed")
    ctx.note("twin A was %s / %s / %s on boots 1, 2, 3 (same ports, same "
             "ports, reversed)" % (first["fbtwa"], second["fbtwa"],
                                   third["fbtwa"]))
    # Hand the guest over with its USB ports free again.
    ctx.mark()
    for drv in order:
        ctx.vm.unplug_usb(drv)
    for n in third.values():
        ctx.wait("-L", "/media/list/" + n, 30, gone=True)
    consistent(ctx, snapshot(ctx), "after the unplug")


@scenario("kill -9 of mediad in a plug storm, restart: no stale entry, "
          "names of sticks present kept", needs=PUB)
def kill_storm(ctx):
    d = ctx.img_dir("kill")
    mk = lambda n, label: mt.filesystem(d, n, "vfat16", 16, label=label,
                                        files={"who.txt": n + "\n"})
    img = {n: mk(n, label) for n, label in (
        ("kt1", "KILLTWIN"), ("kt2", "KILLTWIN"), ("kst", "KILLSTAY"),
        ("kw1", "KILLW1"), ("kw2", "KILLW2"), ("kw3", "KILLW3"))}
    for n, name in (("kt1", "KILLTWIN"), ("kt2", "KILLTWIN_2"),
                    ("kst", "KILLSTAY")):
        ctx.mark()
        ctx.vm.plug_usb(n, img[n])
        ctx.link_wait(name)
    mounting = ctx.mounting()
    if mounting:
        # KILLSTAY mounted, kept busy through the crash.
        ctx.sh("cat /media/list/KILLSTAY/who.txt >/dev/null; "
               "sleep 600 < /media/list/KILLSTAY/who.txt >/dev/null 2>&1 & "
               "echo $! > /run/e2e/holder")
    # The storm: three plugs; mediad dies once the first new stick is
    # published, with the rest of the events in flight.
    ctx.vm.plug_usb("kw1", img["kw1"])
    ctx.vm.plug_usb("kw2", img["kw2"])
    ctx.vm.plug_usb("kw3", img["kw3"])
    out = ctx.sh("e2e-wait -L /media/list/KILLW1 60 >/dev/null; "
                 "kill -9 $(cat /run/e2e/mediad.pid); ls -A /media/list", 80)
    ctx.note("published when mediad was killed: %s"
             % " ".join(sorted(out.split("\n"))).strip())
    # While it is dead: KILLW1 leaves, the first twin leaves and comes
    # back (a new disk sequence number: its record, left behind, no
    # longer names it, and must not keep its name from it: no _3).
    ctx.vm.unplug_usb("kw1")
    ctx.vm.unplug_usb("kt1")
    ctx.sh("sleep 1")
    ctx.vm.plug_usb("kt1", img["kt1"])
    ctx.sh("sleep 3")     # usb-storage waits 1 s before it scans a stick
    ctx.sh("n=$(grep -c 'coldplug:' /run/e2e/mediad.log); " +
           MEDIAD_START % ("udev" if ctx.mode == "udev" else "kernel") +
           "; i=0; while [ $(grep -c 'coldplug:' /run/e2e/mediad.log) "
           "-le $n ]; do [ $i -ge 1200 ] && exit 1; usleep 50000; "
           "i=$((i + 1)); done", 120)
    snap = snapshot(ctx)
    consistent(ctx, snap, "after the restart")
    recs = snap[0]
    usb = {n for n, r in recs.items() if r.get("bus") == "usb"}
    want = {"KILLTWIN", "KILLTWIN_2", "KILLSTAY", "KILLW2", "KILLW3"}
    check(usb == want, "after the restart: %s, expected %s"
          % (sorted(usb), sorted(want)))
    if mounting:
        out = ctx.sh("for n in KILLTWIN KILLTWIN_2 KILLSTAY KILLW2 KILLW3; "
                     "do cat /media/list/$n/who.txt; done")
        check(out == "kt1\nkt2\nkst\nkw2\nkw3\n",
              "contents after the restart: %r" % out)
        check(ctx.record("KILLSTAY").get("mountpoint") ==
              "/media/auto/KILLSTAY", "KILLSTAY's mount not in its record")
        ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
    else:
        check(recs["KILLTWIN_2"].get("uuid") != recs["KILLTWIN"].get("uuid"),
              "the twins' records")
    ctx.mark()
    for n in ("kt1", "kt2", "kst", "kw2", "kw3"):
        ctx.vm.unplug_usb(n)
    for n in want:
        ctx.wait("-L", "/media/list/" + n, 30, gone=True)
    consistent(ctx, snapshot(ctx), "after the unplug")
    check(not [m for m in ctx.no_media_mounts() if "/KILL" in m],
          "stale mounts: %s" % ctx.no_media_mounts())
