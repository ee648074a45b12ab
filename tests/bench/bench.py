#!/usr/bin/env python3
"""make bench: mediad's speed and footprint beside udisks2 and a shell map.

Runs as root in a private mount namespace, on loop devices it makes from
images it makes with mkfs; compared sides run in the same run, interleaved
(in blocks or round-robin), so a noisy machine affects both alike. Prints
one table and writes build/bench/results.json. Every wait for a result is
event-driven (inotify, poll on /proc/self/mountinfo, D-Bus signals, a
daemon's log line); every process, mount and loop device it makes is
removed on exit, also on failure and SIGINT.

  tests/bench/bench.py [--smoke]     (--smoke: few repetitions, < 2 min)
  tests/bench/bench.py --flush-only  (only 3b: the flush and the poll)
"""
import ctypes
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
OUT = os.path.join(BUILD, "bench")
HERE = os.path.join(TOP, "tests", "bench")
UDISKSD = "/usr/libexec/udisks2/udisksd"
SMOKE = "--smoke" in sys.argv
FLUSH_ONLY = "--flush-only" in sys.argv

# repetitions: (full, smoke)
REPS = {
    "plug": (200, 10),        # cycles per side
    "plug_block": (20, 5),    # cycles per interleaved block
    "access": (20, 4),        # first accesses per side and filesystem
    "access_keys": (10, 3),   # media per filesystem (automount caches an answer 1 s)
    "lookup": (500, 40),      # map runs per side
    "cold_sizes": ([8, 64, 256], [8, 32]),
    "cold_reps": (5, 1),
    "storm": (1000, 100),
    "flush": (7, 2),          # unmounts a size
    "poll_s": (10, 2),        # seconds of mediad CPU measured a source
}


def reps(k):
    return REPS[k][1 if SMOKE else 0]


T_START = time.monotonic()


def log(msg):
    print(f"bench: [{time.monotonic() - T_START:5.1f} s] {msg}", file=sys.stderr, flush=True)


# ---- cleanup registry -----------------------------------------------------

PROCS = []     # (Popen, how to stop: signal)
LOOPS = []     # loop devices we attached with losetup
TMP = None
STARTED_UDEVD = False


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
    if TMP:
        # mounts first (they pin the loop devices), deepest first
        with open("/proc/self/mountinfo") as f:
            mps = [l.split()[4] for l in f]
        for m in sorted((m for m in mps if m.startswith(TMP + "/") or
                         m.startswith("/media/root/BENCH")), reverse=True):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    for l in LOOPS:
        if TMP and backing(l).startswith(TMP + "/"):  # still ours
            subprocess.run(["losetup", "-d", l], stderr=subprocess.DEVNULL)
    LOOPS.clear()
    if STARTED_UDEVD:
        subprocess.run(["udevadm", "control", "--exit"], stderr=subprocess.DEVNULL)
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def on_signal(sig, _frame):
    raise KeyboardInterrupt(f"signal {sig}")


# ---- event-driven waits -----------------------------------------------------

libc = ctypes.CDLL(None, use_errno=True)
IN_EVENTS = 0x100 | 0x200 | 0x80 | 0x40 | 0x8 | 0x4  # create delete moved close_write attrib


def wait_dir(dirs, pred, timeout=30.0):
    """Waits until pred() is true, waking on inotify events in dirs."""
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        for d in dirs:
            libc.inotify_add_watch(fd, d.encode(), IN_EVENTS)
        end = time.monotonic() + timeout
        while not pred():
            left = end - time.monotonic()
            if left <= 0:
                return False
            # the timeout bounds only a wakeup we could have missed
            if select.select([fd], [], [], min(left, 0.5))[0]:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
        return True
    finally:
        os.close(fd)


def wait_mounts(pred, timeout=30.0):
    """Waits until pred(mountinfo lines) is true: poll(2) on mountinfo."""
    with open("/proc/self/mountinfo") as f:
        p = select.poll()
        p.register(f, select.POLLPRI | select.POLLERR)
        end = time.monotonic() + timeout
        while True:
            f.seek(0)
            if pred(f.read().splitlines()):
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            p.poll(min(left, 0.5) * 1000)


def mounted_on(path):
    return lambda lines: any(l.split()[4] == path for l in lines)


def not_mounted_on(path):
    return lambda lines: not any(l.split()[4] == path for l in lines)


# ---- statistics -------------------------------------------------------------

def stats(us):
    """median and p95 (nearest rank) in milliseconds"""
    v = sorted(us)
    n = len(v)
    if not n:
        return {"n": 0}
    med = v[(n - 1) // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    p95 = v[min(n - 1, max(0, -(-95 * n // 100) - 1))]
    return {"median_ms": round(med / 1000, 3), "p95_ms": round(p95 / 1000, 3), "n": n}


def ratio(a, b):
    return round(a["median_ms"] / b["median_ms"], 2) if a.get("n") and b.get("n") else None


# ---- processes --------------------------------------------------------------

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


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith(key + ":"):
                return int(l.split()[1])
    return 0


def pss_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for l in f:
            if l.startswith("Pss:"):
                return int(l.split()[1])
    return 0


def memory(pid):
    return {"rss_kib": status_kib(pid, "VmRSS"), "pss_kib": pss_kib(pid)}


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Mediad:
    """mediad in the foreground on a state and media dir of its own."""

    def __init__(self, name, source):
        self.name, self.source = name, source
        self.dir = os.path.join(TMP, name)
        self.state = os.path.join(self.dir, "state")
        self.media = os.path.join(self.dir, "media")
        self.list = os.path.join(self.media, "list")
        self.conf = os.path.join(self.dir, "mediad.conf")
        os.makedirs(self.dir, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(f"state_dir = {self.state}\nmedia_dir = {self.media}\n"
                    "include_loop = yes\nexpire_timeout = 600\nlog_level = info\n")
        self.p = None

    def start(self):
        """Returns the seconds from exec to the coldplug: log line."""
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.media, ignore_errors=True)
        os.makedirs(self.state)
        os.makedirs(self.media)
        logf = open(os.path.join(self.dir, "mediad.log"), "a")
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
            for l in src:
                dst.write(l)
            dst.close()
        threading.Thread(target=drain, args=(self.p.stderr, logf), daemon=True).start()
        return t

    def stop(self):
        if self.p:
            stop(self.p)
            self.p = None

    def names(self, prefix):
        try:
            return sorted(n for n in os.listdir(self.list) if n.startswith(prefix))
        except FileNotFoundError:
            return []

    def media_count(self):
        return len(os.listdir(os.path.join(self.state, "media")))


def pause(*ps):
    for p in ps:
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGSTOP)


