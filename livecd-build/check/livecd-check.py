#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""livecd-check.py OUT: boot the live CD of OUT (mediad-live.iso, netboot/)
in QEMU under TCG every way it boots: CD with BIOS, UEFI and UEFI Secure
Boot, USB stick with BIOS and UEFI (live.toram, the stick pulled), with
persistence across a power cut, and over the network (and its failures).
Each boot waits for the live user's autologin, plugs a USB stick through
QMP and reads a file through /media/list; each reports its boot to login.
Runs JOBS boots at a time. Never touches a host device: every disk is an
image file; the HTTP server listens on 127.0.0.1 only."""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import HTTP, Fail, Guest, make_fat_stick, make_persist_disk  # noqa: E402

LABEL = "KEYCHAIN"
CONTENT = "hello from the mediad live CD check"
SB_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
_print_lock = threading.Lock()


class Ctx:
    def __init__(self, name, out, workdir, args):
        self.name, self.out, self.workdir, self.args = name, out, workdir, args
        self.iso = os.path.join(out, "mediad-live.iso")
        self.logpath = os.path.join(args.logdir, "serial-%s.log" % name)
        self.times = {}

    def log(self, msg):
        with _print_lock:
            for i, line in enumerate(msg.rstrip().splitlines() or [""]):
                print("[livecd-check] %s: %s" % (self.name, line) if i == 0 else "    " + line,
                      flush=True)

    def guest(self, firmware, boot, disks=()):
        self.log("booting (%s, %s), serial log %s" % (firmware, boot[0], self.logpath))
        return Guest(self.name, firmware, boot, self.workdir, self.logpath,
                     self.args.memory, disks)

    def login(self, g, hotkey=None, option=None):
        """Boot to the prompt (the menu entry of HOTKEY, which gives the
        kernel OPTION); record and report where the time went."""
        login = g.login(self.args.boot_timeout, hotkey)
        t_cmd = time.monotonic()
        up = float(g.must("cut -d' ' -f1 /proc/uptime").split()[-1])
        if option and g.run("grep -qw %s /proc/cmdline" % option)[0] != 0:
            raise Fail("booted without %s: the menu's 1 s ran out before the hotkey %r"
                       % (option, hotkey))
        loader = t_cmd - g.t0 - up
        # the login does not wait for mediad and autofs: when were they up?
        out = g.must("sudo timeout 120 sh -c 'until systemctl is-active -q mediad autofs; do "
                     "sleep 0.5; done; systemctl show -p ActiveEnterTimestampMonotonic --value "
                     "mediad autofs'", timeout=150)
        ready = loader + max(int(x) for x in out.split()) / 1e6
        out = g.must("sudo systemctl is-system-running --wait >/dev/null; "
                     "sudo systemd-analyze time | head -n1", timeout=150)
        m = re.search(r"in ([\d.]+)s \(kernel\) \+ ([\d.]+)s \(userspace\)", out)
        kern, user = (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)
        self.times = {"login": login, "loader": loader, "kernel": kern, "ready": ready}
        self.log("autologin prompt after %.1fs: firmware and boot loader %.1fs, kernel and "
                 "initramfs %.1fs, userspace to the prompt %.1fs (systemd: %.1fs to its target); "
                 "mediad and autofs up after %.1fs; QEMU used %.1f CPU-s"
                 % (login, loader, kern, login - loader - kern, user, ready, g.cpu_seconds()))
        return login


def plug_and_read(ctx, g, node="stick0"):
    """The common part: nothing of the live system offered, then a stick
    plugged in appears in /media/list and reads, through mount.mediad."""
    out = g.must("id -un; id -Gn")
    if "live" not in out or "plugdev" not in out:
        raise Fail("not the live user in plugdev: %r" % out)
    before = g.must("ls -A /media/list").split()
    if any(n.startswith("MEDIAD") for n in before):
        raise Fail("the live system's own media are in /media/list: %r" % before)
    stick = os.path.join(ctx.workdir, "stick.img")
    make_fat_stick(stick, LABEL, {"hello.txt": CONTENT + "\n"})
    t_plug = time.monotonic()
    g.qmp.plug_usb(stick, node)
    out = g.must("i=0; while [ ! -e /media/list/%s ] && [ $i -lt 240 ]; do sleep 0.25; "
                 "i=$((i+1)); done; ls /media/list/" % LABEL, timeout=90)
    if LABEL not in out.split():
        raise Fail("%s never appeared in /media/list: %r" % (LABEL, out))
    if set(out.split()) - set(before) != {LABEL}:
        raise Fail("/media/list holds more than the stick: %r" % out)
    seen = time.monotonic() - t_plug
    out = g.must("cat /media/list/%s/hello.txt" % LABEL, timeout=60)
    if CONTENT not in out:
        raise Fail("reading /media/list/%s/hello.txt gave %r" % (LABEL, out))
    g.must("grep -q '^mounted_type=vfat' /run/mediad/media/%s" % LABEL)
    ctx.log("stick %s in /media/list %.1fs after the plug, hello.txt read, mounted by "
            "mount.mediad" % (LABEL, seen))
    return g.must("medialist --all")


def dirty_source(g):
    """What mediad says it reads dirty data from, for the stick (mounted rw)."""
    g.must("echo x > /media/list/%s/w.txt" % LABEL)
    for _ in range(30):
        out = g.must("medialist --json")
        try:
            media = json.loads(out[out.index("["):out.rindex("]") + 1])
        except ValueError as e:
            raise Fail("medialist --json: %s:\n%s" % (e, out))
        src = [r.get("dirty_source") for r in media if r.get("label") == LABEL]
        if src and src[0]:
            return src[0]
        time.sleep(1)
    return "none given (%r)" % src


def sc_bios_cd(ctx):
    g = ctx.guest("bios", ("cd", ctx.iso))
    try:
        ctx.login(g)
        ctx.log("medialist --all (the live medium listed as ignored):\n" + plug_and_read(ctx, g))
        ctx.log("dirty_source of the stick: %s" % dirty_source(g))
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def sc_uefi_cd(ctx):
    """UEFI through shim without Secure Boot, the persistence entry chosen
    with no MEDIAD_RW anywhere: boots on and says so."""
    g = ctx.guest("uefi", ("cd", ctx.iso))
    try:
        ctx.login(g, hotkey="p", option="live.persist")
        if b"no filesystem labelled MEDIAD_RW: changes will NOT be kept" not in g.out:
            raise Fail("no console message about the missing MEDIAD_RW")
        ctx.log("persistence asked, none there: said so on the console, booted on a tmpfs")
        plug_and_read(ctx, g)
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def sc_uefi_default(ctx):
    """UEFI through shim without Secure Boot, the default entry: the plain
    UEFI boot's own time (boot-times only: the check boots UEFI three
    other ways, each doing more)."""
    g = ctx.guest("uefi", ("cd", ctx.iso))
    try:
        ctx.login(g)
        plug_and_read(ctx, g)
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def sc_uefi_sb(ctx):
    g = ctx.guest("uefi-sb", ("cd", ctx.iso))
    try:
        ctx.login(g)
        sb = g.must("od -An -tu1 %s" % SB_VAR).split()
        lock = g.must("cat /sys/kernel/security/lockdown").strip()
        if not sb or sb[-1] != "1":
            raise Fail("SecureBoot variable not enabled: %r" % sb)
        if not re.search(r"\[(integrity|confidentiality)\]", lock):
            raise Fail("the kernel is not locked down: %r" % lock)
        ctx.log("Secure Boot enabled (SecureBoot var %s), lockdown: %s" % (sb[-1], lock))
        plug_and_read(ctx, g)
        # integrity, then confidentiality (lockdown only goes up at run time)
        for level in ("", "confidentiality"):
            if level:
                g.must("echo %s | sudo tee /sys/kernel/security/lockdown" % level)
            lock = g.must("cat /sys/kernel/security/lockdown").strip()
            ds = dirty_source(g)
            st, dbg = g.run("sudo sh -c 'cat /sys/kernel/debug/bdi/*/stats | head -n 1' 2>&1")
            ctx.log("lockdown %s: mediad's dirty_source for the stick: %s; debugfs bdi stats: %s"
                    % (lock, ds, "readable" if st == 0 and "Bdi" in dbg
                       else "refused (%s)" % dbg.strip()))
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def check_stick_boot(g):
    """The boot stick and all its partitions: ignored, none in /media/list."""
    dev = g.must("cat /run/live/medium-device").strip()
    disk = re.sub(r"\d+$", "", dev)
    bus = g.must("udevadm info -q property -n %s | grep '^ID_BUS='" % disk).strip()
    if bus != "ID_BUS=usb":
        raise Fail("booted from %s, %s, not a USB disk" % (dev, bus))
    out = g.must("medialist --all")
    rows = [r for r in out.splitlines() if re.search(r"\s%s\d*\s" % re.escape(disk), r)]
    if len(rows) < 2 or any("ignored" not in r for r in rows):
        raise Fail("the boot stick %s is not all listed as ignored:\n%s" % (disk, out))
    return disk, rows


def sc_bios_usb(ctx):
    g = ctx.guest("bios", ("usb", ctx.iso))
    try:
        ctx.login(g)
        disk, rows = check_stick_boot(g)
        ctx.log("medium on the USB stick %s; it and its partitions ignored:\n%s"
                % (disk, "\n".join(rows)))
        plug_and_read(ctx, g)
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def sc_uefi_usb_toram(ctx):
    """UEFI from a stick, copied to RAM; the stick pulled after the boot."""
    g = ctx.guest("uefi", ("usb", ctx.iso))
    try:
        ctx.login(g, hotkey="t", option="live.toram")
        disk, rows = check_stick_boot(g)
        if g.run("grep -q ' /run/live/medium ' /proc/mounts")[0] == 0:
            raise Fail("live.toram: the medium is still mounted")
        g.qmp.cmd("device_del", id="bootstick0")
        g.must("i=0; while [ -e %s ] && [ $i -lt 120 ]; do sleep 0.25; i=$((i+1)); done; "
               "[ ! -e %s ]" % (disk, disk))
        g.must("ls /usr/bin > /dev/null && medialist --all > /dev/null && ls /media/list")
        ctx.log("live.toram: boot stick %s pulled (QMP device_del), the system goes on" % disk)
        plug_and_read(ctx, g)
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def sc_persist(ctx):
    """live.persist with MEDIAD_RW on a second disk; a file in the live
    user's home and one in /etc survive a power cut after sync."""
    disk = os.path.join(ctx.workdir, "persist.img")
    make_persist_disk(disk)
    token = "persist-%d" % os.getpid()
    g = ctx.guest("bios", ("cd", ctx.iso), disks=[disk])
    try:
        first = ctx.login(g, hotkey="p", option="live.persist")
        m = re.search(rb"live\.persist: changes are kept on (\S+)", g.out)
        if not m:
            raise Fail("no console message about persistence on MEDIAD_RW")
        dev = m.group(1).decode()
        out = g.must("medialist --all")
        row = [r for r in out.splitlines() if re.search(r"\s%s\s" % re.escape(dev), r)]
        if not row or "ignored" not in row[0] or "MEDIAD_RW" in g.must("ls -A /media/list"):
            raise Fail("MEDIAD_RW (%s) is offered:\n%s" % (dev, out))
        ctx.log("persistence on %s, listed as in use:\n%s" % (dev, row[0]))
        g.must("echo %s > ~/persist.txt && echo %s | sudo tee /etc/mediad-persist > /dev/null "
               "&& sync" % (token, token))
        ctx.log("wrote ~/persist.txt and /etc/mediad-persist, sync, power cut (QEMU killed)")
    finally:
        g.kill()
    g = ctx.guest("bios", ("cd", ctx.iso), disks=[disk])
    try:
        ctx.login(g, hotkey="p", option="live.persist")
        out = g.must("cat ~/persist.txt /etc/mediad-persist")
        if out.split() != [token, token]:
            raise Fail("after the power cut: %r, not the token %s twice" % (out, token))
        ctx.log("after the power cut and a second boot both files are there "
                "(first boot to login %.1fs)" % first)
        plug_and_read(ctx, g)
        ctx.log("powered off" if g.poweroff() else "no power-off: killed")
    finally:
        g.kill()


