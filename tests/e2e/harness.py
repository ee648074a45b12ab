# SPDX-License-Identifier: GPL-2.0-or-later
# What a scenario sees of the e2e suite: the registry, check/Fail/Skip, and
# Ctx (its guest, waits and reads in the guest, mediad's state there).
# Never boots or kills a QEMU itself: the runner (e2e.py) owns the guests.
"""The harness side of the e2e scenarios (tests/e2e/scenarios/*.py)."""

import json
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

import mediatest as mt       # noqa: E402  (scenarios use harness.mt too)

SCENARIOS = []      # (name, f, needs) in the order they run
MACHINES = {}       # machine name -> f(imgdir) -> (VM kwargs, info)
NEED = ("mediad", "auto.media")
PUB = ("mediad",)       # publication checked; access when auto.media is built

MEDIAD_START = ("setsid mediad --foreground --config /etc/mediad.conf "
                "--state-dir /run/mediad --media-dir /media --source %s "
                "--log-level debug >>/run/e2e/mediad.log 2>&1 </dev/null & "
                "echo $! > /run/e2e/mediad.pid")


def scenario(name, needs=(), boots=False, machine="pc"):
    """Register f(ctx) as a scenario; needs: programs in build/ it needs.
    boots: f boots its own guests (ctx.boot) and may leave the last one
    in ctx.vm for the scenarios after it.  machine: the guest it runs in
    ("pc", or one registered with @machine); consecutive scenarios of one
    machine share a boot."""
    def reg(f):
        f.boots = boots
        f.machine = machine
        SCENARIOS.append((name, f, tuple(needs)))
        return f
    return reg


def machine(name):
    """Register f(imgdir) as the guest of scenarios with machine=name: it
    makes the images the machine boots with in imgdir and returns
    (qemu_driver.VM keyword arguments, info); the guest gets vm.info."""
    def reg(f):
        MACHINES[name] = f
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

    def __init__(self, runner, vm, mode, workdir, runner_dir):
        self.runner = runner
        self.vm = vm
        self.mode = mode
        self.workdir = workdir
        self.runner_dir = runner_dir
        self.times = []         # (what, seconds) plug-to-link etc.
        self.notes = []
        self.has = runner.has
        self.vms = []           # guests booted by the scenario itself

    def boot(self, usb_at_boot=(), **vm_args):
        """Power on a fresh guest (closing the scenario's current one),
        with USB sticks already plugged in: (name, image, port); vm_args
        go to qemu_driver.VM (machine, sd_card, ...)."""
        if self.vm is not None:
            self.runner.save_guest_logs(self.vm, self.runner_dir, self.mode)
            self.vm.close()
            self.vm = None
        self.vm = self.runner.boot_guest(self.mode, self.runner_dir,
                                         usb_at_boot, **vm_args)
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

    def unlink_wait(self, name, timeout=30, what="unplug-to-unlink"):
        return self.wait("-L", "/media/list/" + name, timeout, gone=True,
                         what=what)

    def record(self, name):
        out = self.sh("cat /run/mediad/media/%s" % shlex.quote(name))
        rec = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            rec[k] = v
        return rec

    def record_wait(self, name, key, want, timeout=10):
        """Poll a record until key == want (mount state lags the mount)."""
        last = {}

        def got():
            last.update(self.record(name))
            return last.get(key) == want and dict(last)
        rec = mt.wait_until(got, timeout, 0.3)
        if rec is None:
            raise Fail("record %s: %s=%r, expected %r (record %r)"
                       % (name, key, last.get(key), want, last))
        return rec

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

    def unmounted_wait(self, name, timeout, msg):
        """Wait until /media/auto/NAME is no longer mounted; Fail(msg)."""
        check(mt.wait_until(lambda: self.mounted(name) is None, timeout,
                            0.5), msg)

    def release(self, name):
        """Unmount NAME before a pull: `medialist unmount` when built, else
        wait for automount's expiry."""
        if self.has("medialist"):
            self.run("medialist unmount %s" % shlex.quote(name))
        self.unmounted_wait(name, 30, "%s still mounted" % name)

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

    def json_item(self, name):
        """name's object in `medialist --json` (Fail when absent)."""
        for i in self.medialist([name]) or []:
            if i.get("name") == name:
                return i
        raise Fail("%s not in medialist --json" % name)

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
