#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""livecd-check.py ISO: boot the live CD in QEMU (software emulation), wait
for the live user's automatic login on the serial console, hot-plug a USB
stick with a FAT partition through QMP, list /media/list as the live user,
read a file through it, and power off. Runs BIOS, then UEFI when OVMF is
installed. Reports the time from power-on to the login prompt.

Python standard library only. Never touches a host device: the stick is an
image file, built with sfdisk, mkfs.vfat and mtools, without loop devices."""

import argparse
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

LABEL = "KEYCHAIN"
CONTENT = "hello from the mediad live CD check"
PROMPT = re.compile(rb"live@mediad-live:[^\n]*\$ ")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


def log(msg):
    print("[livecd-check] " + msg, flush=True)


class Fail(Exception):
    pass


def make_stick(path):
    """64 MiB disk image: a DOS partition table, one FAT32 partition
    labelled KEYCHAIN holding hello.txt."""
    part = path + ".part"
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["sfdisk", "-q", path], input=b"label: dos\nstart=2048, type=c\n", check=True)
    if os.path.exists(part):
        os.unlink(part)
    subprocess.run(["mkfs.vfat", "-C", "-F", "32", "-n", LABEL, part, str((64 << 10) - 1024)],
                   check=True, stdout=subprocess.DEVNULL)
    txt = path + ".txt"
    with open(txt, "w") as f:
        f.write(CONTENT + "\n")
    subprocess.run(["mcopy", "-i", part, txt, "::hello.txt"], check=True)
    subprocess.run(["dd", "if=" + part, "of=" + path, "bs=1M", "seek=1", "conv=notrunc",
                    "status=none"], check=True)
    os.unlink(part)
    os.unlink(txt)


class QMP:
    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise Fail("QMP socket never came up")
                time.sleep(0.1)
        self.buf = b""
        self.read_reply()  # greeting
        self.cmd("qmp_capabilities")

    def read_reply(self):
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise Fail("QMP connection closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def cmd(self, name, **args):
        self.sock.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        reply = self.read_reply()
        if "error" in reply:
            raise Fail("QMP %s: %s" % (name, reply["error"].get("desc")))
        return reply.get("return")


class Guest:
    def __init__(self, iso, mode, workdir, memory, logpath):
        self.workdir = workdir
        self.qmp_path = os.path.join(workdir, "qmp-%s.sock" % mode)
        self.log = open(logpath, "wb")
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(memory), "-smp", "2",
                "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-device", "qemu-xhci,id=xhci"]
        if mode == "uefi":
            vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
            shutil.copyfile(OVMF_VARS, vars_copy)
            argv += ["-machine", "q35",
                     "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
                     "-drive", "file=%s,media=cdrom,if=none,id=cd0,readonly=on,format=raw" % iso,
                     "-device", "ide-cd,drive=cd0,bootindex=0"]
        else:
            argv += ["-machine", "pc",
                     "-drive", "file=%s,media=cdrom,if=ide,readonly=on,format=raw" % iso,
                     "-boot", "d"]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""
        self.seen = 0
        self.qmp = None

    def read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            raise Fail("QEMU exited (status %s)" % self.proc.poll())
        self.log.write(data)
        self.log.flush()
        self.out += data
        return True

    def expect(self, pattern, timeout, what):
        """Wait for pattern in the output after the last match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern) if isinstance(pattern, bytes) else pattern
        while True:
            m = rx.search(self.out, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                tail = self.out[-1500:].decode("utf-8", "replace")
                raise Fail("timed out after %ds waiting for %s; serial ends with:\n%s"
                           % (timeout, what, tail))
            self.read(min(left, 1.0))

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def run(self, command, timeout=60):
        """Run command in the live user's shell; return (status, output)."""
        tag = "%08x" % (int(time.monotonic() * 1000) & 0xffffffff)
        while self.read(0.2):  # what the guest printed before: not ours
            pass
        self.seen = mark = len(self.out)
        # the marker is computed by the shell, so an echoed command never matches
        self.send("%s; echo \"@@$((0x%s))@@ $?\"" % (command, tag))
        m = self.expect(re.compile(rb"@@%d@@ (\d+)" % int(tag, 16)), timeout, repr(command))
        body = self.out[mark:m.start()].decode("utf-8", "replace").replace("\r", "")
        return int(m.group(1)), body

    def stop(self, timeout=90):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log("no power-off after %ds: stopping QEMU" % timeout)
            try:
                self.qmp.cmd("quit")
            except (Fail, OSError, AttributeError):
                pass
            self.proc.kill()
            self.proc.wait()
            return False
        return True

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def boot_check(iso, mode, workdir, args):
    logpath = os.path.join(args.logdir, "serial-%s.log" % mode)
    log("%s: booting %s (QEMU TCG), serial log in %s" % (mode, os.path.basename(iso), logpath))
    stick = os.path.join(workdir, "stick.img")
    make_stick(stick)
    g = Guest(iso, mode, workdir, args.memory, logpath)
    try:
        g.qmp = QMP(g.qmp_path, time.monotonic() + 30)
        g.expect(PROMPT, args.boot_timeout, "the live user's autologin prompt")
        login = time.monotonic() - g.t0
        log("%s: autologin prompt after %.1fs (QEMU used %.1f CPU-seconds: less noisy on a busy host)"
            % (mode, login, g.cpu_seconds()))
        g.send("stty -echo; export TERM=dumb PAGER=cat SYSTEMD_PAGER=cat")
        time.sleep(1)
        st, out = g.run("id -un; id -Gn")
        if "live" not in out or "plugdev" not in out:
            raise Fail("not the live user in plugdev: %r" % out)
        st, out = g.run("sudo systemctl is-active mediad autofs")
        log("%s: services mediad, autofs: %s" % (mode, " ".join(out.split()[-2:])))
        st, out = g.run("sudo systemd-analyze time; sudo systemd-analyze blame | head -n 8")
        log("%s: where the boot went (systemd-analyze):\n%s" % (mode, out.rstrip()))
        st, out = g.run("ls -A /media/list")
        before = out.split()
        if any(n.startswith("MEDIAD") for n in before):
            raise Fail("the live medium is listed in /media/list: %r" % before)

        t_plug = time.monotonic()
        g.qmp.cmd("blockdev-add", driver="raw", **{"node-name": "stick"},
                  file={"driver": "file", "filename": stick})
        g.qmp.cmd("device_add", driver="usb-storage", bus="xhci.0", drive="stick", id="stick0")
        log("%s: USB stick %s plugged in (QMP)" % (mode, LABEL))
        st, out = g.run("i=0; while [ ! -e /media/list/%s ] && [ $i -lt 120 ]; do "
                        "sleep 0.25; i=$((i+1)); done; ls -l /media/list/" % LABEL, timeout=60)
        seen = time.monotonic() - t_plug
        if LABEL not in out:
            raise Fail("%s never appeared in /media/list:\n%s" % (LABEL, out))
        log("%s: /media/list after %.1fs:\n%s" % (mode, seen, out.rstrip()))
        st, out = g.run("cat /media/list/%s/hello.txt" % LABEL, timeout=60)
        if st != 0 or CONTENT not in out:
            raise Fail("reading /media/list/%s/hello.txt failed (%d):\n%s" % (LABEL, st, out))
        log("%s: read /media/list/%s/hello.txt: %s" % (mode, LABEL, CONTENT))
        st, out = g.run("medialist --all")
        log("%s: medialist --all (the live medium listed as ignored):\n%s" % (mode, out.rstrip()))
        st, out = g.run("grep ' /media/auto/%s ' /proc/mounts" % LABEL)
        log("%s: mounted as: %s" % (mode, out.strip().splitlines()[-1] if out.strip() else "?"))
        # through the package's mount helper, which reported to mediad
        st, out = g.run("ls -l /sbin/mount.mediad; grep '^mounted_' /run/mediad/media/%s" % LABEL)
        if st != 0 or "mounted_type=vfat" not in out:
            raise Fail("the mount did not go through /sbin/mount.mediad:\n%s" % out)
        log("%s: mount.mediad's report in the record:\n%s" % (mode, out.rstrip()))
        g.send("sudo poweroff")
        off = g.stop()
        log("%s: %s" % (mode, "powered off" if off else "killed"))
        return login
    finally:
        g.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("iso")
    ap.add_argument("--uefi", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--bios", choices=["yes", "no"], default="yes")
    ap.add_argument("--memory", type=int, default=1024)
    ap.add_argument("--boot-timeout", type=int, default=600)
    ap.add_argument("--logdir", default=None)
    args = ap.parse_args()
    args.logdir = args.logdir or os.path.join(os.path.dirname(os.path.abspath(args.iso)), "check")
    os.makedirs(args.logdir, exist_ok=True)
    modes = ["bios"] if args.bios == "yes" else []
    if args.uefi == "yes" or (args.uefi == "auto" and os.path.exists(OVMF_CODE)):
        modes.append("uefi")
    elif args.uefi == "auto":
        log("uefi: skipped, OVMF is not installed (apt-get install ovmf)")
    results = {}
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="mediad-livecd-check.") as wd:
            try:
                results[mode] = boot_check(os.path.abspath(args.iso), mode, wd, args)
            except Fail as e:
                log("%s: FAILED: %s" % (mode, e))
                results[mode] = None
    for mode, t in results.items():
        log("%s: %s" % (mode, "boot to login %.1fs" % t if t is not None else "FAILED"))
    passed = sum(1 for t in results.values() if t is not None)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
