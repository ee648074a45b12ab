# SPDX-License-Identifier: GPL-2.0-or-later
# The two sockets to a QEMU guest: QMP (commands and events) and the e2e
# command channel on the guest's second serial port (see guest/init). Never
# starts or kills a process: qemu_driver.VM owns QEMU.
"""QMP client and guest command channel of the e2e harness."""

import base64
import json
import socket
import time


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