def tftp_dir(ctx, http):
    """The TFTP folder: the built netboot files, the PXELINUX configuration
    and the iPXE script pointed at this run's HTTP port instead of 8000."""
    src = os.path.join(ctx.out, "netboot")
    d = os.path.join(ctx.workdir, "tftp")
    os.makedirs(os.path.join(d, "pxelinux.cfg"))
    for f in ("pxelinux.0", "ldlinux.c32", "vmlinuz", "initrd.img"):
        os.symlink(os.path.join(src, f), os.path.join(d, f))
    for f in ("pxelinux.cfg/default", "mediad.ipxe"):
        with open(os.path.join(src, f)) as fd:
            cfg = fd.read()
        if ":8000/" not in cfg:
            raise Fail("netboot/%s does not fetch from port 8000" % f)
        with open(os.path.join(d, f), "w") as fd:
            fd.write(cfg.replace(":8000/", ":%d/" % http.port))
    return d


def sc_netboot(ctx):
    http = HTTP(os.path.join(ctx.out, "netboot"))
    http.set("good")
    try:
        g = ctx.guest("bios", ("net", tftp_dir(ctx, http), "pxelinux.0"))
        try:
            ctx.login(g)
            if b"live: fetched, sha256 checked" not in g.out:
                raise Fail("no console message that the squashfs was fetched and checked")
            ctx.log("squashfs fetched by HTTP (%s), sha256 checked" % "; ".join(http.requests))
            plug_and_read(ctx, g)
            ctx.log("powered off" if g.poweroff() else "no power-off: killed")
        finally:
            g.kill()
    finally:
        http.stop()


