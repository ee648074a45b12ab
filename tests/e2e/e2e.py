#!/usr/bin/python3
"""mediad end-to-end tests: Debian's kernel in QEMU (TCG), real USB, SCSI
and IDE hot-plug through QMP, checked from inside the guest.

Boots one guest per mode ("udev": systemd-udevd, mediad on the udev
source; "mdev": busybox mdev, mediad on the kernel source), the two in
parallel, and runs every scenario in each.  Prints TAP; exits non-zero on
any failure.  Every QEMU started is killed, every temp file removed
(unless --keep), also on failure and on SIGINT/SIGTERM.
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import images as im          # noqa: E402
import qemu_driver as qd     # noqa: E402

MODES = ("udev", "mdev")
EXTRAS = ("mediad", "auto.media", "medialist", "mount.mediad")
# Where an extra goes in the guest when not /usr/local/bin: mount(8)
# finds helpers in /sbin, and auto.media answers mediad.TYPE only when
# /sbin/mount.mediad is there.
GUEST_PATH = {"mount.mediad": "/sbin/mount.mediad"}
LOGS = os.path.join(os.environ.get("E2E_CACHE", "/var/cache/mediad/e2e"),
                    "logs")    # console, channel and guest logs of the last run
NEED = ("mediad", "auto.media")
PUB = ("mediad",)       # publication checked; access when auto.media is built
BUDGET = 570                  # seconds: stop starting scenarios after this

SCENARIOS = []

# Failures understood but not fixed yet: reported as TAP TODO (they show,
# and do not fail the run). Each names what is left, for the issue notes.
KNOWN = {}


def scenario(name, needs=(), boots=False):
    """Register f(ctx) as a scenario; needs: programs in build/ it needs.
    boots: f boots its own guests (ctx.boot) and may leave the last one
    in ctx.vm for the scenarios after it."""
    def reg(f):
        f.boots = boots
        SCENARIOS.append((name, f, tuple(needs)))
        return f
    return reg


class Skip(Exception):
    pass


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Ctx:
    """What a scenario sees: its VM, guest helpers, a temp dir for images."""

    def __init__(self, runner, vm, mode, workdir):
        self.runner = runner
        self.vm = vm
        self.mode = mode
        self.workdir = workdir
        self.times = []         # (what, seconds) plug-to-link etc.
        self.notes = []
        self.has = runner.has
        self.vms = []           # guests booted by the scenario itself

    def boot(self, usb_at_boot=()):
        """Power on a fresh guest (closing the scenario's current one),
        with USB sticks already plugged in: (name, image, port)."""
        if self.vm is not None:
            self.runner.save_guest_logs(self.vm, self.runner_dir, self.mode)
            self.vm.close()
            self.vm = None
        self.vm = self.runner.boot_guest(self.mode, self.runner_dir,
                                         usb_at_boot)
        self.vms.append(self.vm)
        return self.vm

    # guest commands
    def sh(self, script, timeout=60):
        return self.vm.guest.check(script, timeout)

    def run(self, script, timeout=60):
        return self.vm.guest.run(script, timeout)

    def mark(self):
        self.sh("e2e-mark")

    def wait(self, test, path, timeout=30, gone=False, what=None):
        """Wait in the guest for [ test path ] (gone: for it to be false);
        returns and records seconds since the plug's first uevent."""
        rc, out = self.run("e2e-wait %s %s %s %d" % (
            "-n" if gone else "", test, shlex.quote(path), timeout),
            timeout + 10)
        check(rc == 0, out.strip() or "e2e-wait failed")
        t = float(out.strip().rpartition("t=")[2])
        if what:
            self.times.append((what, t))
        return t

    def note(self, msg):
        if msg not in self.notes:
            self.notes.append(msg)

    def mounting(self):
        """True when auto.media is built, so access through the links can
        be checked; else note that those checks were left out."""
        if self.has("auto.media"):
            return True
        self.note("auto.media not built: access through the links skipped")
        return False

    # mediad state
    def link_wait(self, name, timeout=30, gone=False):
        return self.wait("-L", "/media/list/" + name, timeout, gone,
                         what=None if gone else "plug-to-link " + name)

    def record(self, name):
        out = self.sh("cat /run/mediad/media/%s" % shlex.quote(name))
        rec = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            rec[k] = v
        return rec

    def record_wait(self, name, key, want, timeout=10):
        """Poll a record until key == want (mount state lags the mount)."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.record(name)
            if rec.get(key) == want:
                return rec
            if time.monotonic() > deadline:
                raise Fail("record %s: %s=%r, expected %r (record %r)"
                           % (name, key, rec.get(key), want, rec))
            time.sleep(0.3)

    def mounted(self, name):
        """(fstype, options) of /media/auto/NAME in /proc/mounts, or None."""
        mp = "/media/auto/" + name
        mp = mp.replace("\\", "\\134").replace(" ", "\\040") \
               .replace("\t", "\\011").replace("\n", "\\012")
        out = self.sh("cat /proc/mounts")
        for line in out.splitlines():
            f = line.split(" ")
            if len(f) >= 4 and f[1] == mp and f[2] != "autofs":
                return f[2], f[3].split(",")
        return None

    def no_media_mounts(self):
        out = self.sh("cat /proc/mounts")
        return [ln for ln in out.splitlines()
                if " /media/auto/" in ln and " autofs " not in ln]

    def medialist(self, names_present=(), names_absent=()):
        """Check `medialist --json` when medialist is built; else a note."""
        if not self.has("medialist"):
            self.note("medialist not built: --json check skipped")
            return None
        out = self.sh("medialist --json 2>/run/e2e/medialist.err || "
                      "{ cat /run/e2e/medialist.err; exit 1; }")
        try:
            data = json.loads(out)
        except ValueError as e:
            raise Fail("medialist --json is not JSON (%s): %r" % (e, out))
        items = data if isinstance(data, list) else (
            data.get("media") or data.get("items") or [])
        byname = {i.get("name"): i for i in items if isinstance(i, dict)}
        names = set(byname)
        for n in names_present:
            check(n in names, "medialist --json lacks %r: %s" % (n, out))
            rec = self.record(n)
            for k in ("devname", "fstype", "label"):
                if k in byname[n] and k in rec and k != "label":
                    check(byname[n][k] == rec[k],
                          "medialist %s %s=%r, record says %r"
                          % (n, k, byname[n][k], rec[k]))
        for n in names_absent:
            check(n not in names, "medialist --json still has %r" % n)
        return items

    def img_dir(self, name):
        d = os.path.join(self.workdir, name)
        os.makedirs(d, exist_ok=True)
        return d


def common_mount_checks(ctx, name, rec, want_type=None, want_ro=False):
    """Mount options: nosuid,nodev always, ro where the contract says,
    uid/gid of the live user on FAT-like types, type as in the record."""
    m = ctx.mounted(name)
    check(m is not None, "%s: not mounted after access" % name)
    fstype, opts = m
    check("nosuid" in opts and "nodev" in opts,
          "%s: mount options lack nosuid/nodev: %s" % (name, opts))
    if want_type:
        check(fstype == want_type, "%s: mounted as %s, expected %s"
              % (name, fstype, want_type))
    if want_ro:
        check("ro" in opts, "%s: not mounted ro: %s" % (name, opts))
    ropts = rec.get("options", "").split(",")
    for o in ropts:
        if o.startswith(("uid=", "gid=")) and fstype != "fuseblk":
            check(o in opts, "%s: record option %s not in mount %s"
                  % (name, o, opts))
    return fstype, opts


# ---------------------------------------------------------------------------
# Stale-free (issue 9): nothing mediad leaves behind changes the next name,
# neither a power cut and a fresh boot with the same sticks nor a kill -9
# in the middle of a plug storm.  This one comes first: it boots its own
# guests and hands the last one over to the scenarios after it.


def snapshot(ctx):
    """What mediad shows: records by name, the names in /media/list, the
    devnode links in the state dir, and medialist --json by name (None
    when medialist is not built)."""
    out = ctx.sh(r"""
        cd /run/mediad/media
        for f in * .[!.]*; do
            [ -f "$f" ] || continue; echo "@@REC $f"; cat "$f"; echo
        done
        echo "@@LIST"; ls -A /media/list
        echo "@@DEV"; ls -A /run/mediad/dev""")
    recs, names, devs, cur, sect = {}, set(), set(), None, None
    for line in out.splitlines():
        if line.startswith("@@REC "):
            sect, cur = "rec", recs.setdefault(line[6:], {})
        elif line in ("@@LIST", "@@DEV"):
            sect = line
        elif sect == "rec" and "=" in line:
            k, _, v = line.partition("=")
            cur[k] = v
        elif sect == "@@LIST" and line:
            names.add(line)
        elif sect == "@@DEV" and line:
            devs.add(line)
    js = None
    items = ctx.medialist(list(recs))
    if items is not None:
        js = {i["name"]: i for i in items if i.get("name")}
    return recs, names, devs, js


def consistent(ctx, snap, what):
    """Links, records, devnode links and medialist --json agree: no entry
    of one without the others."""
    recs, names, devs, js = snap
    check(names == set(recs), "%s: /media/list %s, records %s"
          % (what, sorted(names), sorted(recs)))
    check(all(r.get("name") == n for n, r in recs.items()),
          "%s: a record's name is not its file name: %r" % (what, recs))
    check(len(devs) == len(recs), "%s: devnode links %s for records %s"
          % (what, sorted(devs), sorted(recs)))
    if js is not None:
        check(set(js) == set(recs), "%s: medialist --json names %s, "
              "records %s" % (what, sorted(js), sorted(recs)))


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
    images = {drv: im.filesystem(d, drv, fs, 16, label=label, uuid=u)
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


MEDIAD_START = ("setsid mediad --foreground --config /etc/mediad.conf "
                "--state-dir /run/mediad --media-dir /media --source %s "
                "--log-level debug >>/run/e2e/mediad.log 2>&1 </dev/null & "
                "echo $! > /run/e2e/mediad.pid")


@scenario("kill -9 of mediad in a plug storm, restart: no stale entry, "
          "names of sticks present kept", needs=PUB)
def kill_storm(ctx):
    d = ctx.img_dir("kill")
    mk = lambda n, label: im.filesystem(d, n, "vfat16", 16, label=label,
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


# ---------------------------------------------------------------------------
# Kernel-level scenarios: the harness itself, with or without mediad.


@scenario("kernel: USB stick (MBR FAT32) appears, mounts by hand, leaves")
def k_usb(ctx):
    d = ctx.img_dir("k_usb")
    fs = im.filesystem(d, "p1", "vfat32", 40, label="KUSB",
                       files={"hello.txt": "hello from usb\n"})
    img = im.disk(d, "kusb", "dos", [("vfat32", fs)])
    before = ctx.sh("ls /sys/class/block").split()
    ctx.mark()
    ctx.vm.plug_usb("kusb", img)
    out = ctx.sh("""
        i=0
        while [ $i -lt 1500 ]; do
            for p in /sys/class/block/sd*1; do
                [ -e "$p" ] || continue
                n=${p##*/}
                case " %s " in *" $n "*) continue ;; esac
                [ -b "/dev/$n" ] && { echo $n; e2e-since; exit 0; }
            done
            usleep 10000; i=$((i + 1))
        done
        exit 1""" % " ".join(before), 40).split()
    dev = out[0]
    ctx.times.append(("plug-to-node", float(out[1][2:])))
    out = ctx.sh("mkdir -p /mnt/k && /usr/bin/mount -t vfat /dev/%s /mnt/k && "
                 "cat /mnt/k/hello.txt && /usr/bin/umount /mnt/k" % dev)
    check(out == "hello from usb\n", "read by hand: %r" % out)
    out = ctx.sh("cat /e2e/dev/%s/hello.txt" % dev)
    check(out == "hello from usb\n", "read through automount: %r" % out)
    ctx.mark()
    ctx.vm.unplug_usb("kusb")
    ctx.wait("-b", "/dev/" + dev, 30, gone=True, what="unplug-to-gone")


@scenario("kernel: SCSI disk hot-plug and unplug on virtio-scsi")
def k_scsi(ctx):
    d = ctx.img_dir("k_scsi")
    img = im.filesystem(d, "kscsi", "ext4", 16, label="KSCSI",
                        files={"f.txt": "scsi\n"})
    ctx.mark()
    ctx.vm.plug_scsi("kscsi", img, scsi_id=5)
    out = ctx.sh("""
        i=0
        while [ $i -lt 1500 ]; do
            for b in /sys/bus/scsi/devices/*:0:5:0/block/*; do
                [ -e "$b" ] || continue
                [ -b "/dev/${b##*/}" ] && { echo ${b##*/}; e2e-since; exit 0; }
            done
            usleep 10000; i=$((i + 1))
        done; exit 1""", 40).split()
    dev = out[0]
    ctx.times.append(("plug-to-node", float(out[1][2:])))
    out = ctx.sh("/usr/sbin/blkid -p -s LABEL -o value /dev/%s; "
                 "cat /e2e/dev/%s/f.txt" % (dev, dev))
    check(out == "KSCSI\nscsi\n", "scsi disk content: %r" % out)
    ctx.sh("/usr/bin/umount /e2e/dev/%s" % dev)
    ctx.mark()
    ctx.vm.unplug_scsi("kscsi")
    ctx.wait("-b", "/dev/" + dev, 30, gone=True, what="unplug-to-gone")


@scenario("kernel: IDE CD-ROM medium change and eject")
def k_cdrom(ctx):
    d = ctx.img_dir("k_cd")
    a = im.iso(d, "kcd1", "KCDONE", {"one.txt": "first disc\n"})
    b = im.iso(d, "kcd2", "KCDTWO", {"two.txt": "second disc\n"})
    for iso, label, f, want in ((a, "KCDONE", "one.txt", "first disc\n"),
                                (b, "KCDTWO", "two.txt", "second disc\n")):
        ctx.mark()
        ctx.vm.cd_insert(iso)
        out = ctx.sh("""
            i=0
            while [ $i -lt 300 ]; do
                l=$(/usr/sbin/blkid -p -s LABEL -o value /dev/sr0 2>/dev/null)
                [ "$l" = %s ] && break
                usleep 50000; i=$((i + 1))
            done
            echo "$l"; cat /mnt/cd/%s 2>/dev/null ||
            { mkdir -p /mnt/cd; /usr/bin/mount -r /dev/sr0 /mnt/cd &&
              cat /mnt/cd/%s; /usr/bin/umount /mnt/cd; }""" % (
            label, f, f), 40)
        check(out == label + "\n" + want, "cd %s: %r" % (label, out))
    ctx.vm.cd_eject()
    out = ctx.sh("sleep 1; /usr/sbin/blkid -p /dev/sr0; echo rc=$?")
    check("rc=0" not in out, "blkid still sees a disc after eject: %r" % out)


# ---------------------------------------------------------------------------
# mediad scenarios (issue 5).



@scenario("USB stick, MBR with FAT32 and ext4", needs=PUB)
def usb_mbr(ctx):
    d = ctx.img_dir("mbr")
    p1 = im.filesystem(d, "p1", "vfat32", 40, label="KEYCHAIN",
                       files={"hello.txt": "hello fat32\n"})
    p2 = im.filesystem(d, "p2", "ext4", 16, label="EXTDATA",
                       files={"dir/ext.txt": "hello ext4\n"})
    img = im.disk(d, "mbr", "dos", [("vfat32", p1), ("ext4", p2)])
    ctx.mark()
    ctx.vm.plug_usb("mbr", img)
    ctx.link_wait("KEYCHAIN")
    ctx.link_wait("EXTDATA")
    # Listing the links mounts nothing.
    ctx.sh("ls /media/list >/dev/null; ls -l /media/list >/dev/null; "
           "ls -F /media/list >/dev/null")
    check(not ctx.no_media_mounts(), "listing mounted: %s"
          % ctx.no_media_mounts())
    rec = ctx.record("KEYCHAIN")
    check(rec.get("fstype") == "vfat" and rec.get("bus") == "usb" and
          rec.get("label") == "KEYCHAIN" and
          rec.get("devname", "").startswith("/dev/sd"),
          "KEYCHAIN record: %r" % rec)
    rec2 = ctx.record("EXTDATA")
    check(rec2.get("fstype") == "ext4", "EXTDATA record: %r" % rec2)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/KEYCHAIN/hello.txt")
        check(out == "hello fat32\n", "read KEYCHAIN: %r" % out)
        out = ctx.sh("echo written > /media/list/KEYCHAIN/new.txt && "
                     "cat /media/list/KEYCHAIN/new.txt")
        check(out == "written\n", "write KEYCHAIN: %r" % out)
        common_mount_checks(ctx, "KEYCHAIN", rec, "vfat")
        ctx.record_wait("KEYCHAIN", "mountpoint", "/media/auto/KEYCHAIN")
        out = ctx.sh("cat /media/list/EXTDATA/dir/ext.txt && "
                     "echo w > /media/list/EXTDATA/w.txt && "
                     "cat /media/list/EXTDATA/w.txt")
        check(out == "hello ext4\nw\n", "read/write EXTDATA: %r" % out)
        common_mount_checks(ctx, "EXTDATA", rec2, "ext4")
    ctx.medialist(["KEYCHAIN", "EXTDATA"])
    ctx.sh("sync")
    ctx.mark()
    ctx.vm.unplug_usb("mbr")
    ctx.wait("-L", "/media/list/KEYCHAIN", 30, gone=True,
             what="unplug-to-unlink")
    ctx.wait("-L", "/media/list/EXTDATA", 30, gone=True)
    out = ctx.sh("ls /run/mediad/media/")
    check("KEYCHAIN" not in out and "EXTDATA" not in out,
          "records left after unplug: %r" % out)
    ctx.medialist(names_absent=["KEYCHAIN", "EXTDATA"])


@scenario("USB stick, GPT with exFAT and NTFS", needs=PUB)
def usb_gpt(ctx):
    d = ctx.img_dir("gpt")
    p1 = im.filesystem(d, "p1", "exfat", 16, label="EXSTICK")
    p2 = im.filesystem(d, "p2", "ntfs", 16, label="NTSTICK",
                       files={"win.txt": "hello ntfs\n"})
    img = im.disk(d, "gpt", "gpt", [("exfat", p1), ("ntfs", p2)])
    ctx.mark()
    ctx.vm.plug_usb("gpt", img)
    ctx.link_wait("EXSTICK")
    ctx.link_wait("NTSTICK")
    rec = ctx.record("EXSTICK")
    check(rec.get("fstype") == "exfat", "EXSTICK record: %r" % rec)
    rec2 = ctx.record("NTSTICK")
    check(rec2.get("fstype") == "ntfs", "NTSTICK record: %r" % rec2)
    if ctx.mounting():
        out = ctx.sh("echo exfat-data > /media/list/EXSTICK/e.txt && "
                     "cat /media/list/EXSTICK/e.txt")
        check(out == "exfat-data\n", "write/read exFAT: %r" % out)
        common_mount_checks(ctx, "EXSTICK", rec, "exfat")
        out = ctx.sh("cat /media/list/NTSTICK/win.txt && "
                     "echo n > /media/list/NTSTICK/n.txt && "
                     "cat /media/list/NTSTICK/n.txt", 90)
        check(out == "hello ntfs\nn\n", "read/write NTFS: %r" % out)
        # Debian 12's kernel has no ntfs3: NTFS goes through ntfs-3g.
        common_mount_checks(ctx, "NTSTICK", rec2, "fuseblk")
    ctx.medialist(["EXSTICK", "NTSTICK"])
    ctx.sh("sync")
    ctx.mark()
    ctx.vm.unplug_usb("gpt")
    ctx.wait("-L", "/media/list/EXSTICK", 30, gone=True,
             what="unplug-to-unlink")
    ctx.wait("-L", "/media/list/NTSTICK", 30, gone=True)


@scenario("USB superfloppy FAT16, label with spaces and non-ASCII",
          needs=PUB)
def usb_superfloppy(ctx):
    d = ctx.img_dir("sf")
    # FAT keeps labels in the DOS code page: libblkid hands the raw cp850
    # bytes over, which are not UTF-8; the name must still be valid UTF-8.
    img = im.filesystem(d, "sf", "vfat16", 16, label="MY STÏCK É",
                        files={"f.txt": "superfloppy\n"})
    before = set(ctx.sh("ls -A /media/list").split("\n"))
    ctx.mark()
    ctx.vm.plug_usb("sf", img)
    out = ctx.sh(r"""
        i=0
        while [ $i -lt 3000 ]; do
            for l in /media/list/*; do
                case $l in "/media/list/MY ST"*)
                    e2e-since; echo "${l#/media/list/}"; exit 0 ;;
                esac
            done
            usleep 10000; i=$((i + 1))
        done; ls -A /media/list; exit 1""", 45)
    t, _, name = out.partition("\n")
    name = name.rstrip("\n")
    ctx.times.append(("plug-to-link " + name, float(t[2:])))
    check(name not in before, "name existed before plug")
    check(" " in name, "space not kept in name %r" % name)
    try:
        name.encode("utf-8").decode("utf-8", "strict")
    except UnicodeError:
        raise Fail("name is not valid UTF-8: %r" % name)
    check("/" not in name and not name.startswith((".", "-")),
          "unsafe name %r" % name)
    ctx.note("label bytes 'MY ST\\xd8CK \\x90' published as %r" % name)
    rec = ctx.record(name)
    check(rec.get("fstype") == "vfat", "record: %r" % rec)
    if ctx.mounting():
        q = shlex.quote("/media/list/" + name)
        out = ctx.sh("cat %s/f.txt" % q)
        check(out == "superfloppy\n", "read superfloppy: %r" % out)
        common_mount_checks(ctx, name, rec, "vfat")
    ctx.medialist([name])
    ctx.mark()
    ctx.vm.unplug_usb("sf")
    ctx.wait("-L", "/media/list/" + name, 30, gone=True,
             what="unplug-to-unlink")


@scenario("USB stick holding an ISO 9660 image", needs=PUB)
def usb_iso(ctx):
    d = ctx.img_dir("uiso")
    img = im.iso(d, "uiso", "ISOSTICK", {"readme.txt": "iso on usb\n"})
    ctx.mark()
    ctx.vm.plug_usb("uiso", img, readonly=True)
    ctx.link_wait("ISOSTICK")
    rec = ctx.record("ISOSTICK")
    check(rec.get("fstype") == "iso9660", "record: %r" % rec)
    check(rec.get("readonly") in ("1", "yes", "true"),
          "read-only stick not marked readonly: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "ISO record options lack ro: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/ISOSTICK/readme.txt")
        check(out == "iso on usb\n", "read iso: %r" % out)
        common_mount_checks(ctx, "ISOSTICK", rec, "iso9660", want_ro=True)
        rc, _ = ctx.run("echo x > /media/list/ISOSTICK/x.txt")
        check(rc != 0, "write to an ISO 9660 stick succeeded")
    ctx.mark()
    ctx.vm.unplug_usb("uiso")
    ctx.wait("-L", "/media/list/ISOSTICK", 30, gone=True,
             what="unplug-to-unlink")


@scenario("two USB sticks with the same label", needs=PUB)
def usb_twins(ctx):
    d = ctx.img_dir("twins")
    a = im.filesystem(d, "a", "vfat32", 40, label="TWIN",
                      files={"who.txt": "A\n"})
    b = im.filesystem(d, "b", "vfat32", 40, label="TWIN",
                      files={"who.txt": "B\n"})
    ctx.mark()
    ctx.vm.plug_usb("twa", a)
    ctx.link_wait("TWIN")
    ctx.mark()
    ctx.vm.plug_usb("twb", b)
    ctx.link_wait("TWIN_2")
    ra, rb = ctx.record("TWIN"), ctx.record("TWIN_2")
    check(ra.get("devname") != rb.get("devname"),
          "twins on one device: %r %r" % (ra, rb))
    if ctx.mounting():
        out = ctx.sh("cat /media/list/TWIN/who.txt /media/list/TWIN_2/who.txt")
        check(out == "A\nB\n", "twins content: %r" % out)
    ctx.medialist(["TWIN", "TWIN_2"])
    ctx.mark()
    ctx.vm.unplug_usb("twa")
    ctx.wait("-L", "/media/list/TWIN", 30, gone=True, what="unplug-to-unlink")
    out = ctx.sh("ls -A /media/list")
    check("TWIN_2" in out.split("\n"),
          "the second twin changed name: %r" % out)
    check(ctx.record("TWIN_2").get("devname") == rb.get("devname"),
          "TWIN_2 now names another device")
    if ctx.mounting():
        out = ctx.sh("cat /media/list/TWIN_2/who.txt")
        check(out == "B\n", "the second twin's content: %r" % out)
    ctx.vm.unplug_usb("twb")
    ctx.wait("-L", "/media/list/TWIN_2", 30, gone=True)


@scenario("eight USB sticks behind a hub, plugged and pulled together",
          needs=PUB)
def usb_hub8(ctx):
    d = ctx.img_dir("hub")
    imgs = [im.filesystem(d, "h%d" % i, "vfat16", 16, label="HUB%d" % i,
                          files={"n.txt": "%d\n" % i}) for i in range(8)]
    ctx.vm.device_add("usb-hub", "hub0", bus="xhci.0")
    port = ctx.vm.usb_port("hub0")
    ctx.sh("sleep 1")
    ctx.mark()
    for i, img in enumerate(imgs):
        ctx.vm.plug_usb("hub%d" % i, img, port="%s.%d" % (port, i + 1))
    t = [ctx.wait("-L", "/media/list/HUB%d" % i, 90) for i in range(8)]
    ctx.times.append(("plug-to-all-8-links", max(t)))
    if ctx.mounting():
        out = ctx.sh("for i in 0 1 2 3 4 5 6 7; do "
                     "cat /media/list/HUB$i/n.txt; done", 120)
        check(out == "".join("%d\n" % i for i in range(8)),
              "hub sticks content: %r" % out)
    ctx.medialist(["HUB%d" % i for i in range(8)])
    ctx.mark()
    ctx.vm.device_del("hub0")     # pulls all eight at once
    for i in range(8):
        ctx.vm.blockdev_del("hub%d" % i)
    t = [ctx.wait("-L", "/media/list/HUB%d" % i, 60, gone=True)
         for i in range(8)]
    ctx.times.append(("unplug-to-all-8-unlinked", max(t)))
    check(not ctx.no_media_mounts(), "stale mounts: %s"
          % ctx.no_media_mounts())


@scenario("SCSI disk hot-plug and unplug (virtio-scsi scsi-hd)", needs=PUB)
def scsi_hd(ctx):
    d = ctx.img_dir("scsi")
    img = im.filesystem(d, "scsi", "ext4", 16, label="SCSIDISK",
                        files={"s.txt": "scsi disk\n"})
    ctx.mark()
    ctx.vm.plug_scsi("scsi", img, scsi_id=3)
    ctx.link_wait("SCSIDISK")
    rec = ctx.record("SCSIDISK")
    check(rec.get("fstype") == "ext4" and rec.get("bus") in ("scsi", "virtio"),
          "record: %r" % rec)
    # an internal disk (scsi-hd is not removable), internal_rw unset: ro
    check(rec.get("removable") == "0", "scsi-hd taken for removable: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "internal disk offered without ro: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/SCSIDISK/s.txt")
        check(out == "scsi disk\n", "read: %r" % out)
        common_mount_checks(ctx, "SCSIDISK", rec, "ext4", want_ro=True)
    if ctx.has("medialist"):
        # a user neither root nor in allow_group: every request that would
        # change the disk's state is refused (there is no mount request:
        # what is mounted, and how, is the policy's)
        for verb in ("unmount", "eject"):
            rc, out = ctx.run("su -s /bin/sh nobody -c "
                              "'medialist %s SCSIDISK' 2>&1" % verb)
            check(rc == 1 and "permission denied" in out,
                  "%s by nobody: status %d, %r" % (verb, rc, out))
        after = ctx.record("SCSIDISK")
        check(after.get("options") == rec.get("options"),
              "options changed: %r -> %r" % (rec, after))
        if ctx.mounting():
            m = ctx.mounted("SCSIDISK")
            check(m is not None and "ro" in m[1],
                  "after the refusals: %r" % (m,))
    ctx.medialist(["SCSIDISK"])
    ctx.mark()
    ctx.vm.unplug_scsi("scsi")
    ctx.wait("-L", "/media/list/SCSIDISK", 30, gone=True,
             what="unplug-to-unlink")


def _cd_change(ctx, mounted):
    # Media polling runs every 2 s: 25 s is plenty, also under load.
    d = ctx.img_dir("cd")
    a = im.iso(d, "cd1", "CDONE", {"one.txt": "first disc\n"})
    b = im.iso(d, "cd2", "CDTWO", {"two.txt": "second disc\n"})
    ctx.mark()
    ctx.vm.cd_insert(a)
    ctx.link_wait("CDONE", 25)
    rec = ctx.record("CDONE")
    check(rec.get("fstype") == "iso9660" and rec.get("bus") == "ata",
          "record: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "CD record options lack ro: %r" % rec)
    if mounted:
        out = ctx.sh("cat /media/list/CDONE/one.txt")
        check(out == "first disc\n", "read CDONE: %r" % out)
        common_mount_checks(ctx, "CDONE", rec, "iso9660", want_ro=True)
    ctx.mark()
    ctx.vm.cd_insert(b)       # change medium: tray opens and closes
    ctx.link_wait("CDTWO", 25)
    ctx.wait("-L", "/media/list/CDONE", 25, gone=True)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/CDTWO/two.txt")
        check(out == "second disc\n", "read CDTWO: %r" % out)
        if not mounted:
            # The plain case ejects an idle drive: wait for the expiry.
            deadline = time.monotonic() + 30
            while ctx.mounted("CDTWO") is not None:
                check(time.monotonic() < deadline, "CDTWO never expired")
                time.sleep(0.5)
    ctx.medialist(["CDTWO"], ["CDONE"])
    ctx.mark()
    ctx.vm.cd_eject()
    ctx.wait("-L", "/media/list/CDTWO", 25, gone=True,
             what="eject-to-unlink")


@scenario("IDE CD-ROM: medium changed and ejected through QMP", needs=PUB)
def ide_cd(ctx):
    _cd_change(ctx, mounted=False)


@scenario("IDE CD-ROM: medium changed and ejected while mounted",
          needs=NEED)
def ide_cd_mounted(ctx):
    _cd_change(ctx, mounted=True)


@scenario("IDE disk present at boot (coldplug)", needs=PUB)
def ide_coldplug(ctx):
    ctx.sh("e2e-wait -L /media/list/IDEDISK 20")
    rec = ctx.record("IDEDISK")
    check(rec.get("bus") == "ata" and rec.get("fstype") == "ext4",
          "record: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/IDEDISK/boot.txt")
        check(out == "present at boot\n", "read IDEDISK: %r" % out)
        common_mount_checks(ctx, "IDEDISK", rec, "ext4")
    ctx.medialist(["IDEDISK"])


@scenario("surprise removal of a mounted stick with a file held open",
          needs=NEED)
def surprise(ctx):
    d = ctx.img_dir("surprise")
    img = im.filesystem(d, "s", "vfat32", 40, label="SURPRISE",
                        files={"held.txt": "hold me\n"})
    ctx.mark()
    ctx.vm.plug_usb("surp", img)
    ctx.link_wait("SURPRISE")
    ctx.sh("cat /media/list/SURPRISE/held.txt >/dev/null; "
           "sleep 600 < /media/list/SURPRISE/held.txt "
           ">/dev/null 2>&1 & echo $! > /run/e2e/holder")
    check(ctx.mounted("SURPRISE") is not None, "not mounted before pull")
    ctx.mark()
    ctx.vm.unplug_usb("surp")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True,
             what="pull-to-unlink")
    # Nothing hangs: listing, stat of the old path, /proc/mounts.
    out = ctx.sh("timeout 10 ls -A /media/list; "
                 "timeout 10 ls /run/mediad/media; echo listed", 30)
    check(out.endswith("listed\n") and "SURPRISE" not in out,
          "after pull: %r" % out)
    deadline = time.monotonic() + 15
    while ctx.mounted("SURPRISE") is not None:
        check(time.monotonic() < deadline,
              "stale mount of SURPRISE left after the pull")
        time.sleep(0.5)
    ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
    ctx.mark()
    ctx.vm.plug_usb("surp", img)
    ctx.link_wait("SURPRISE")
    out = ctx.sh("cat /media/list/SURPRISE/held.txt")
    check(out == "hold me\n", "read after replug: %r" % out)
    ctx.vm.unplug_usb("surp")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True)
    # Another stick under the same name right away, on another device
    # node (a filler takes the old one): automount must not reuse its
    # cached answer for the key, which names the old node.
    filler = im.filesystem(d, "f", "vfat32", 40, label="FILLER",
                           files={"held.txt": "filler\n"})
    other = im.filesystem(d, "o", "vfat32", 40, label="SURPRISE",
                          files={"held.txt": "another stick\n"})
    ctx.mark()
    ctx.vm.plug_usb("filler", filler)
    ctx.link_wait("FILLER")
    ctx.mark()
    ctx.vm.plug_usb("surp2", other)
    ctx.link_wait("SURPRISE")
    out = ctx.sh("cat /media/list/SURPRISE/held.txt")
    check(out == "another stick\n",
          "same name, other stick: read %r (stale map answer?)" % out)
    ctx.vm.unplug_usb("surp2")
    ctx.vm.unplug_usb("filler")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True)
    ctx.wait("-L", "/media/list/FILLER", 30, gone=True)


@scenario("FAT stick written, idle past the expire timeout, clean when "
          "pulled", needs=NEED)
def fat_clean(ctx):
    d = ctx.img_dir("clean")
    img = im.filesystem(d, "c", "vfat32", 40, label="CLEANME",
                        files={"a.txt": "a\n"})
    # A lookup of the name just before it exists: automount caches the
    # failure for negative_timeout (1 s on our master line, counted in
    # whole seconds), and the name must still end up mounted.
    rc, _ = ctx.run("ls /media/auto/CLEANME")
    check(rc != 0, "/media/auto/CLEANME exists before the plug")
    ctx.mark()
    ctx.vm.plug_usb("clean", img)
    ctx.link_wait("CLEANME")
    out = ctx.sh("""
        t0=$(/usr/bin/date +%s%N); n=0
        while :; do
            n=$((n + 1))
            cat /media/list/CLEANME/a.txt 2>/dev/null && break
            [ $n -ge 40 ] && exit 1
            usleep 250000
        done
        echo "tries=$n ms=$(( ($(/usr/bin/date +%s%N) - t0) / 1000000 ))"
        """, 30)
    check(out.startswith("a\n"), "never readable after a failed lookup: %r"
          % out)
    tries = out.split("tries=")[1].split()[0]
    if tries != "1":
        ctx.note("first access after a failed lookup failed (automount's "
                 "negative cache); readable after %s" % out.split()[-2:])
    ctx.sh("echo 'written in the guest' > /media/list/CLEANME/b.txt")
    check(ctx.mounted("CLEANME") is not None, "not mounted after write")
    t0 = time.monotonic()
    while ctx.mounted("CLEANME") is not None:
        check(time.monotonic() - t0 < 30, "still mounted 30 s after use")
        time.sleep(0.5)
    ctx.times.append(("write-to-expired", time.monotonic() - t0))
    ctx.vm.unplug_usb("clean")
    ctx.wait("-L", "/media/list/CLEANME", 30, gone=True)
    dirty, out = im.fat_dirty(img)
    check(not dirty, "fsck.fat finds the stick not clean:\n" + out)
    data = im.run("mtype", "-i", img, "::/b.txt")
    check(data == "written in the guest\n", "written file: %r" % data)


@scenario("ext4 stick marked as having errors (automount's fsck trap)",
          needs=NEED)
def ext4_errors(ctx):
    d = ctx.img_dir("errs")
    img = im.filesystem(d, "e", "ext4", 16, label="ERRSTICK",
                        files={"f.txt": "still readable\n"})
    im.run("debugfs", "-w", "-R", "ssv state 2", img)
    before = im.run("dumpe2fs", "-h", img)
    check("with errors" in before, "could not mark the image: " + before)
    ctx.mark()
    ctx.vm.plug_usb("errs", img)
    ctx.link_wait("ERRSTICK")
    t0 = time.monotonic()
    out = ctx.sh("cat /media/list/ERRSTICK/f.txt")
    check(out == "still readable\n", "read: %r" % out)
    ctx.times.append(("first-access", time.monotonic() - t0))
    rec = ctx.record("ERRSTICK")
    common_mount_checks(ctx, "ERRSTICK", rec, "ext4")
    ran = ctx.sh("grep -c fsck /run/e2e/automount.log || true").strip()
    ctx.vm.unplug_usb("errs")
    ctx.wait("-L", "/media/list/ERRSTICK", 30, gone=True)
    after = [ln for ln in im.run("dumpe2fs", "-h", img).splitlines()
             if ln.startswith("Filesystem state:")]
    # What mediad decides (fsck or not) is pinned by its own tests; this
    # records what really happened on Debian's automount and kernel.
    ctx.note("automount log lines naming fsck: %s; after the pull: %s"
             % (ran, after[0] if after else "?"))


# ---------------------------------------------------------------------------
# Issue 9: safe to remove, and the mount fallback on the real kernel.


def _pattern(tag, size):
    """The bytes the guest writes with `yes TAG | head -c SIZE`."""
    line = (tag + "\n").encode()
    return (line * (size // len(line) + 1))[:size]


# What fsck.fat -n reports of a FAT that was mounted read-write when it
# was pulled, everything written: Linux sets the dirty bit (FAT[1] and the
# FAT32 boot sector's state byte, so the backup boot sector differs at
# offset 65) and updates the FSInfo free count only at unmount.
FAT_MOUNTED_MARKS = ("dirty bit is set", "fs was not properly unmounted",
                     "removing dirty bit",
                     "differences between boot sector and its backup",
                     "mostly harmless. differences: (offset:original/backup)",
                     "65:01/00", "free cluster summary wrong")
FAT_FINDING = ("dirty", "differences", "wrong", "lost", "orphan", "bad ",
               "invalid", "corrupt", "duplicate", "unused cluster",
               "cluster chain", "truncat", "has no", ":0", ":1")


def fat_findings(out):
    """The lines of fsck.fat -n -v output that report a problem."""
    return [ln.strip() for ln in out.splitlines()
            if any(w in ln.lower() for w in FAT_FINDING) and
            not ln.lower().startswith(("checking", "leaving"))]


@scenario("FAT stick written: pulled at once vs pulled once its record "
          "says safe", needs=NEED)
def fat_safe(ctx):
    d = ctx.img_dir("safe")
    size = 4 * 1024 * 1024
    for label in ("PULLNOW", "PULLSAFE"):
        img = im.filesystem(d, label.lower(), "vfat32", 40, label=label,
                            files={"a.txt": "a\n"})
        ctx.mark()
        ctx.vm.plug_usb(label.lower(), img)
        ctx.link_wait(label)
        if "safe" not in ctx.record(label):
            ctx.vm.unplug_usb(label.lower())
            ctx.wait("-L", "/media/list/" + label, 30, gone=True)
            raise Skip("records have no safe field (safe-to-remove not "
                       "built)")
        # Mounted and kept busy (a reader), so that no expiry unmounts it
        # while we wait: only the flush may make it safe.
        ctx.sh("sleep 600 < /media/list/%s/a.txt >/dev/null 2>&1 & "
               "echo $! > /run/e2e/holder" % label)
        ctx.record_wait(label, "safe", "1")     # nothing written yet
        out = ctx.sh("yes %s | head -c %d > /media/list/%s/big.txt && "
                     "echo w > /media/list/%s/w.txt && "
                     "grep -e ^safe= -e ^dirty_source= "
                     "/run/mediad/media/%s"
                     % (label, size, label, label, label))
        got = {"record right after the write": " ".join(out.split())}
        if label == "PULLSAFE":
            t0 = time.monotonic()
            # (the bdi source waits for the inode's own writeback too:
            # up to dirty_expire_centisecs, 30 s)
            ctx.record_wait(label, "safe", "1", timeout=90)
            ctx.times.append(("write-to-safe", time.monotonic() - t0))
        check(ctx.mounted(label) is not None, "%s not mounted at the pull"
              % label)
        ctx.vm.unplug_usb(label.lower())
        ctx.wait("-L", "/media/list/" + label, 30, gone=True)
        ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
        _, fsck = im.fat_dirty(img)
        found = fat_findings(fsck)
        try:
            big = im.run("mtype", "-i", img, "::/big.txt").encode()
        except RuntimeError as e:
            big = b""
            got["mtype"] = str(e).splitlines()[0]
        want = _pattern(label, size)
        got["big.txt"] = "complete" if big == want else \
            "%d of %d bytes, %d right" % (len(big), size, sum(
                1 for a, b in zip(big, want) if a == b))
        got["fsck.fat -n"] = "; ".join(found) or "clean"
        ctx.note("%s: %s" % (label, "; ".join("%s: %s" % kv
                                               for kv in got.items())))
        if label == "PULLSAFE":
            check(big == want, "pulled once safe, the data is not all "
                  "there: %r" % got)
            beyond = [f for f in found
                      if not any(m in f.lower() for m in FAT_MOUNTED_MARKS)]
            check(not beyond, "pulled once safe, fsck.fat finds more than "
                  "the marks of a mounted FAT: %s\n%s" % (beyond, fsck))


def _json_item(ctx, name):
    items = ctx.medialist([name]) or []
    for i in items:
        if i.get("name") == name:
            return i
    raise Fail("%s not in medialist --json" % name)


@scenario("mount fallback on the real kernel: hibernated NTFS read-only, "
          "ext4 needing replay on a read-only stick", needs=NEED +
          ("mount.mediad", "medialist"))
def fallback(ctx):
    d = ctx.img_dir("fb")
    ntfs = im.filesystem(d, "hib", "ntfs", 16, label="HIBERNTFS",
                         # hiberfil.sys last: ntfscp refuses to write
                         # to a hibernated volume
                         files={"doc.txt": "windows\n",
                                "hiberfil.sys": "hibr" + "x" * 1020})
    ext = im.filesystem(d, "rep", "ext4", 16, label="REPLAYME",
                        files={"r.txt": "replay\n"})
    # The journal says a replay is due; on a write-protected stick the
    # kernel refuses to mount without noload.
    im.run("debugfs", "-w", "-R", "feature needs_recovery", ext)
    check("needs_recovery" in im.run("dumpe2fs", "-h", ext),
          "could not mark the ext4 image")
    before = im.run("md5sum", ext).split()[0]
    ctx.mark()
    ctx.vm.plug_usb("hib", ntfs)
    ctx.link_wait("HIBERNTFS")
    ctx.mark()
    ctx.vm.plug_usb("rep", ext, readonly=True)
    ctx.link_wait("REPLAYME")
    seen = {}
    for name, f, want in (("HIBERNTFS", "doc.txt", "windows\n"),
                          ("REPLAYME", "r.txt", "replay\n")):
        rc, out = ctx.run("cat /media/list/%s/%s" % (name, f), 90)
        check(rc == 0 and out == want, "%s: read %r" % (name, out))
        m = ctx.mounted(name)
        check(m is not None and "ro" in m[1],
              "%s: not mounted read-only: %r" % (name, m))
        deadline = time.monotonic() + 10
        while True:
            item = _json_item(ctx, name)
            note = item.get("mount_note") or ""
            if note or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        seen[name] = (m, item)
        check(note, "%s: mounted %s but medialist --json gives no "
              "mount_note: %r" % (name, m, item))
        ctx.note("%s: mounted %s (%s); mount_note: %s" % (
            name, m[0], ",".join(m[1]), note))
    hn = seen["HIBERNTFS"][1]["mount_note"].lower()
    check("hibernat" in hn, "HIBERNTFS: the note does not give the "
          "driver's reason: %r" % hn)
    check("noload" in seen["REPLAYME"][0][1] or
          "norecovery" in seen["REPLAYME"][0][1],
          "REPLAYME mounted without noload: %r" % (seen["REPLAYME"][0],))
    ctx.vm.unplug_usb("hib")
    ctx.vm.unplug_usb("rep")
    ctx.wait("-L", "/media/list/HIBERNTFS", 30, gone=True)
    ctx.wait("-L", "/media/list/REPLAYME", 30, gone=True)
    check(im.run("md5sum", ext).split()[0] == before,
          "the read-only ext4 stick's image changed")


# ---------------------------------------------------------------------------


class Runner:
    def __init__(self, args):
        self.args = args
        self.top = args.top
        self.lock = threading.Lock()
        self.n = 0
        self.failed = 0
        self.results = []       # (mode, name, ok, times)
        self.t0 = time.monotonic()
        self.boot = {}
        self.present = {x for x in EXTRAS
                        if os.path.exists(os.path.join(self.top, "build", x))}

    def has(self, prog):
        return prog in self.present

    def emit(self, ok, desc, diag=(), todo=None):
        if qd.stopping.is_set():
            return      # interrupted: what fails now is the teardown
        with self.lock:
            self.n += 1
            if ok is False and not todo:
                self.failed += 1
            word = "ok" if ok is not False else "not ok"
            if todo:
                desc += " # TODO " + todo
            print("%s %d - %s" % (word, self.n, desc), flush=True)
            for line in diag:
                for sub in str(line).splitlines():
                    print("#   " + sub, flush=True)

    def boot_vm(self, mode, workdir, usb_at_boot=()):
        vm = qd.VM(self.kernel, self.initrd, workdir, mode=mode,
                   ide_disk=self.ide_disk[mode], usb_at_boot=usb_at_boot)
        try:
            t = vm.wait_ready(240)
        except Exception:
            vm.close()
            raise
        return vm, t

    def boot_guest(self, mode, workdir, usb_at_boot=()):
        """boot_vm for a scenario: the boot is reported and counted."""
        vm, t = self.boot_vm(mode, workdir, usb_at_boot)
        self.boot.setdefault(mode, []).append(t)
        self.emit(True, "%s: boot to ready in %.1fs%s" % (
            mode, t, " with %d USB sticks plugged in" % len(usb_at_boot)
            if usb_at_boot else ""))
        return vm

    def diagnostics(self, vm):
        if vm is None:
            return []
        try:
            rc, out = vm.guest.run(
                "echo '--- mediad.log'; tail -n 25 /run/e2e/mediad.log; "
                "echo '--- automount.log'; tail -n 15 /run/e2e/automount.log; "
                "echo '--- dmesg'; dmesg | tail -n 15; "
                "echo '--- /media/list'; ls -lA /media/list; "
                "echo '--- records'; ls -A /run/mediad/media; "
                "echo '--- mounts'; grep -e /media -e /e2e /proc/mounts; "
                "echo '--- blkid sr0'; /usr/sbin/blkid -p /dev/sr0; "
                "echo '--- sr0 media polling (events, events_poll_msecs, "
                "block.events_dfl_poll_msecs)'; "
                "cat /sys/block/sr0/events /sys/block/sr0/events_poll_msecs "
                "/sys/module/block/parameters/events_dfl_poll_msecs", 20)
            return out.splitlines()
        except Exception as e:
            return ["(guest did not answer: %s)" % e]

    def run_mode(self, mode):
        workdir = os.path.join(self.tmp, mode)
        os.makedirs(workdir)
        vm = None
        for name, f, needs in SCENARIOS:
            if qd.stopping.is_set():
                break
            if self.args.only and not any(o in name for o in self.args.only):
                continue
            missing = [n for n in needs if not self.has(n)]
            desc = "%s: %s" % (mode, name)
            if missing:
                self.emit(None, "%s # SKIP build/%s not built"
                          % (desc, " build/".join(missing)))
                continue
            if time.monotonic() - self.t0 > BUDGET:
                self.emit(False, "%s # time budget of %ds used up"
                          % (desc, BUDGET))
                continue
            if f.boots and vm is not None:
                self.save_guest_logs(vm, workdir, mode)
                vm.close()
                vm = None
            if vm is None and not f.boots:
                try:
                    vm, t = self.boot_vm(mode, workdir)
                    self.boot.setdefault(mode, []).append(t)
                    self.emit(True, "%s: boot to ready in %.1fs" % (mode, t))
                except Exception as e:
                    self.emit(False, "%s: boot: %s" % (mode, e),
                              self._console_tail(workdir, mode))
                    vm = None
                    continue
            sdir = os.path.join(workdir, "s")
            os.makedirs(sdir, exist_ok=True)
            ctx = Ctx(self, vm, mode, sdir)
            ctx.runner_dir = workdir
            t_start = time.monotonic()
            try:
                f(ctx)
                ok, diag = True, []
            except Skip as e:
                self.emit(None, "%s # SKIP %s" % (desc, e))
                continue
            except Exception as e:
                ok = False
                diag = ["%s: %s" % (type(e).__name__, e)]
                if not isinstance(e, Fail):
                    diag += traceback.format_exc().splitlines()[-6:]
                diag += self.diagnostics(ctx.vm)
            finally:
                if f.boots:
                    # Every guest the scenario booted is closed but the
                    # one it hands over (in ctx.vm).
                    for v in ctx.vms:
                        if v is not ctx.vm:
                            v.close()
                    vm = ctx.vm
                shutil.rmtree(sdir, ignore_errors=True)
            for op in vm.forced if vm else ():
                ctx.note("guest never opened the tray: QEMU forced " + op)
            if vm:
                vm.forced.clear()
            took = time.monotonic() - t_start
            times = ", ".join("%s %.3fs" % wt for wt in ctx.times)
            self.results.append((mode, name, ok, ctx.times))
            self.emit(ok, "%s (%s%s%.1fs)" % (desc, times,
                                               "; " if times else "", took),
                      diag + ["note: " + n for n in ctx.notes],
                      todo=KNOWN.get((mode, name)) if not ok else None)
            if not ok and vm is not None:
                # A failed scenario may leave devices behind or a wedged
                # guest: the next scenario gets a fresh boot.
                self.save_guest_logs(vm, workdir, mode)
                vm.close()
                vm = None
        if vm is not None:
            self.save_guest_logs(vm, workdir, mode)
            vm.close()

    def save_guest_logs(self, vm, workdir, mode):
        """Copy the guest's logs next to the console log (see LOGS)."""
        self.boots = getattr(self, "boots", 0) + 1
        try:
            out = vm.guest.check(
                "for f in mediad.log automount.log udevd.log uevents.log; do "
                "echo \"=== $f\"; cat /run/e2e/$f 2>/dev/null; done; "
                "echo '=== dmesg'; dmesg", 20)
        except Exception as e:
            out = "(guest did not answer: %s)\n" % e
        with open(os.path.join(workdir, "guest-%s-%d.log"
                               % (mode, self.boots)), "w") as f:
            f.write(out)

    def _console_tail(self, workdir, mode):
        try:
            with open(os.path.join(workdir, "console-%s.log" % mode),
                      errors="replace") as f:
                return f.read().splitlines()[-20:]
        except OSError:
            return []

    def prepare(self):
        kdir = subprocess.run([os.path.join(HERE, "fetch-kernel.sh")],
                              check=True, capture_output=True,
                              text=True).stdout.strip()
        self.kernel = [os.path.join(kdir, "boot", f)
                       for f in os.listdir(os.path.join(kdir, "boot"))
                       if f.startswith("vmlinuz-")][0]
        self.initrd = os.path.join(self.tmp, "initrd.cpio")
        extras = []
        for x in EXTRAS:
            extras += ["--extra", os.path.join(self.top, "build", x) +
                       ("=" + GUEST_PATH[x] if x in GUEST_PATH else "")]
        subprocess.run(["/usr/bin/python3", os.path.join(HERE,
                        "mk-initramfs.py"), "--kernel-dir", kdir,
                        "--out", self.initrd] + extras, check=True)
        self.ide_disk = {}
        for mode in MODES:
            d = os.path.join(self.tmp, "ide-" + mode)
            os.makedirs(d)
            self.ide_disk[mode] = im.filesystem(
                d, "ide", "ext4", 16, label="IDEDISK",
                files={"boot.txt": "present at boot\n"})

    def main(self):
        keep = self.args.keep
        self.tmp = tempfile.mkdtemp(prefix="mediad-e2e.")
        try:
            print("# mediad e2e: workdir %s; built: %s" % (
                self.tmp, " ".join(sorted(self.present)) or "nothing"),
                flush=True)
            self.prepare()
            print("# prepared in %.1fs" % (time.monotonic() - self.t0),
                  flush=True)
            modes = self.args.mode or list(MODES)
            threads = [threading.Thread(target=self.run_mode, args=(m,),
                                        daemon=True) for m in modes]
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():     # a timed join lets signals in
                    t.join(0.5)
        except SystemExit:
            print("# interrupted: every QEMU killed, temp files removed",
                  flush=True)
            raise
        finally:
            qd._kill_all()
            self.keep_logs()
            if keep:
                print("# kept %s" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        self.summary()
        return 1 if self.failed or self.n == 0 else 0

    def keep_logs(self):
        """Logs (never images) of the last run survive in LOGS."""
        try:
            shutil.rmtree(LOGS, ignore_errors=True)
            os.makedirs(LOGS)
            for mode in MODES:
                d = os.path.join(self.tmp, mode)
                for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                    if f.endswith((".log", ".out")):
                        shutil.copy(os.path.join(d, f), LOGS)
            print("# logs of this run: %s" % LOGS, flush=True)
        except OSError as e:
            print("# could not keep logs in %s: %s" % (LOGS, e), flush=True)

    def summary(self):
        print("1..%d" % self.n)
        for mode, ts in sorted(self.boot.items()):
            print("# boot to ready (%s): %s" % (
                mode, ", ".join("%.1fs" % t for t in ts)))
        per = {}
        for mode, name, ok, times in self.results:
            for what, t in times:
                if what.startswith("plug-to-link"):
                    per.setdefault(mode, []).append(t)
        for mode, ts in sorted(per.items()):
            print("# plug-to-link (%s): median %.3fs, max %.3fs over %d"
                  % (mode, statistics.median(ts), max(ts), len(ts)))
        print("# total %.1fs, %d failed" % (time.monotonic() - self.t0,
                                             self.failed))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", default=os.path.normpath(
        os.path.join(HERE, "..", "..")), help="top of the mediad tree")
    ap.add_argument("--mode", action="append", choices=MODES,
                    help="boot mode(s) to run (default: both)")
    ap.add_argument("--only", action="append",
                    help="run scenarios whose name contains this")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (images, console logs)")
    ap.add_argument("--list", action="store_true")
    return ap.parse_args()


if __name__ == "__main__":
    a = parse_args()
    if a.list:
        for n, _, needs in SCENARIOS:
            print(n + (" (needs %s)" % ", ".join(needs) if needs else ""))
        sys.exit(0)
    sys.exit(Runner(a).main())
