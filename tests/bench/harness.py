# SPDX-License-Identifier: GPL-2.0-or-later
# The bench's harness: repetitions, the log, statistics, the processes the
# bench starts (mediad, udevd, a private D-Bus, udisksd) and their memory
# and CPU, images and loop devices (tests/pylib's Scratch), and the cleanup
# of all of it. Phases (tests/bench/phases/) use only this; it never
# measures anything itself, and never touches a device or a mount it did
# not make.
"""Shared state and tools of tests/bench (see bench.py)."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "pylib"))
import mediatest  # noqa: E402  (tests/pylib: waits, images, loop devices)

BUILD = os.path.abspath(os.environ.get("BUILD", os.path.join(TOP, "build")))
OUT = os.path.join(BUILD, "bench")
HERE = os.path.join(TOP, "tests", "bench")
UDISKSD = "/usr/libexec/udisks2/udisksd"
SMOKE = False

wait_dir = mediatest.wait_dir
wait_mounts = mediatest.wait_mounts

# repetitions: (full, smoke)
REPS = {
    "plug": (200, 10),        # cycles per side
    "plug_block": (20, 5),    # cycles per interleaved block
    "plug_idle": (8, 2),      # plugs after the daemons idled PLUG_IDLE_MS
    "access": (20, 4),        # first accesses per side and filesystem
    "access_keys": (10, 3),   # media per filesystem (automount caches an answer 1 s)
    "lookup": (500, 40),      # map runs per side
    "steps": (20, 4),         # runs of each step of a first access
    "cold_sizes": ([8, 64, 256], [8, 32]),
    "cold_reps": (5, 1),
    "storm": (3000, 100),     # cycles, sampled every storm_sample
    "storm_sample": (1000, 50),
    "flush": (7, 2),          # unmounts a size
    "poll_s": (10, 2),        # seconds of mediad CPU measured a source
}
# longer than the probe pool's idle retirement (daemon/probejob.h)
PLUG_IDLE_MS = 6000


def reps(k):
    return REPS[k][1 if SMOKE else 0]


T_START = time.monotonic()


def log(msg):
    print(f"bench: [{time.monotonic() - T_START:5.1f} s] {msg}", file=sys.stderr, flush=True)


# ---- cleanup -----------------------------------------------------------------

PROCS = []     # (Popen, the signal that stops it)
SCRATCH = None  # mediatest.Scratch: TMP, its loop devices and mounts
UDEVD = None   # the udevd this bench started (Popen), if any
# tests/integration/run's protocol for a udevd shared by the test runs of
# other trees: a shared lock while udevd may be needed; the run that
# started udevd stops it only when no other run holds the lock
UDEVD_LOCK = "/run/lock/mediad-tests-udevd.lock"
_lock_fd = None


def tmp():
    return SCRATCH.path


def cleanup():
    for p, sig in reversed(PROCS):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
                os.kill(p.pid, sig)
                p.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
                except ProcessLookupError:
                    pass
    PROCS.clear()
    if SCRATCH:
        # udisksctl mounts under /media/root: only our media's
        with open("/proc/self/mountinfo") as f:
            mps = [ln.split()[4] for ln in f]
        for m in sorted((m for m in mps if m.startswith("/media/root/BENCH")), reverse=True):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        SCRATCH.close()
    stop_udevd()


def on_signal(sig, _frame):
    raise KeyboardInterrupt(f"signal {sig}")


# ---- statistics ----------------------------------------------------------------

def stats(us):
    """median and p95 (nearest rank) in milliseconds"""
    v = sorted(us)
    n = len(v)
    if not n:
        return {"n": 0}
    med = v[(n - 1) // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    p95 = v[min(n - 1, max(0, -(-95 * n // 100) - 1))]
    return {"median_ms": round(med / 1000, 3), "p95_ms": round(p95 / 1000, 3), "n": n}


def median(v):
    v = sorted(v)
    n = len(v)
    return None if not n else v[(n - 1) // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def ratio(a, b):
    return round(a["median_ms"] / b["median_ms"], 2) if a.get("n") and b.get("n") else None


# ---- processes -----------------------------------------------------------------

def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def spawn(cmd, sig=signal.SIGTERM, **kw):
    p = subprocess.Popen(cmd, **kw)
    PROCS.append((p, sig))
    return p


def stop(p):
    for i, (q, sig) in enumerate(PROCS):
        if q is p:
            del PROCS[i]
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
                os.kill(p.pid, sig)
                p.wait(timeout=20)
            return


def pause(*ps):
    for p in ps:
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGSTOP)


def resume(*ps):
    for p in ps:
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return 0


def rollup_kib(pid, key):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return 0


def memory(pid):
    """RSS, PSS, and the anonymous part of RSS (the process's own memory;
    the rest is file pages: code and data of the programs and libraries,
    shared and reclaimable)"""
    return {"rss_kib": status_kib(pid, "VmRSS"), "pss_kib": rollup_kib(pid, "Pss"),
            "anon_kib": rollup_kib(pid, "Anonymous")}


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ns(pid):
    """time on a CPU, in ns (schedstat), where /proc/PID/stat counts ticks"""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


class Mediad:
    """mediad in the foreground on a state and media dir of its own, for
    our own loop devices only (include_loop = the scratch dir): other
    engineers' tests run beside the bench."""

    def __init__(self, name, source, extra=""):
        self.name, self.source = name, source
        self.dir = os.path.join(tmp(), name)
        self.state = os.path.join(self.dir, "state")
        self.media = os.path.join(self.dir, "media")
        self.list = os.path.join(self.media, "list")
        self.conf = os.path.join(self.dir, "mediad.conf")
        self.log = os.path.join(self.dir, "mediad.log")
        os.makedirs(self.dir, exist_ok=True)
        self.write_conf(extra)
        self.p = None

    def write_conf(self, extra=""):
        with open(self.conf + ".new", "w") as f:
            f.write(f"state_dir = {self.state}\nmedia_dir = {self.media}\n"
                    f"include_loop = {tmp()}\nexpire_timeout = 600\nlog_level = info\n" + extra)
        os.rename(self.conf + ".new", self.conf)

    def start(self):
        """Returns the seconds from exec to the coldplug: log line."""
        for d in (self.state, self.media):
            # on a tmpfs of its own, as /run/mediad and a live system's
            # /media are (this namespace's: nobody else sees it); the
            # scratch dir's filesystem may be another (an ext4 /tmp made
            # every record and link cost an inode allocation)
            if os.path.ismount(d):
                subprocess.run(["umount", d], check=True)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            sh("mount", "-t", "tmpfs", "-o", "size=16m,mode=755", "mediad-bench", d)
        logf = open(self.log, "a")
        t0 = time.monotonic()
        self.p = spawn([os.path.join(BUILD, "mediad"), "--foreground", "--config", self.conf,
                        "--state-dir", self.state, "--media-dir", self.media,
                        "--source", self.source], stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:  # blocks until mediad writes: event-driven
            logf.write(line)
            if "coldplug:" in line:
                break
        else:
            raise RuntimeError(f"{self.name}: mediad exited before coldplug")
        t = time.monotonic() - t0

        def drain(src, dst):
            for ln in src:
                dst.write(ln)
            dst.close()
        threading.Thread(target=drain, args=(self.p.stderr, logf), daemon=True).start()
        return t

    def stop(self):
        if self.p:
            stop(self.p)
            self.p = None
        for d in (self.media, self.state):
            # automount's directory under media is gone with automount
            if os.path.ismount(d):
                subprocess.run(["umount", "-l", d])

    def names(self, prefix):
        try:
            return sorted(n for n in os.listdir(self.list) if n.startswith(prefix))
        except FileNotFoundError:
            return []

    def media_count(self):
        return len(os.listdir(os.path.join(self.state, "media")))


# ---- images and loop devices -------------------------------------------------------

def mkimg(path, fstype, label):
    content = os.path.join(tmp(), "content")
    if not os.path.isdir(content):
        os.makedirs(content)
        with open(os.path.join(content, "hello"), "w") as f:
            f.write("hello from the bench\n")
        with open(os.path.join(tmp(), "xfs.proto"), "w") as f:
            f.write(f"/dev/null\n0 0\nd--755 0 0\nhello ---644 0 0 {content}/hello\n$\n")
    if fstype == "xfs":
        with open(path, "wb") as f:
            f.truncate(300 << 20)
        sh("mkfs.xfs", "-q", "-f", "-L", label, "-p", os.path.join(tmp(), "xfs.proto"), path)
    else:
        # inode tables initialised now, as on a stick formatted long ago
        # (the kernel's lazyinit would write on the first mount)
        with open(path, "wb") as f:
            f.truncate(16 << 20)
        sh("mkfs." + fstype, "-q", "-F", "-L", label, "-E", "lazy_itable_init=0", "-d",
           content, path)


def label_copy(template, path, label):
    """A copy of an ext4 image with its own label and UUID."""
    shutil.copyfile(template, path)
    sh("tune2fs", "-L", label, "-U", "random", path, stdout=subprocess.DEVNULL)


def attach(img, ro=False):
    return SCRATCH.attach(img, ro)


def backs(dev, img):
    return mediatest.backing(dev) == img


def detach(dev):
    SCRATCH.detach(dev)


# ---- helpers and daemons ------------------------------------------------------------

# C helpers beside the driver, and what they link
HELPERS = (("plugtime", ["-lsystemd", "-ludev"]), ("spawntime", []), ("storm", []),
           ("floor", ["-ludev", "-lmount", "-lblkid", "-lev"]), ("mounttime", []))


def build_helpers():
    os.makedirs(OUT, exist_ok=True)
    cflags = out("pkg-config", "--cflags", "blkid", "mount").split()
    for prog, libs in HELPERS:
        sh("cc", "-O2", "-Wall", "-Wextra", "-Werror", *cflags, "-o", os.path.join(OUT, prog),
           os.path.join(HERE, prog + ".c"), *libs)


def helper(name):
    return os.path.join(OUT, name)


def link_mount_helper():
    # auto.media answers through /sbin/mount.mediad when it exists, as
    # make install puts it there: this build's, unless an installed
    # (regular) file is in place, as tests/integration/run does
    h = "/sbin/mount.mediad"
    if not os.path.exists(h) or os.path.islink(h):
        if os.path.lexists(h):
            os.unlink(h)
        os.symlink(os.path.join(BUILD, "mount.mediad"), h)


def ensure_udevd():
    """A udevd for the bench: the machine's, or one of our own (in the
    foreground, so that it is ours to stop, by its pid). True when ours."""
    global UDEVD, _lock_fd
    import fcntl
    os.makedirs(os.path.dirname(UDEVD_LOCK), exist_ok=True)
    _lock_fd = open(UDEVD_LOCK, "w")
    fcntl.flock(_lock_fd, fcntl.LOCK_SH)
    # a udevd that does not answer a ping in time is busy, not absent: a
    # second one beside it would process every event twice (each sends
    # its own processed events), so ours only when none runs at all
    running = any(_comm(p) == "systemd-udevd" for p in os.listdir("/proc") if p.isdigit())
    if not running and subprocess.run(["udevadm", "control", "--ping", "-t", "10"],
                                      stderr=subprocess.DEVNULL).returncode != 0:
        UDEVD = subprocess.Popen(["/lib/systemd/systemd-udevd"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["udevadm", "control", "--ping", "-t", "1"],
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.1)
    return UDEVD is not None


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def stop_udevd():
    """Stops the udevd we started, unless another test run uses it."""
    global UDEVD, _lock_fd
    import fcntl
    if UDEVD is not None and UDEVD.poll() is None:
        try:
            fcntl.flock(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            UDEVD.terminate()
            UDEVD.wait(timeout=20)
        except BlockingIOError:
            pass  # another run needs it: it goes with the last of them
    UDEVD = None
    if _lock_fd:
        _lock_fd.close()
        _lock_fd = None


def start_bus():
    conf = os.path.join(tmp(), "bus.conf")
    sock = os.path.join(tmp(), "system_bus_socket")
    with open(conf, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
""")
    bus = spawn(["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile",
                 "--print-address"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    bus.stdout.readline()  # printed once it listens
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + sock
    return bus


def start_udisksd():
    p = spawn([UDISKSD, "--no-sigint"], stdout=subprocess.DEVNULL,
              stderr=open(os.path.join(tmp(), "udisksd.log"), "w"))
    sh("gdbus", "wait", "--system", "--timeout", "30", "org.freedesktop.UDisks2")
    return p


def start_automount(master, env, log_name="automount.log"):
    return spawn(["setsid", "/usr/sbin/automount", "-f", "-C"] +
                 (["-d"] if os.environ.get("BENCH_DEBUG") else []) + [master], env=env,
                 stdout=subprocess.DEVNULL,
                 stderr=open(os.path.join(tmp(), log_name), "w"))