def sc_netboot_faults(ctx):
    """Through the iPXE script (QEMU's boot ROM is iPXE): unreachable URL,
    then a corrupted squashfs: each stops with a message and a shell, no
    panic; leaving the shell tries again."""
    http = HTTP(os.path.join(ctx.out, "netboot"))
    try:
        g = ctx.guest("bios", ("net", tftp_dir(ctx, http), "mediad.ipxe"))
        try:
            for mode, want in (("corrupt", rb"live: live\.fetch: cannot fetch [^\n]*"),
                               ("good", rb"live: live\.fetch: checksum mismatch [^\n]*"),
                               (None, rb"live: fetched, sha256 checked")):
                m = g.expect(re.compile(want + rb"\r?\n|Kernel panic[^\n]*"),
                             ctx.args.boot_timeout, repr(want))
                if m.group(0).startswith(b"Kernel panic"):
                    raise Fail(m.group(0).decode())
                ctx.log("console: %s" % m.group(0).decode("utf-8", "replace").strip())
                if mode:
                    http.set(mode)
                    time.sleep(1)
                    g.qmp.type_text("exit\n")   # the rescue shell is on tty0
        finally:
            g.kill()
    finally:
        http.stop()


SCENARIOS = {  # longest first, so that two at a time finish together
    "persist": sc_persist,
    "uefi-sb-cd": sc_uefi_sb,
    "uefi-usb-toram": sc_uefi_usb_toram,
    "uefi-cd": sc_uefi_cd,
    "netboot": sc_netboot,
    "bios-usb": sc_bios_usb,
    "bios-cd": sc_bios_cd,
    "netboot-faults": sc_netboot_faults,
    "uefi-default": sc_uefi_default,
}
# boot paths `make boot-times` measures but the check does not boot
TIMES_ONLY = {"uefi-default"}
# the desktop flavour's ISO: boot, plug, file manager, write, safe,
# screenshots (check/desktop_check.py); first, as the longest
from desktop_check import sc_desktop  # noqa: E402
SCENARIOS = {"desktop": sc_desktop, **SCENARIOS}


