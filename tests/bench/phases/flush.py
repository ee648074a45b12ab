# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "flush": safe to remove. What `medialist unmount` reports for its
# flush (syncfs) of a known amount of dirty data, and what the dirty-data
# poll costs mediad while a medium stays mounted read-write, per source of
# the answer (the global counters, debugfs's per-device ones). A mediad
# (kernel source) and an automount of its own; debugfs is mounted in the
# bench's own namespace only.
"""flush before unmount, and the dirty poll's cost"""

import json
import os
import signal
import subprocess
import time

from harness import (BUILD, Mediad, attach, cpu_ns, detach, log, out, reps, sh, start_automount,
                     stats, stop, tmp, wait_dir, wait_mounts)


def run(R):
    Fl = R["flush"]
    n = reps("flush")
    # what medialist unmount's own flush takes: mediad must not flush the
    # medium first when the writer pauses (flush_idle)
    mu = Mediad("flush", "kernel", "flush_idle = 0\n")
    mu.start()
    entry = out(os.path.join(BUILD, "mediad"), "-c", mu.conf,
                "--autofs-entry=" + os.path.join(BUILD, "auto.media")).strip()
    master = os.path.join(mu.dir, "auto.master")
    with open(master, "w") as f:
        f.write(entry + "\n")
    auto = os.path.join(mu.media, "auto")
    os.makedirs(auto, exist_ok=True)
    am = start_automount(master, dict(os.environ, MEDIAD_CONFIG=mu.conf), "automount.flush.log")
    if not wait_mounts(lambda ls: any(ln.split()[4] == auto and " autofs " in ln for ln in ls)):
        raise RuntimeError("flush: automount did not mount its autofs directory")
    img = os.path.join(tmp(), "BENCH_FLUSH.img")
    with open(img, "wb") as f:
        f.truncate(300 << 20)
    sh("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0", "-L", "BENCH_FLUSH", img)
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
    dbg = os.path.join(tmp(), "debug")
    os.makedirs(dbg)
    sh("mount", "-t", "debugfs", "none", dbg)  # this namespace's own
    P = Fl["poll"] = {}
    for src, ddir in (("meminfo", "none"), ("bdi", dbg), ("meminfo", "none"), ("bdi", dbg)):
        mu.write_conf(f"flush_idle = 0\ndebugfs_dir = {ddir}\n")
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
    subprocess.run(["umount", dbg], check=True)
    detach(dev)
    stop(am)
    mu.stop()
