"""Host side of the e2e harness: boot QEMU, hot-plug through QMP, run
commands in the guest over its second serial port.

Python 3 standard library only.  Every QEMU this module starts is killed
on close(), at interpreter exit, on SIGINT/SIGTERM, and (through
PR_SET_PDEATHSIG) when the driver itself dies.
"""

import atexit
import base64
import ctypes
import json
import os
import signal
import socket
import subprocess
import threading
import time

QEMU = "qemu-system-x86_64"

_live = set()          # every QEMU Popen not yet reaped
_lock = threading.Lock()
stopping = threading.Event()   # set on SIGINT/SIGTERM: start no more QEMU


def _kill_all():
    with _lock:
        procs = list(_live)
    for p in procs:
        try:
            p.kill()
            p.wait(timeout=10)
        except Exception:
            pass
        with _lock:
            _live.discard(p)


def _on_signal(signum, frame):
    # Kill first, then unwind the main thread so its finally blocks remove
    # temp files; worker threads see their QEMU gone and stop.
    stopping.set()
    _kill_all()
    raise SystemExit(128 + signum)


atexit.register(_kill_all)
for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def _pdeathsig():
    # Runs in the child between fork and exec: die with the driver.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG
    except Exception:
        pass


class Error(Exception):
    pass


def _connect(path, timeout=30):
    """Connect to QEMU's unix socket; it exists (bind) a moment before QEMU
    listens on it, so retry refused connections."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (ConnectionRefusedError, FileNotFoundError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class QMP:
    """A QMP client: commands with ids, events kept in a list."""

    def __init__(self, path, timeout=30):
        self.sock = _connect(path)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        self.n = 0
        greeting = self._read()
        if "QMP" not in greeting:
            raise Error("no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def _read(self, deadline=None):
        while b"\n" not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("QMP read timed out")
                self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Error("QMP connection closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def cmd(self, name, timeout=30, **args):
        self.n += 1
        msg = {"execute": name, "id": self.n}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            r = self._read(deadline)
            if "event" in r:
                self.events.append(r)
                continue
            if r.get("id") != self.n:
                continue
            if "error" in r:
                raise Error("QMP %s %s: %s" % (name, args, r["error"]))
            return r.get("return")

    def wait_event(self, name, timeout=30, match=None):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name and (match is None or match(e)):
                    del self.events[i]
                    return e
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.sock.close()
        except Exception:
            pass


class Guest:
    """Run shell scripts in the guest over ttyS1 (see guest/init)."""

    def __init__(self, path, transcript=None):
        self.sock = _connect(path)
        self.buf = b""
        self.n = 0
        # Every line both ways, with host times, for post-mortems.
        self.log = open(transcript, "a", buffering=1) if transcript else None

    def _log(self, direction, text):
        if self.log:
            self.log.write("%.3f %s %s\n" % (time.monotonic(), direction,
                                              text[:300]))

    def _line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("guest did not answer in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Error("guest channel closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        line = line.decode("utf-8", "replace").rstrip("\r")
        self._log("<", line)
        return line

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline)
            if line.startswith("@@READY"):
                return line.split()

    def run(self, script, timeout=60):
        """Run script with sh in the guest; return (status, output)."""
        self.n += 1
        cid = "c%d" % self.n
        b64 = base64.b64encode(script.encode()).decode()
        msg = ("%s %d %d %s\n" % (cid, timeout, len(b64), b64)).encode()
        # The guest acks a whole line at once; a line that got lost or
        # mangled on the serial port is sent again.
        for attempt in range(4):
            self._log(">", "%s %d %r" % (cid, timeout, script))
            self.sock.sendall(msg)
            ack_deadline = time.monotonic() + 15
            try:
                while self._line(ack_deadline) != "@@ACK " + cid:
                    pass
                break
            except TimeoutError:
                self._log("!", "no ack for %s, resending" % cid)
        else:
            raise TimeoutError("guest never acknowledged %s" % cid)
        # The guest kills the script after `timeout`; allow for the reply.
        deadline = time.monotonic() + timeout + 30
        out = None
        while True:
            line = self._line(deadline)
            if line == "@@OUT " + cid:
                out = []
            elif line.startswith("@@END " + cid + " "):
                rc = int(line.split()[2])
                data = base64.b64decode("".join(out or []))
                return rc, data.decode("utf-8", "replace")
            elif out is not None:
                out.append(line.strip())

    def check(self, script, timeout=60):
        rc, out = self.run(script, timeout)
        if rc != 0:
            raise Error("guest command failed (%d): %s\n%s" % (rc, script, out))
        return out

    def close(self):
        try:
            self.sock.close()
        except Exception:
            pass
        if self.log:
            self.log.close()


class VM:
    """One QEMU guest: i440fx (PIIX IDE), qemu-xhci, virtio-scsi."""

    def __init__(self, kernel, initrd, workdir, mode="udev", smp=1,
                 mem=512, ide_disk=None, cmdline_extra="", usb_at_boot=()):
        self.workdir = workdir
        self.mode = mode
        self.console = os.path.join(workdir, "console-%s.log" % mode)
        qmp_path = os.path.join(workdir, "qmp-%s.sock" % mode)
        cmd_path = os.path.join(workdir, "cmd-%s.sock" % mode)
        args = [
            QEMU, "-accel", "tcg", "-m", str(mem), "-smp", str(smp),
            "-nographic", "-no-reboot", "-nic", "none", "-monitor", "none",
            "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1 e2e.mode=%s %s"
            % (mode, cmdline_extra),
            "-serial", "file:" + self.console,
            "-chardev", "socket,id=cmd,path=%s,server=on,wait=off" % cmd_path,
            "-serial", "chardev:cmd",
            "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
            "-device", "qemu-xhci,id=xhci,p2=8,p3=8",
            "-device", "virtio-scsi-pci,id=vscsi",
            "-device", "ide-cd,bus=ide.1,unit=0,id=cd0",
        ]
        if ide_disk:
            args += ["-blockdev", "driver=file,node-name=idehd-f,filename="
                     + ide_disk,
                     "-blockdev", "driver=raw,node-name=idehd,file=idehd-f",
                     "-device", "ide-hd,bus=ide.0,unit=0,drive=idehd,"
                     "id=idehd0,serial=E2EIDE0"]
        # USB sticks plugged in before power-on: (name, image, port).
        # One -blockdev with the file node inside, so that blockdev-del
        # of the name later frees the image as for a hot-plugged stick.
        for name, path, port in usb_at_boot:
            args += ["-blockdev", json.dumps({
                "driver": "raw", "node-name": name,
                "file": {"driver": "file", "filename": path}}),
                "-device", "usb-storage,bus=xhci.0,port=%s,drive=%s,"
                "id=usb-%s,removable=on" % (port, name, name)]
        self.t_start = time.monotonic()
        with _lock:
            if stopping.is_set():
                raise Error("stopping: no new QEMU")
            with open(os.path.join(workdir, "qemu-%s.out" % mode), "w") as out:
                self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                             stdout=out,
                                             stderr=subprocess.STDOUT,
                                             preexec_fn=_pdeathsig)
            _live.add(self.proc)
        self.qmp = self.guest = None
        try:
            self.qmp = QMP(self._wait_sock(qmp_path))
            self.guest = Guest(self._wait_sock(cmd_path), os.path.join(
                workdir, "channel-%s.log" % mode))
        except Exception:
            self.close()
            raise
        self.nodes = {name: path for name, path, _ in usb_at_boot}
        self.forced = []      # tray operations the guest did not allow

    def _wait_sock(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if self.proc.poll() is not None:
                raise Error("QEMU exited (%d), see %s"
                            % (self.proc.returncode, self.workdir))
            if time.monotonic() > deadline:
                raise Error("QEMU made no socket %s" % path)
            time.sleep(0.05)
        return path

    def wait_ready(self, timeout=180):
        """Wait for the guest's @@READY; return seconds since QEMU started."""
        self.guest.wait_ready(timeout)
        return time.monotonic() - self.t_start

    # Block nodes and devices -------------------------------------------------

    def blockdev_add(self, node, path, readonly=False):
        self.qmp.cmd("blockdev-add", driver="raw", **{"node-name": node},
                     **{"read-only": readonly},
                     file={"driver": "file", "filename": path,
                           "read-only": readonly})
        self.nodes[node] = path

    def blockdev_del(self, node):
        self.qmp.cmd("blockdev-del", **{"node-name": node})
        self.nodes.pop(node, None)

    def device_add(self, driver, dev_id, **props):
        self.qmp.cmd("device_add", driver=driver, id=dev_id, **props)

    def device_del(self, dev_id, timeout=30):
        """Remove a device and wait for QEMU to say it is gone."""
        self.qmp.cmd("device_del", id=dev_id)
        self.qmp.wait_event("DEVICE_DELETED", timeout,
                            lambda e: e["data"].get("device") == dev_id)

    def plug_usb(self, name, path, bus="xhci.0", port=None, readonly=False,
                 serial=None):
        """A USB stick: raw image behind usb-storage.  Device id: usb-NAME."""
        self.blockdev_add(name, path, readonly)
        props = {"bus": bus, "drive": name, "removable": True}
        if port is not None:
            props["port"] = str(port)
        if serial:
            props["serial"] = serial
        self.device_add("usb-storage", "usb-" + name, **props)

    def usb_port(self, dev_id):
        """The USB port QEMU gave a device ("1", "2.3"), from `info usb`."""
        out = self.qmp.cmd("human-monitor-command",
                           **{"command-line": "info usb"})
        for line in out.splitlines():
            if line.rstrip().endswith("ID: " + dev_id):
                return line.split("Port ")[1].split(",")[0]
        raise Error("no USB device %s in: %s" % (dev_id, out))

    def unplug_usb(self, name):
        self.device_del("usb-" + name)
        self.blockdev_del(name)

    def plug_scsi(self, name, path, lun=0, scsi_id=None, readonly=False):
        self.blockdev_add(name, path, readonly)
        props = {"bus": "vscsi.0", "drive": name, "lun": lun}
        if scsi_id is not None:
            props["scsi-id"] = scsi_id
        self.device_add("scsi-hd", "scsi-" + name, **props)

    def unplug_scsi(self, name):
        self.device_del("scsi-" + name)
        self.blockdev_del(name)

    def _tray_open(self, dev_id, timeout):
        """Wait for the guest to open a locked tray after an eject request
        (udev's 60-cdrom_id.rules locks a tray that holds a disc and runs
        cdrom_id --eject-media on the request).  False on timeout."""
        try:
            self.qmp.wait_event("DEVICE_TRAY_MOVED", timeout,
                                lambda e: e["data"].get("id") == dev_id and
                                e["data"].get("tray-open"))
            return True
        except TimeoutError:
            return False

    def cd_insert(self, path, dev_id="cd0", timeout=20):
        """Put a disc in, as a user would: when the guest holds the tray
        locked, QEMU sends it an eject request; wait for the tray to open,
        then load.  Forces only when the guest never opens (self.forced)."""
        self.qmp.events.clear()
        args = {"id": dev_id, "filename": path, "format": "raw",
                "read-only-mode": "read-only"}
        try:
            self.qmp.cmd("blockdev-change-medium", **args)
            return
        except Error as e:
            if "locked" not in str(e):
                raise
        if not self._tray_open(dev_id, timeout):
            self.forced.append("change-medium " + dev_id)
            args["force"] = True
        self.qmp.cmd("blockdev-change-medium", **args)

    def cd_eject(self, dev_id="cd0", timeout=20):
        """Press the eject button: request, wait for the guest to open the
        tray, then take the disc out."""
        self.qmp.events.clear()
        try:
            self.qmp.cmd("eject", id=dev_id, force=False)
            return
        except Error as e:
            if "locked" not in str(e):
                raise
        if self._tray_open(dev_id, timeout):
            self.qmp.cmd("eject", id=dev_id, force=False)
        else:
            self.forced.append("eject " + dev_id)
            self.qmp.cmd("eject", id=dev_id, force=True)

    # Teardown ---------------------------------------------------------------

    def close(self):
        if self.guest:
            self.guest.close()
        if self.qmp and self.proc.poll() is None:
            try:
                self.qmp.cmd("quit", timeout=5)
            except Exception:
                pass
        if self.qmp:
            self.qmp.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with _lock:
            _live.discard(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