def resume(*ps):
    for p in ps:
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)


# ---- images and loop devices -------------------------------------------------

def mkimg(path, fstype, label):
    content = os.path.join(TMP, "content")
    if not os.path.isdir(content):
        os.makedirs(content)
        with open(os.path.join(content, "hello"), "w") as f:
            f.write("hello from the bench\n")
        with open(os.path.join(TMP, "xfs.proto"), "w") as f:
            f.write(f"/dev/null\n0 0\nd--755 0 0\nhello ---644 0 0 {content}/hello\n$\n")
    if fstype == "xfs":
        with open(path, "wb") as f:
            f.truncate(300 << 20)
        sh("mkfs.xfs", "-q", "-f", "-L", label, "-p", os.path.join(TMP, "xfs.proto"), path)
    else:
        with open(path, "wb") as f:
            f.truncate(16 << 20)
        sh("mkfs." + fstype, "-q", "-F", "-L", label, "-d", content, path)


def attach(img, ro=False):
    dev = out("losetup", "-f", "--show", *(["-r"] if ro else []), img).strip()
    LOOPS.append(dev)
    return dev


def backing(dev):
    try:
        with open(f"/sys/block/{os.path.basename(dev)}/loop/backing_file") as f:
            return f.read().strip()
    except OSError:
        return ""


def backs(dev, img):
    return backing(dev) == img


def detach(dev):
    LOOPS.remove(dev)
    if backing(dev).startswith(TMP + "/"):  # never one that is not ours now
        subprocess.run(["losetup", "-d", dev], check=True)


# ---- the bench --------------------------------------------------------------

def build_helpers():
    os.makedirs(OUT, exist_ok=True)
    for prog, libs in (("plugtime", ["-lsystemd"]), ("spawntime", []), ("storm", [])):
        sh("cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", os.path.join(OUT, prog),
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


def start_bus():
    conf = os.path.join(TMP, "bus.conf")
    sock = os.path.join(TMP, "system_bus_socket")
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
              stderr=open(os.path.join(TMP, "udisksd.log"), "w"))
    sh("gdbus", "wait", "--system", "--timeout", "30", "org.freedesktop.UDisks2")
    return p


def plug_phase(R, mu, mk, ud):
    img = os.path.join(TMP, "plug.img")
    mkimg(img, "ext4", "BENCHPLUG")
    n, block = reps("plug"), reps("plug_block")
    sides = [("mediad_udev", mu.p, ["link", img, mu.list]),
             ("mediad_kernel", mk.p, ["link", img, mk.list]),
             ("udisks2", ud, ["udisks", img, "-"])]
    times = {s[0]: [] for s in sides}
    rnd = 0
    log(f"plug to visible: {n} cycles a side, interleaved in blocks of {block}")
    while min(len(v) for v in times.values()) < n:
        order = sides[rnd % 3:] + sides[:rnd % 3]
        for name, p, args in order:
            pause(*(q for _, q, _ in sides if q is not p))
            resume(p)
            k = min(block, n - len(times[name]))
            if k <= 0:
                continue
            # one more than counted: the first cycle lets the daemon
            # catch up on what it missed while stopped (events are ordered)
            o = out(helper("plugtime"), *args[:3], "BENCHPLUG", str(k + 1))
            times[name] += [float(x) for x in o.split()[1:]]
        rnd += 1
    resume(mu.p, mk.p, ud)
    for name in times:
        R["plug_to_visible"][name] = stats(times[name])
    P = R["plug_to_visible"]
    P["ratio_mediad_udev_to_udisks2"] = ratio(P["mediad_udev"], P["udisks2"])
    P["ratio_mediad_kernel_to_udisks2"] = ratio(P["mediad_kernel"], P["udisks2"])


SHELL_MAP = r"""#!/bin/sh
# The classic program map: the same lookup as auto.media, in sh, with no
# external command (a live CD script of old would have forked sed and cut).
# Like auto.media it answers with mediad's per-generation device link.
key=$1 state=/run/mediad dev= num= seq= type= opts=
while IFS=' =' read -r k v; do
	[ "$k" = state_dir ] && state=$v
done < "${MEDIAD_CONFIG:-/etc/mediad.conf}"
rec=$state/media/$key
[ -f "$rec" ] || exit 1
while IFS='=' read -r k v; do
	case $k in
	devname) dev=$v ;;
	devnum) num=$v ;;
	diskseq) seq=$v ;;
	mounttype) type=$v ;;
	options) opts=$v ;;
	esac
done < "$rec"
link=$state/dev/${num%%:*}-${num#*:}-${seq:-0}
[ -b "$link" ] && [ -n "$type" ] || exit 1
[ -x /sbin/mount.mediad ] && type=mediad.$type
echo "-fstype=$type${opts:+,$opts} :$link"
"""


