# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "expiry": a medium read through /media/list and left alone, with
# expire_timeout = 3 and mediad's idle flush on (flush_idle = 1): the time
# from the read to automount's unmount, and mediad's flushes meanwhile;
# then a write left alone: the time from mediad's flush to the unmount.
# (tests/integration/expiry.t asserts the same.) Its own mediad and
# automount, one medium of its own.
"""idle expiry"""

import os
import time

from harness import (BUILD, Mediad, attach, detach, log, mkimg, out, reps, start_automount,
                     stats, stop, tmp, wait_dir, wait_mounts)

EXPIRE = 3


def _flushes(md, name):
    with open(md.log) as f:
        return [ln for ln in f if f"{name} (" in ln and "): flushed " in ln]


def run(R):
    E = R["expiry"]
    n = max(1, reps("access") // 4)
    md = Mediad("expiry", "kernel", f"expire_timeout = {EXPIRE}\nflush_idle = 1\n")
    md.start()
    entry = out(os.path.join(BUILD, "mediad"), "-c", md.conf,
                "--autofs-entry=" + os.path.join(BUILD, "auto.media")).strip()
    master = os.path.join(md.dir, "auto.master")
    with open(master, "w") as f:
        f.write(entry + "\n")
    auto = os.path.join(md.media, "auto")
    os.makedirs(auto, exist_ok=True)
    am = start_automount(master, dict(os.environ, MEDIAD_CONFIG=md.conf), "automount.expiry.log")
    if not wait_mounts(lambda ls: any(ln.split()[4] == auto and " autofs " in ln for ln in ls)):
        raise RuntimeError("expiry: automount did not mount its autofs directory")
    img = os.path.join(tmp(), "BENCH_EXP.img")
    mkimg(img, "ext4", "BENCH_EXP")
    dev = attach(img)
    if not wait_dir([md.list], lambda: "BENCH_EXP" in md.names("BENCH_EXP")):
        raise RuntimeError("expiry medium not published")
    mp = os.path.join(auto, "BENCH_EXP")
    gone = lambda ls: not any(ln.split()[4] == mp for ln in ls)  # noqa: E731
    log(f"expiry: {n} reads and {n} writes left alone (expire_timeout {EXPIRE} s)")
    reads, writes, after_flush, zero = [], [], [], 0
    f0 = len(_flushes(md, "BENCH_EXP"))
    for i in range(n):
        open(os.path.join(md.list, "BENCH_EXP", "hello"), "rb").read()
        t0 = time.monotonic()
        if not wait_mounts(gone, timeout=30):
            raise RuntimeError("expiry: a medium only read stayed mounted 30 s")
        reads.append((time.monotonic() - t0) * 1e6)
    f_read = len(_flushes(md, "BENCH_EXP")) - f0
    for i in range(n):
        f1 = len(_flushes(md, "BENCH_EXP"))
        # the same file each time (truncated): the medium is 16 MiB
        with open(os.path.join(md.list, "BENCH_EXP", "data"), "wb") as f:
            f.write(os.urandom(4 << 20))
        t0 = time.monotonic()
        t_flush = None
        while not wait_mounts(gone, timeout=0.05):
            if t_flush is None and len(_flushes(md, "BENCH_EXP")) > f1:
                t_flush = time.monotonic()
            if time.monotonic() - t0 > 30:
                raise RuntimeError("expiry: a medium written stayed mounted 30 s")
        t1 = time.monotonic()
        writes.append((t1 - t0) * 1e6)
        new = _flushes(md, "BENCH_EXP")[f1:]
        zero += sum("flushed 0B " in ln for ln in new)
        if t_flush is not None:
            after_flush.append((t1 - t_flush) * 1e6)
        E.setdefault("flushes_per_write", []).append(len(new))
    E.update({"expire_timeout_s": EXPIRE, "read_to_unmount": stats(reads),
              "flushes_after_reads": f_read, "write_to_unmount": stats(writes),
              "flush_to_unmount": stats(after_flush), "flushes_of_0_bytes": zero})
    detach(dev)
    stop(am)
    md.stop()
