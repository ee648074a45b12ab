# SPDX-License-Identifier: GPL-2.0-or-later
"""qemu.py: the live CD check's machinery (Python standard library only):
one QEMU guest under TCG with its serial console and QMP socket, disk
images built without loop devices (sfdisk, mkfs, mtools), and an HTTP
server on 127.0.0.1 for network boot. Never touches a host device and never
listens beyond 127.0.0.1; every guest is killed when its check ends."""

import http.server
import json
import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time

OVMF = {
    "uefi": ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    # Secure Boot enforcing, Microsoft's keys enrolled (shim is signed by them)
    "uefi-sb": ("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"),
}
PROMPT = re.compile(rb"live@mediad-live:[^\n]*\$ ")
# the boot menus: isolinux's title, GRUB's header
MENU = re.compile(rb"mediad live system|GNU GRUB")


class Fail(Exception):
    pass


def run(argv, **kw):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)


def make_fat_stick(path, label, files, size_mib=64):
    """A disk image: a DOS partition table, one FAT32 partition LABEL
    holding FILES (name -> text)."""
    part = path + ".part"
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    run(["sfdisk", "-q", path], input=b"label: dos\nstart=2048, type=c\n")
    if os.path.exists(part):
        os.unlink(part)
    run(["mkfs.vfat", "-C", "-F", "32", "-n", label, part, str((size_mib << 10) - 1024)])
    for name, text in files.items():
        src = path + ".src"
        with open(src, "w") as f:
            f.write(text)
        run(["mcopy", "-i", part, src, "::" + name])
        os.unlink(src)
    run(["dd", "if=" + part, "of=" + path, "bs=1M", "seek=1", "conv=notrunc", "status=none"])
    os.unlink(part)


def make_persist_disk(path, size_mib=256):
    """The README's two commands on an image file: one Linux partition
    (sfdisk), ext4 labelled MEDIAD_RW in it (mkfs.ext4 at the partition's
    offset, as no loop device is used)."""
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    run(["sfdisk", "-q", path], input=b"label: dos\n,,L\n")
    run(["mkfs.ext4", "-q", "-F", "-L", "MEDIAD_RW", "-E", "offset=%d" % (1 << 20), path,
         "%dk" % ((size_mib - 1) << 10)])


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
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.sock.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        reply = self.read_reply()
        if "error" in reply:
            raise Fail("QMP %s: %s" % (name, reply["error"].get("desc")))
        return reply.get("return")

    def plug_usb(self, image, node, readonly=False, bootindex=None):
        """A USB stick from IMAGE on the xHCI controller, as device NODE."""
        self.cmd("blockdev-add", driver="raw", **{"node-name": node, "read-only": readonly},
                 file={"driver": "file", "filename": image, "read-only": readonly})
        extra = {"bootindex": bootindex} if bootindex is not None else {}
        self.cmd("device_add", driver="usb-storage", bus="xhci.0", drive=node, id=node, **extra)

    def type_text(self, text):
        """Keys on the guest's keyboard (the VGA console, tty0)."""
        names = {" ": "spc", "\n": "ret", ".": "dot", "-": "minus", "/": "slash"}
        for ch in text:
            key = names.get(ch, ch)
            self.cmd("send-key", keys=[{"type": "qcode", "data": key}])
            time.sleep(0.05)