# the kernel's check of the timer interrupt, which a guest starved of CPU by
# a loaded host can fail before any of ours runs: that boot is tried again
STARVED = "IO-APIC + timer doesn't work"


def run_one(name, out, args, retry=True):
    with tempfile.TemporaryDirectory(prefix="mediad-livecd-check.") as wd:
        ctx = Ctx(name, out, wd, args)
        t = time.monotonic()
        try:
            SCENARIOS[name](ctx)
            ctx.log("ok (%.0fs)" % (time.monotonic() - t))
            return ctx.times or {"login": None}
        except (Fail, OSError) as e:
            if retry and STARVED in str(e):
                ctx.log("kernel panic of a CPU-starved guest (%s): booting again" % STARVED)
                return run_one(name, out, args, retry=False)
            ctx.log("FAILED: %s" % e)
            return None
        except Exception as e:  # a bug here must not hide the other boots' results
            ctx.log("FAILED: %s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()))
            return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="the build's output folder (mediad-live.iso, netboot/)")
    ap.add_argument("--only", default=",".join(n for n in SCENARIOS if n not in TIMES_ONLY),
                    help="comma-separated: " + ",".join(SCENARIOS)
                    + " (default: all but " + ",".join(sorted(TIMES_ONLY)) + ")")
    ap.add_argument("--jobs", type=int, default=2, help="boots at a time (default 2)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, for medians")
    ap.add_argument("--memory", type=int, default=1024)
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--logdir", default=None)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    args.logdir = args.logdir or os.path.join(out, "check")
    shutil.rmtree(args.logdir, ignore_errors=True)
    os.makedirs(args.logdir)
    names = [n for n in args.only.split(",") if n]
    bad = [n for n in names if n not in SCENARIOS]
    if bad:
        ap.error("unknown: %s" % ",".join(bad))
    t0 = time.monotonic()
    work = [n for n in names for _ in range(args.repeat)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(zip(work, pool.map(lambda n: run_one(n, out, args), work)))
    failed = sorted({n for n, r in done if r is None})
    print("[livecd-check] %-15s %9s %9s %9s %9s %9s   (seconds; median of %d)"
          % ("boot path", "to login", "firmware", "kernel", "userspace", "mediad up",
             args.repeat))
    for n in names:
        runs = [r for m, r in done if m == n and r and r.get("login")]
        if n in failed:
            print("[livecd-check] %-15s FAILED" % n)
        elif not runs:
            print("[livecd-check] %-15s ok (no login)" % n)
        else:
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ("login", "loader", "kernel", "ready")}
            print("[livecd-check] %-15s %9.1f %9.1f %9.1f %9.1f %9.1f   %s" % (
                n, med["login"], med["loader"], med["kernel"],
                med["login"] - med["loader"] - med["kernel"], med["ready"],
                " ".join("%.1f" % r["login"] for r in runs) if len(runs) > 1 else ""))
    print("[livecd-check] %d boot paths, %d jobs at a time, %.0fs in all"
          % (len(names), args.jobs, time.monotonic() - t0))
    print("%d passed, %d failed" % (len(names) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