def access_phase(R, mu, ud):
    K, n = reps("access_keys"), reps("access")
    keys = {"ext4": [f"BENCH_E{i}" for i in range(K)], "xfs": [f"BENCH_X{i}" for i in range(K)]}
    devs = {}
    for fs, ks in keys.items():
        for k in ks:
            img = os.path.join(TMP, k + ".img")
            mkimg(img, fs, k)
            devs[k] = attach(img)
    allkeys = keys["ext4"] + keys["xfs"]
    if not wait_dir([mu.list], lambda: set(mu.names("BENCH_")) >= set(allkeys)):
        raise RuntimeError("access media not published")
    sh(helper("plugtime"), "udisks-wait", *(f"{devs[k]}={k}" for k in allkeys))
    pause(ud)
    shmap = os.path.join(TMP, "auto.media.sh")
    with open(shmap, "w") as f:
        f.write(SHELL_MAP)
    os.chmod(shmap, 0o755)
    env = dict(os.environ, MEDIAD_CONFIG=mu.conf)
    # the answers must be the same, or the comparison is not fair
    for k in allkeys:
        a = out(os.path.join(BUILD, "auto.media"), k, env=env)
        b = out(shmap, k, env=env)
        if a != b:
            raise RuntimeError(f"maps disagree on {k}: {a!r} vs {b!r}")
    entry = out(os.path.join(BUILD, "mediad"), "-c", mu.conf,
                "--autofs-entry=" + os.path.join(BUILD, "auto.media")).strip()
    shauto = os.path.join(TMP, "shauto")
    os.makedirs(os.path.join(mu.media, "auto"), exist_ok=True)
    os.makedirs(shauto)
    master = os.path.join(TMP, "auto.master")
    with open(master, "w") as f:
        f.write(entry + "\n")
        f.write(entry.split()[0].replace(os.path.join(mu.media, "auto"), shauto) + " program:" +
                shmap + " " + " ".join(entry.split()[2:]) + "\n")
    R["first_access"]["master_map"] = open(master).read().splitlines()
    spawn(["setsid", "/usr/sbin/automount", "-f", "-C"] + (["-d"] if os.environ.get("BENCH_DEBUG") else []) + [master], env=env,
          stdout=subprocess.DEVNULL, stderr=open(os.path.join(TMP, "automount.log"), "w"))
    auto = os.path.join(mu.media, "auto")
    if not wait_mounts(lambda ls: sum(l.split()[4] in (auto, shauto) and " autofs " in l
                                      for l in ls) == 2):
        raise RuntimeError("automount did not mount its autofs directories")
    mnt = os.path.join(TMP, "mnt")
    os.makedirs(mnt)
    opts = {k: open(os.path.join(mu.state, "media", k)).read().split("options=")[1].split("\n")[0]
            for k in allkeys}

    def published(k):
        # mediad withdraws a medium that is mounted outside its autofs
        # directory (mount(8), udisksctl) and offers it again once it is
        # unmounted: wait for that before a map has to find the record
        rec, lnk = os.path.join(mu.state, "media", k), os.path.join(mu.list, k)
        if wait_dir([os.path.join(mu.state, "media"), mu.list],
                    lambda: os.path.exists(rec) and os.path.lexists(lnk), timeout=10):
            return True
        # a finding, not a reason to stop: recorded with mediad's lines
        # about the medium and its device, and this round skips it
        kn = os.path.basename(devs[k])
        lines = [l.strip() for l in open(os.path.join(mu.dir, "mediad.log"))
                 if k in l or f"/dev/{kn})" in l or f"/dev/{kn}," in l]
        ign = os.path.join(mu.state, "ignored", kn)
        anomalies.append({"medium": k, "device": devs[k], "what": "not offered again "
                          "10 s after it was unmounted", "mediad_log": lines[-12:],
                          "ignored_record": open(ign).read() if os.path.exists(ign) else None})
        log(f"FINDING: {k} not offered again after an unmount (see results.json)")
        return False

    anomalies = R["first_access"]["anomalies"] = []

    def t_automount(base, k):
        if not published(k):
            return None
        t0 = time.perf_counter()
        os.stat(os.path.join(base, k, "hello"))
        t = (time.perf_counter() - t0) * 1e6
        sh("umount", os.path.join(auto if base != shauto else shauto, k))
        return t

    def udisks_caught_up(k):
        # udisksd sees mounts change asynchronously: let it catch up before
        # the next measurement, so that it neither refuses (AlreadyMounted)
        # nor works beside the next side
        r = subprocess.run([helper("plugtime"), "udisks-wait", devs[k] + "="])
        if r.returncode != 0:
            kn = os.path.basename(devs[k])
            mi = [l for l in open("/proc/self/mountinfo") if devs[k] in l or kn in l]
            bp = subprocess.run(["busctl", "--system", "get-property", "org.freedesktop.UDisks2",
                                 "/org/freedesktop/UDisks2/block_devices/" + kn,
                                 "org.freedesktop.UDisks2.Filesystem", "MountPoints"],
                                capture_output=True, text=True)
            raise RuntimeError(f"udisksd still sees {k} ({devs[k]}) mounted: "
                               f"{bp.stdout}{bp.stderr} mountinfo: {mi}")

    def t_spawn(*cmd):
        return float(out(helper("spawntime"), "1", *cmd))

    def t_mount8(k, fs):
        t = t_spawn("/bin/mount", "-t", fs, "-o", opts[k], devs[k], mnt)
        sh("umount", mnt)
        return t

    def t_mount8_helper(k, fs):
        # mount(8) through mount.mediad, as automount runs it: the
        # helper's cost (and, for ext4, its e2fsck -p) above mount(8)
        t = float(out(helper("spawntime"), "1", "/bin/mount", "-t", "mediad." + fs, "-o",
                      opts[k], devs[k], mnt, env=env))
        sh("umount", mnt)
        return t

    def t_udisks(k):
        # udisksd runs only for its own side: when it sees an xfs medium
        # unmounted it runs xfs_info on the old mount point, which, under
        # /media/auto, makes automount mount it again; and mediad rests
        # while udisksd works, as udisksd rests while automount works
        pause(mu.p)
        resume(ud)
        udisks_caught_up(k)
        t = t_spawn("/usr/bin/udisksctl", "mount", "--no-user-interaction", "-b", devs[k])
        sh("udisksctl", "unmount", "--no-user-interaction", "-b", devs[k],
           stdout=subprocess.DEVNULL)
        udisks_caught_up(k)
        pause(ud)
        resume(mu.p)
        return t

    sides = ["automount_auto_media", "automount_shell_map", "mount8", "mount8_mount_mediad",
             "udisksctl_mount"]
    times = {fs: {s: [] for s in sides} for fs in keys}
    last, reuse = {}, []
    log(f"first access: {n} a side and filesystem, {K} media a filesystem, round-robin")
    for j in range(n):
        for fs in keys:
            k = keys[fs][j % K]
            order = sides[j % len(sides):] + sides[:j % len(sides)]
            for s in order:
                if s == "automount_auto_media":
                    t = t_automount(mu.list, k)
                elif s == "automount_shell_map":
                    t = t_automount(shauto, k)
                elif s == "mount8":
                    t = t_mount8(k, fs)
                elif s == "mount8_mount_mediad":
                    t = t_mount8_helper(k, fs)
                else:
                    t = t_udisks(k)
                if t is not None:
                    times[fs][s].append(t)
            now = time.monotonic()
            if k in last:
                reuse.append(now - last[k])
            last[k] = now
    F = R["first_access"]
    for fs in keys:
        F[fs] = {s: stats(times[fs][s]) for s in sides}
        for s in sides:
            F[fs][s]["ratio_to_mount8"] = ratio(F[fs][s], F[fs]["mount8"])
    # mount.mediad runs e2fsck -p before mounting ext4 read-write, not
    # xfs: what the helper costs above mount(8), ext4 minus xfs
    F["ext4_fsck_estimate_ms"] = round(
        (F["ext4"]["mount8_mount_mediad"]["median_ms"] - F["ext4"]["mount8"]["median_ms"]) -
        (F["xfs"]["mount8_mount_mediad"]["median_ms"] - F["xfs"]["mount8"]["median_ms"]), 2)
    F["mount_mediad_overhead_xfs_ms"] = round(
        F["xfs"]["mount8_mount_mediad"]["median_ms"] - F["xfs"]["mount8"]["median_ms"], 2)
    F["min_key_reuse_s"] = round(min(reuse), 2) if reuse else None
    F["note"] = ("automount reuses a program map's answer for negative_timeout (1 s): "
                 "each medium is looked up again only after min_key_reuse_s")

    # lookup cost: the map alone, and the fork/exec floor
    n = reps("lookup")
    chunk = 20
    k = keys["ext4"][0]
    cmds = {"auto_media": [os.path.join(BUILD, "auto.media"), k],
            "shell_map": [shmap, k],
            "fork_exec_floor_true": ["/bin/true"]}
    lt = {c: [] for c in cmds}
    k = next(k for k in keys["ext4"] if published(k))
    cmds["auto_media"][1] = cmds["shell_map"][1] = k
    log(f"lookup cost: {n} runs a side, interleaved in chunks of {chunk}")
    for i in range(0, n, chunk):
        for c, cmd in cmds.items():
            lt[c] += [float(x) for x in out(helper("spawntime"), str(min(chunk, n - i)), *cmd,
                                            env=env).split()]
    L = R["lookup"]
    for c in cmds:
        L[c] = stats(lt[c])
    L["ratio_auto_media_to_shell_map"] = ratio(L["auto_media"], L["shell_map"])
    resume(ud)
    for k in allkeys:
        detach(devs[k])
    return env