class Guest:
    """FIRMWARE: bios, uefi or uefi-sb; BOOT: ("cd", iso), ("usb", image,
    toram-safe id) or ("net", tftp_dir, bootfile); DISKS: more USB images."""

    def __init__(self, name, firmware, boot, workdir, logpath, memory=1024, disks=(), cpus=2):
        self.name = name
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.log = open(logpath, "ab")
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(memory), "-smp", str(cpus),
                "-display", "none", "-serial", "stdio", "-monitor", "none",
                "-no-reboot", "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-device", "qemu-xhci,id=xhci"]
        if firmware == "bios":
            argv += ["-machine", "pc"]
        else:
            code, vars_src = OVMF[firmware]
            vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
            if not os.path.exists(vars_copy):
                shutil.copyfile(vars_src, vars_copy)
            if firmware == "uefi-sb":
                argv += ["-machine", "q35,smm=on",
                         "-global", "driver=cfi.pflash01,property=secure,value=on"]
            else:
                argv += ["-machine", "q35"]
            argv += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy]
        kind = boot[0]
        if kind == "cd":
            argv += ["-drive", "file=%s,media=cdrom,if=none,id=cd0,readonly=on,format=raw" % boot[1],
                     "-device", "ide-cd,drive=cd0,bootindex=0"]
        elif kind == "usb":
            argv += ["-drive", "file=%s,if=none,id=bootstick,format=raw,readonly=on" % boot[1],
                     "-device", "usb-storage,bus=xhci.0,drive=bootstick,id=bootstick0,bootindex=0"]
        elif kind == "net":
            argv += ["-netdev", "user,id=net0,tftp=%s,bootfile=%s" % (boot[1], boot[2]),
                     "-device", "e1000,netdev=net0,bootindex=0"]
        for i, d in enumerate(disks):
            argv += ["-drive", "file=%s,if=none,id=disk%d,format=raw" % (d, i),
                     "-device", "usb-storage,bus=xhci.0,drive=disk%d,id=disk%d" % (i, i)]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""
        self.seen = 0
        self.qmp = QMP(self.qmp_path, time.monotonic() + 30)

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

    def send(self, data):
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def login(self, timeout, hotkey=None):
        """Wait for the autologin prompt (pressing HOTKEY in the boot menu
        first); returns seconds from power-on. Fails on a kernel panic."""
        if hotkey:   # at once: the menu waits 1 s
            self.expect(MENU, timeout, "the boot menu")
            self.send(hotkey)
        m = self.expect(re.compile(PROMPT.pattern + rb"|Kernel panic[^\n]*"), timeout,
                        "the live user's autologin prompt")
        if m.group(0).startswith(b"Kernel panic"):
            raise Fail(m.group(0).decode("utf-8", "replace"))
        login = time.monotonic() - self.t0
        self.send("stty -echo; export TERM=dumb PAGER=cat SYSTEMD_PAGER=cat\n")
        time.sleep(1)
        return login

    def run(self, command, timeout=120):
        """Run command in the live user's shell; return (status, output)."""
        tag = "%08x" % (int(time.monotonic() * 1000) & 0xffffffff)
        while self.read(0.2):  # what the guest printed before: not ours
            pass
        self.seen = mark = len(self.out)
        # the marker is computed by the shell, so an echoed command never matches
        self.send("%s; echo \"@@$((0x%s))@@ $?\"\n" % (command, tag))
        m = self.expect(re.compile(rb"@@%d@@ (\d+)" % int(tag, 16)), timeout, repr(command))
        # (a prompt the shell printed late, under load, is not output)
        body = PROMPT.sub(b"", self.out[mark:m.start()])
        return int(m.group(1)), body.decode("utf-8", "replace").replace("\r", "")

    def must(self, command, timeout=120):
        st, out = self.run(command, timeout)
        if st != 0:
            raise Fail("%r exited %d:\n%s" % (command, st, out))
        return out

    def poweroff(self, timeout=120):
        self.send("sudo poweroff\n")
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self):
        """Power cut: QEMU killed, nothing flushed by the guest."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.qmp.sock.close()
        self.log.close()


class HTTP:
    """A file server on 127.0.0.1 only (QEMU's user network shows it to the
    guest as 10.0.2.2): serves DIR. mode: "good", "corrupt" (16 bytes of
    every MiB after the first flipped) or "down" (not listening)."""

    def __init__(self, directory):
        self.dir = directory
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.server = None
        self.mode = "down"
        self.requests = []

    def set(self, mode):
        self.mode = mode
        if mode == "down":
            self.stop()
        elif self.server is None:
            owner = self

            class Handler(http.server.SimpleHTTPRequestHandler):
                def __init__(self, *a, **kw):
                    super().__init__(*a, directory=owner.dir, **kw)

                def log_message(self, fmt, *args):
                    owner.requests.append(fmt % args)

                def copyfile(self, source, outputfile):
                    if owner.mode != "corrupt":
                        return super().copyfile(source, outputfile)
                    outputfile.write(source.read(1 << 20))
                    while True:
                        b = source.read(1 << 20)
                        if not b:
                            break
                        outputfile.write(bytes(x ^ 0xff for x in b[:16]) + b[16:])

            http.server.ThreadingHTTPServer.allow_reuse_address = True
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
