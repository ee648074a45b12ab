# SPDX-License-Identifier: GPL-2.0-or-later
# Host side of the e2e harness: start QEMU guests and hot-plug devices into
# them through QMP. Must never leave a QEMU running: every one is killed on
# close, at exit, on a signal, and with the driver (PR_SET_PDEATHSIG).
"""Host side of the e2e harness: boot QEMU, hot-plug through QMP, run
commands in the guest over its second serial port (channels.py).

Python 3 standard library only.  Every QEMU this module starts is killed
on close(), at interpreter exit, on SIGINT/SIGTERM, and (through
PR_SET_PDEATHSIG) when the driver itself dies.
"""

import atexit
import ctypes
import json
import os
import signal
import subprocess
import threading
import time

from channels import QMP, Error, Guest   # noqa: F401  (callers use qd.Error)

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


def blockdev_arg(node, path, readonly=False):
    """-blockdev arguments for a raw image: one node, the file inside, so
    that blockdev-del of the name frees the image."""
    return ["-blockdev", json.dumps({
        "driver": "raw", "node-name": node, "read-only": readonly,
        "file": {"driver": "file", "filename": path, "read-only": readonly}})]


class VM:
    """One QEMU guest: i440fx (PIIX IDE) or, with machine="q35", ICH9
    AHCI and PCIe; qemu-xhci, virtio-scsi and a CD-ROM on ide.1 on both;
    extra: more QEMU arguments (the machine's own devices)."""

    def __init__(self, kernel, initrd, workdir, mode="udev", smp=1,
                 mem=512, ide_disk=None, cmdline_extra="", usb_at_boot=(),
                 machine=None, extra=()):
        self.workdir = workdir
        self.mode = mode
        self.console = os.path.join(workdir, "console-%s.log" % mode)
        qmp_path = os.path.join(workdir, "qmp-%s.sock" % mode)
        cmd_path = os.path.join(workdir, "cmd-%s.sock" % mode)
        args = [
            QEMU, "-accel", "tcg", "-m", str(mem), "-smp", str(smp),
            "-machine", machine or "pc",
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
        # Devices of the machine's profile (SD cards, root ports, ...).
        args += list(extra)
        # USB sticks plugged in before power-on: (name, image, port).
        # One -blockdev with the file node inside, so that blockdev-del
        # of the name later frees the image as for a hot-plugged stick.
        for name, path, port in usb_at_boot:
            args += blockdev_arg(name, path) + [
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
        self.luns = {}        # plug_usb_scsi device id -> block nodes
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

    def plug_usb_scsi(self, dev_id, luns, driver="usb-bot", bus="xhci.0",
                      port=None):
        """A USB device with SCSI LUNs behind it: a card reader (usb-bot,
        LUNs 0..n-1 in order) or a UAS drive (usb-uas).  luns: (node,
        image, readonly).  QEMU adds a hot-plugged one detached, so that
        every LUN is there before the guest sees the device."""
        props = {"bus": bus}
        if port is not None:
            props["port"] = str(port)
        self.device_add(driver, dev_id, **props)
        self.luns[dev_id] = []
        for lun, (node, path, ro) in enumerate(luns):
            if path is None:
                # an empty slot: a drive without medium (QMP has no way
                # to make one; QEMU deletes it with its device)
                self.qmp.cmd("human-monitor-command", **{
                    "command-line": "drive_add 0 if=none,id=" + node})
            else:
                self.blockdev_add(node, path, ro)
                self.luns[dev_id].append(node)
            self.device_add("scsi-hd", "%s-lun%d" % (dev_id, lun),
                            bus=dev_id + ".0", lun=lun, drive=node,
                            removable=True)
        self.qmp.cmd("qom-set", path=dev_id, property="attached", value=True)

    def unplug_usb_scsi(self, dev_id):
        """Pull a plug_usb_scsi device with all its LUNs."""
        self.device_del(dev_id)
        for node in self.luns.pop(dev_id, []):
            self.blockdev_del(node)

    def plug_scsi(self, name, path, lun=0, scsi_id=None, readonly=False):
        self.blockdev_add(name, path, readonly)
        props = {"bus": "vscsi.0", "drive": name, "lun": lun}
        if scsi_id is not None:
            props["scsi-id"] = scsi_id
        self.device_add("scsi-hd", "scsi-" + name, **props)

    def unplug_scsi(self, name):
        self.device_del("scsi-" + name)
        self.blockdev_del(name)

    def plug_disk(self, driver, dev_id, node, path, **props):
        """Any disk device on a bus of the machine (nvme on a root port,
        ide-hd on AHCI, ...) with a raw image; Error when QEMU refuses."""
        self.blockdev_add(node, path)
        try:
            self.device_add(driver, dev_id, drive=node, **props)
        except Error:
            self.blockdev_del(node)
            raise

    def unplug_disk(self, dev_id, node, timeout=60):
        self.device_del(dev_id, timeout)
        self.blockdev_del(node)

    def change_medium(self, dev_id, path, readonly=False):
        """Put a medium into a drive without a locked tray (an SD slot, a
        card reader's LUN): the old one, if any, comes out first."""
        self.qmp.cmd("blockdev-change-medium", id=dev_id, filename=path,
                     format="raw", **{"read-only-mode": "read-only"
                                      if readonly else "read-write"})

    def eject_medium(self, dev_id):
        """Take the medium out of such a drive."""
        self.qmp.cmd("eject", id=dev_id, force=True)

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