def cpu_ns(pid):
    """time on a CPU, in ns (schedstat), where /proc/PID/stat counts ticks"""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def flush_phase(R):
    """Safe to remove: what `medialist unmount` reports for its flush
    (syncfs) of a known amount of dirty data, and what the dirty-data poll
    costs mediad while a medium stays mounted read-write, on each source.
    A mediad (kernel source) and an automount of its own."""
    Fl = R["flush"]
    n = reps("flush")
    mu = Mediad("flush", "kernel")
    with open(mu.conf) as f:  # only our own loop devices: others' tests run beside
        conf = f.read().replace("include_loop = yes", f"include_loop = {TMP}")
    # what medialist unmount's own flush takes: mediad must not flush the
    # medium first when the writer pauses (flush_idle)
    conf += "flush_idle = 0\n"
    with open(mu.conf, "w") as f:
        f.write(conf)
    mu.start()
    entry = out(os.path.join(BUILD, "mediad"), "-c", mu.conf,
                "--autofs-entry=" + os.path.join(BUILD, "auto.media")).strip()
    master = os.path.join(mu.dir, "auto.master")
    with open(master, "w") as f:
        f.write(entry + "\n")
    auto = os.path.join(mu.media, "auto")
    os.makedirs(auto, exist_ok=True)
    am = spawn(["setsid", "/usr/sbin/automount", "-f", "-C", master],
               env=dict(os.environ, MEDIAD_CONFIG=mu.conf),
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_mounts(lambda ls: any(l.split()[4] == auto and " autofs " in l for l in ls)):
        raise RuntimeError("flush: automount did not mount its autofs directory")
    img = os.path.join(TMP, "BENCH_FLUSH.img")
    with open(img, "wb") as f:
        f.truncate(300 << 20)
    sh("mkfs.ext4", "-q", "-F", "-L", "BENCH_FLUSH", img)
    dev = attach(img)
    if not wait_dir([mu.list], lambda: "BENCH_FLUSH" in mu.names("BENCH_FLUSH")):
        raise RuntimeError("flush medium not published")
    ml = [os.path.join(BUILD, "medialist"), "-c", mu.conf]
    medium = os.path.join(mu.list, "BENCH_FLUSH")
    chunk = os.urandom(1 << 20)
    log(f"flush: {n} unmounts a size, after writing 8 and 64 MiB through the list")
    for mib in (8, 64):
        secs, walls, nbytes = [], [], []
        for i in range(n):
            # a new name each time: ext4 writes a file truncated and written
            # again at its close (auto_da_alloc), which would leave the
            # flush nothing to do
            for old in os.listdir(medium):  # following the link mounts it
                if old.startswith("data"):
                    os.unlink(os.path.join(medium, old))
            with open(os.path.join(medium, f"data{mib}.{i}"), "wb") as f:
                for _ in range(mib):
                    f.write(chunk)
            t0 = time.perf_counter()
            r = json.loads(out(*ml, "-J", "unmount", "BENCH_FLUSH"))
            walls.append((time.perf_counter() - t0) * 1e6)
            if not r["ok"] or r["flush_seconds"] is None:
                raise RuntimeError(f"unmount reported no flush: {r}")
            secs.append(r["flush_seconds"] * 1e6)
            nbytes.append(r["flush_bytes"])
        Fl[f"{mib}MiB"] = dict(stats(secs), bytes_median=sorted(nbytes)[(n - 1) // 2],
                               unmount_wall=stats(walls))
        m = Fl[f"{mib}MiB"]
        m["MiB_per_s"] = round(m["bytes_median"] / (1 << 20) / (m["median_ms"] / 1000), 1) \
            if m["median_ms"] else None
    # the poll's cost: mediad's CPU over a few seconds with the medium
    # mounted read-write and idle, beside the same time with nothing mounted
    secs = reps("poll_s")
    dbg = os.path.join(TMP, "debug")
    os.makedirs(dbg)
    sh("mount", "-t", "debugfs", "none", dbg)  # this namespace's own
    P = Fl["poll"] = {}
    for src, ddir in (("meminfo", "none"), ("bdi", dbg), ("meminfo", "none"), ("bdi", dbg)):
        with open(mu.conf) as f:
            conf = [l for l in f if not l.startswith("debugfs_dir")]
        with open(mu.conf, "w") as f:
            f.writelines(conf + [f"debugfs_dir = {ddir}\n"])
        os.kill(mu.p.pid, signal.SIGHUP)
        for _ in range(20):  # the reload and its rescan of every block device
            c0 = cpu_ns(mu.p.pid)
            time.sleep(0.5)
            if cpu_ns(mu.p.pid) - c0 < 1000000:
                break
        idle0 = cpu_ns(mu.p.pid)
        time.sleep(secs)
        idle = cpu_ns(mu.p.pid) - idle0
        fd = os.open(medium, os.O_RDONLY | os.O_DIRECTORY)  # held: stays mounted
        rec = os.path.join(mu.state, "media", "BENCH_FLUSH")
        wait_dir([os.path.join(mu.state, "media")],
                 lambda: f"dirty_source={src}\n" in open(rec).read(), timeout=10)
        c0 = cpu_ns(mu.p.pid)
        time.sleep(secs)
        busy = cpu_ns(mu.p.pid) - c0
        os.close(fd)
        p = P.setdefault(src, {"busy_ns": 0, "idle_ns": 0, "secs": 0})
        p["busy_ns"] += busy
        p["idle_ns"] += idle
        p["secs"] += secs
        p["cpu_us_per_s_mounted"] = round(p["busy_ns"] / 1000 / p["secs"], 1)
        p["cpu_us_per_s_unmounted"] = round(p["idle_ns"] / 1000 / p["secs"], 1)
        p["us_per_poll"] = round((p["busy_ns"] - p["idle_ns"]) / 1000 / (p["secs"] / 0.25), 1)
        out(*ml, "unmount", "BENCH_FLUSH")
    sh("umount", dbg)
    detach(dev)
    stop(am)
    mu.stop()


def coldplug_phase(R, ud):
    C = R["coldplug"]
    tmpl = os.path.join(TMP, "cold.img")
    mkimg(tmpl, "ext4", "COLD")
    m = {"udev": Mediad("cold_udev", "udev"), "kernel": Mediad("cold_kernel", "kernel")}
    for size in reps("cold_sizes"):
        log(f"coldplug: {size} devices")
        devs = []
        labels = [f"BENCHC{i:03d}" for i in range(size)]
        for lab in labels:
            img = os.path.join(TMP, lab + ".img")
            shutil.copyfile(tmpl, img)
            sh("tune2fs", "-L", lab, "-U", "random", img, stdout=subprocess.DEVNULL)
            devs.append(attach(img))
        sh("udevadm", "settle", "--timeout=120")
        # another engineer's test may detach a device it once had, which
        # we hold now: count only what still backs our image
        keep = [i for i, d in enumerate(devs) if backs(d, os.path.join(TMP, labels[i] + ".img"))]
        if len(keep) != size:
            log(f"coldplug: {size - len(keep)} of our devices detached by someone else")
            C.setdefault("devices_lost_to_others", 0)
            C["devices_lost_to_others"] += size - len(keep)
        labels = [labels[i] for i in keep]
        devs = [devs[i] for i in keep]
        # udisksd must have seen them all before the clock runs (and, at
        # 64, this is its footprint with 64 media); it then stops
        resume(ud)
        sh(helper("plugtime"), "udisks-wait", *(f"{d}={lab}" for d, lab in zip(devs, labels)))
        if size == 64:
            R["footprint"]["udisksd_rss_64_media"] = memory(ud.pid)
        pause(ud)
        res = {"udev": [], "kernel": []}
        for r in range(reps("cold_reps")):
            for src in (["udev", "kernel"] if r % 2 == 0 else ["kernel", "udev"]):
                md = m[src]
                t = md.start()
                got = md.names("BENCHC")
                if not set(labels) <= set(got):
                    raise RuntimeError(f"coldplug {src} {size}: {len(got)} of {size} published")
                res[src].append(t * 1e6)
                if size == 64 and r == 0:
                    R["footprint"][f"mediad_{src}_rss_64_media"] = dict(
                        memory(md.p.pid), media_published=md.media_count())
                md.stop()
        C[str(size)] = {src: stats(res[src]) for src in res}
        for d in devs:
            detach(d)
        for d in [d for d in LOOPS if os.path.basename(d).startswith("loop") and
                  d not in devs and "/BENCHC" in backing(d)]:
            detach(d)
        for lab in [f"BENCHC{i:03d}" for i in range(size)]:
            os.unlink(os.path.join(TMP, lab + ".img"))
    sizes = [str(s) for s in reps("cold_sizes")]
    a, b = sizes[0], sizes[-1]
    for src in ("udev", "kernel"):
        med = [C[z][src]["median_ms"] for z in sizes]
        # the cost of one more device, between the sizes: linear when the
        # slope does not grow (a fixed start-up cost only makes it shrink)
        slopes = [(med[i + 1] - med[i]) / (int(sizes[i + 1]) - int(sizes[i]))
                  for i in range(len(sizes) - 1)]
        C[f"{src}_ms_per_extra_device"] = [round(x, 3) for x in slopes]
        C[f"{src}_per_device_ms_{b}"] = round(med[-1] / int(b), 3)
        if len(slopes) < 2:
            C[f"{src}_growth"] = f"{slopes[0]:.2f} ms per extra device ({a} to {b})"
        else:
            grow = slopes[-1] / slopes[0] if slopes[0] > 0 else 1.0
            C[f"{src}_growth"] = (f"{'linear or better' if grow <= 1.3 else 'worse than linear'}"
                                  f": {' then '.join(f'{x:.2f}' for x in slopes)} ms per extra "
                                  f"device ({' to '.join(sizes)})")


STORM_LOOKUPS = r"""
n=0
trap 'echo $n > "$OUT"; exit 0' TERM
while :; do
	for k in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
		"$MAP" "STORM$k" >/dev/null 2>&1
		n=$((n + 1))
	done
done
"""


def storm_phase(R, ud):
    S = R["storm"]
    imgs = []
    tmpl = os.path.join(TMP, "storm.img")
    mkimg(tmpl, "ext4", "STORM")
    for i in range(16):
        img = os.path.join(TMP, f"storm{i:02d}.img")
        shutil.copyfile(tmpl, img)
        sh("tune2fs", "-L", f"STORM{i:02d}", "-U", "random", img, stdout=subprocess.DEVNULL)
        imgs.append(f"{img}=STORM{i:02d}")
    n = reps("storm")
    for src in ("udev", "kernel"):
        md = Mediad("storm_" + src, src)
        if src == "udev":
            resume(ud)
        else:
            pause(ud)  # it would only compete for the CPU
        md.start()
        before = memory(md.p.pid)
        cpu0 = cpu_s(md.p.pid)
        cnt = os.path.join(TMP, "lookups." + src)
        env = dict(os.environ, MEDIAD_CONFIG=md.conf, OUT=cnt,
                   MAP=os.path.join(BUILD, "auto.media"))
        lk = spawn(["sh", "-c", STORM_LOOKUPS], env=env)
        log(f"storm: {n} attach/detach cycles on the {src} source, lookups beside")
        t0 = time.monotonic()
        r = subprocess.run([helper("storm"), str(n), md.list, os.path.join(md.state, "media"),
                            *imgs], capture_output=True, text=True)
        dt = time.monotonic() - t0
        stop(lk)
        lookups = int(open(cnt).read())
        if r.returncode != 0:
            raise RuntimeError(f"storm on {src}: {r.stderr.strip()} {r.stdout.strip()}")
        v = dict(x.split("=") for x in r.stdout.split())
        res = {"cycles": n,
               "attach_detach_ops_s": round(int(v["ops_us"]) / 1e6, 3),
               "until_state_converged_s": round(int(v["converge_us"]) / 1e6, 3),
               "events_per_s": round(2 * n / (int(v["converge_us"]) / 1e6)),
               "final_state_equals_reality": v["final_ok"] == "1" and v["cleared_ok"] == "1",
               "lookups_during": lookups, "lookups_per_s": round(lookups / dt),
               "mediad_cpu_s": round(cpu_s(md.p.pid) - cpu0, 2),
               "mediad_rss_before_kib": before["rss_kib"]}
        res["mediad_rss_after_kib"] = memory(md.p.pid)["rss_kib"]
        res["mediad_rss_growth_kib"] = res["mediad_rss_after_kib"] - before["rss_kib"]
        if src == "udev":
            # udisksd hears the same events; a sentinel medium, seen by it
            # after everything before it (events are ordered), says when
            # it has caught up
            sent = os.path.join(TMP, "sentinel.img")
            mkimg(sent, "ext4", "SENTINEL")
            d = attach(sent)
            ok = subprocess.run([helper("plugtime"), "udisks-wait", f"{d}=SENTINEL"]).returncode == 0
            res["udisksd_caught_up_s"] = (round(time.monotonic() - t0, 3) if ok else
                                          "not within 20 s of the storm's end")
            detach(d)
            R["footprint"]["udisksd_rss_after_storm"] = memory(ud.pid)
        R["footprint"][f"mediad_{src}_after_storm"] = dict(memory(md.p.pid),
                                                        media_published=md.media_count())
        md.stop()
        S[src] = res


def footprint(R):
    F = R["footprint"]
    bins = {"mediad": os.path.join(BUILD, "mediad"),
            "auto.media": os.path.join(BUILD, "auto.media"),
            "medialist": os.path.join(BUILD, "medialist"),
            "udisksd": UDISKSD, "udisksctl": "/usr/bin/udisksctl"}
    sizes, libs = {}, {}
    for name, path in bins.items():
        if not os.path.exists(path):
            continue
        s = os.path.join(TMP, "stripped")
        sh("strip", "-o", s, path)
        sizes[name] = os.path.getsize(s)
        d = out("readelf", "-d", path)
        libs[name] = [l.split("[")[1].rstrip("]") for l in d.splitlines() if "(NEEDED)" in l]
        # everything the dynamic loader maps, transitively
        libs[name + "_closure"] = len([l for l in out("ldd", path).splitlines() if "=>" in l])
    F["stripped_bytes"] = sizes
    F["shared_libraries"] = libs


def table(R):
    rows = []

    def row(what, a, ratio_=None, note=""):
        if not a or not a.get("n"):
            return
        rows.append(f"  {what:<44} {a['median_ms']:>9.3f} {a['p95_ms']:>9.3f} {a['n']:>5}"
                    f"  {'' if ratio_ is None else f'{ratio_:.2f}x':>7} {note}")
    hdr = f"  {'':<44} {'median ms':>9} {'p95 ms':>9} {'n':>5}  {'ratio':>7}"
    P = R["plug_to_visible"]
    lines = ["", "mediad bench" + (" (smoke: few repetitions)" if SMOKE else ""), "",
             "1. plug to visible (attach returned -> name visible)", hdr]
    rows.clear()
    row("mediad, udev source (/media/list link)", P["mediad_udev"],
        P["ratio_mediad_udev_to_udisks2"], "vs udisks2")
    row("mediad, kernel source (/media/list link)", P["mediad_kernel"],
        P["ratio_mediad_kernel_to_udisks2"], "vs udisks2")
    row("udisks2 (D-Bus IdLabel)", P["udisks2"])
    lines += rows
    F = R["first_access"]
    for fs in ("ext4", "xfs"):
        lines += ["", f"2. first access, {fs} (ratio: against mount(8))", hdr]
        rows.clear()
        for s, what in (("automount_auto_media", "automount + auto.media (stat a file)"),
                        ("automount_shell_map", "automount + shell map (stat a file)"),
                        ("mount8", "mount(8)"),
                        ("mount8_mount_mediad", "mount(8) -t mediad.TYPE (mount.mediad)"),
                        ("udisksctl_mount", "udisksctl mount")):
            row(what, F[fs][s], F[fs][s]["ratio_to_mount8"])
        lines += rows
    lines.append(f"  mount.mediad's e2fsck -p, estimated (ext4 minus xfs, above mount(8)): "
                 f"{F['ext4_fsck_estimate_ms']} ms; the helper alone (xfs): "
                 f"{F['mount_mediad_overhead_xfs_ms']} ms; a medium looked up again after "
                 f"{F['min_key_reuse_s']} s at the soonest")
    for a in F.get("anomalies", []):
        lines.append(f"  FINDING: {a['medium']} ({a['device']}) {a['what']}")
    L = R["lookup"]
    lines += ["", "3. lookup cost (the map alone, fork+exec+wait)", hdr]
    rows.clear()
    row("auto.media KEY", L["auto_media"], L["ratio_auto_media_to_shell_map"], "vs shell map")
    row("shell map KEY", L["shell_map"])
    row("/bin/true (fork/exec floor)", L["fork_exec_floor_true"])
    lines += rows
    Fl = R["flush"]
    lines += ["", "3b. flush before unmount (medialist unmount's syncfs, ext4 on a loop device)",
              hdr]
    rows.clear()
    for mib in (8, 64):
        m = Fl.get(f"{mib}MiB")
        if m:
            row(f"{mib} MiB dirty: syncfs", m, None, f"{m['bytes_median']} bytes written, "
                f"{m['MiB_per_s']} MiB/s")
            row(f"{mib} MiB dirty: whole medialist unmount", m["unmount_wall"])
    lines += rows
    for src, p in Fl.get("poll", {}).items():
        lines.append(f"  dirty-data poll, {src} source: mediad {p['cpu_us_per_s_mounted']} us CPU/s "
                     f"with a medium mounted rw, {p['cpu_us_per_s_unmounted']} us/s with none "
                     f"({p['us_per_poll']} us a poll)")
    C = R["coldplug"]
    lines += ["", "4. coldplug (mediad exec -> all published)", hdr]
    rows.clear()
    for size in reps("cold_sizes"):
        for src in ("udev", "kernel"):
            row(f"{size} devices, {src} source", C[str(size)][src])
    lines += rows
    for src in ("udev", "kernel"):
        lines.append(f"  {src}: {C[src + '_growth']}")
    lines += ["", "5. storm (attach/detach cycles, lookups beside)"]
    for src, s in R["storm"].items():
        lines.append(f"  {src}: {s['cycles']} cycles in {s['attach_detach_ops_s']} s, state "
                     f"converged after {s['until_state_converged_s']} s = {s['events_per_s']} "
                     f"attach+detach/s; final state equals reality: "
                     f"{'yes' if s['final_state_equals_reality'] else 'NO'}; "
                     f"{s['lookups_per_s']} lookups/s beside; mediad CPU {s['mediad_cpu_s']} s"
                     + (f"; udisksd caught up after {s['udisksd_caught_up_s']} s"
                        if "udisksd_caught_up_s" in s else ""))
    Fp = R["footprint"]
    lines += ["", "6. footprint (RSS / PSS, KiB)"]
    for k, v in Fp.items():
        if isinstance(v, dict) and "rss_kib" in v:
            extra = f" ({v['media_published']} media published)" if "media_published" in v else ""
            lines.append(f"  {k:<44} {v['rss_kib']:>6} / {v['pss_kib']:<6}{extra}")
    for k, v in R["storm"].items():
        lines.append(f"  mediad_{k} RSS growth over the storm: {v['mediad_rss_growth_kib']} KiB")
    lines.append("  stripped bytes: " + ", ".join(f"{k} {v}" for k, v in
                                                  Fp["stripped_bytes"].items()))
    for k, v in Fp["shared_libraries"].items():
        if not k.endswith("_closure"):
            lines.append(f"  {k} links: {' '.join(v)} ({Fp['shared_libraries'][k + '_closure']}"
                         " libraries loaded in all)")
    lines += ["", f"machine: {R['machine']['cpus']} CPUs, {R['machine']['model']}, kernel "
              f"{R['machine']['kernel']}; {R['elapsed_s']} s", ""]
    return "\n".join(lines)


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                model = l.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "model": model, "kernel": platform.release(),
            "os": open("/etc/debian_version").read().strip()}


def main():
    global TMP, STARTED_UDEVD
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (loop devices, mounts, udisksd)")
    if not os.environ.get("MEDIAD_IN_NS"):
        os.environ["MEDIAD_IN_NS"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable, os.path.realpath(__file__)] + sys.argv[1:])
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    t_start = time.monotonic()
    R = {"smoke": SMOKE, "machine": machine(), "plug_to_visible": {}, "first_access": {},
         "lookup": {}, "flush": {}, "coldplug": {}, "storm": {}, "footprint": {}}
    TMP = tempfile.mkdtemp(prefix="mediad-bench.")
    if FLUSH_ONLY:
        try:
            link_mount_helper()
            flush_phase(R)
            print(json.dumps(R["flush"], indent=2))
            return 0
        finally:
            cleanup()
    try:
        build_helpers()
        link_mount_helper()
        if subprocess.run(["udevadm", "control", "--ping", "-t", "2"],
                          stderr=subprocess.DEVNULL).returncode != 0:
            sh("/lib/systemd/systemd-udevd", "--daemon")
            STARTED_UDEVD = True
        R["machine"]["udevd_started_by_bench"] = STARTED_UDEVD
        start_bus()
        ud = start_udisksd()
        mu, mk = Mediad("udev", "udev"), Mediad("kernel", "kernel")
        mu.start()
        mk.start()
        Fp = R["footprint"]
        Fp["mediad_udev_rss_idle"] = dict(memory(mu.p.pid), media_published=mu.media_count())
        Fp["mediad_kernel_rss_idle"] = dict(memory(mk.p.pid), media_published=mk.media_count())
        Fp["udisksd_rss_idle"] = memory(ud.pid)
        plug_phase(R, mu, mk, ud)
        pause(mk.p)
        access_phase(R, mu, ud)
        mu.stop()
        mk.stop()
        flush_phase(R)
        coldplug_phase(R, ud)
        storm_phase(R, ud)
        resume(ud)
        footprint(R)
        R["elapsed_s"] = round(time.monotonic() - t_start, 1)
        os.makedirs(OUT, exist_ok=True)
        name = "results-smoke.json" if SMOKE else "results.json"
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(R, f, indent=2)
        print(table(R))
        print(f"bench: figures in {os.path.join(OUT, name)}")
        return 0
    except BaseException:
        R["failed"] = True
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "results-partial.json"), "w") as f:
            json.dump(R, f, indent=2)
        raise
    return 0


def run():
    try:
        return main()
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        log(f"failed: {e}")
        if isinstance(e, subprocess.CalledProcessError) and e.stderr:
            log(str(e.stderr).strip())
        for d in sorted(os.listdir(TMP)):
            f = os.path.join(TMP, d, "mediad.log")
            if os.path.exists(f):
                log(f"--- {d}/mediad.log (tail)")
                sys.stderr.writelines(open(f).readlines()[-15:])
        if os.environ.get("BENCH_DEBUG"):
            try:
                shutil.copytree(TMP, "/tmp/bench-debug", dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.img"))
            except shutil.Error:
                pass
        return 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(run())
