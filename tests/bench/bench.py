#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: mediad's speed and footprint beside udevd, udisks2, mount(8)
# and a shell map, and issue 20's table with every goal. The driver only:
# the harness is harness.py, each phase a module of phases/, the tables
# report.py. Must never leave a process, mount or loop device behind, nor
# touch one it did not make.
"""make bench: mediad's speed and footprint beside its peers.

Runs as root in a private mount namespace, on loop devices it makes from
images it makes with mkfs; compared sides run in the same run, interleaved
(in blocks or round-robin), so a noisy machine affects both alike. Prints
the detailed tables and issue 20's table, and writes
build/bench/results.json. Every wait for a result is event-driven
(inotify, poll on /proc/self/mountinfo, netlink, D-Bus signals, a
daemon's log line); everything it makes is removed on exit, also on
failure and SIGINT.

  tests/bench/bench.py [--smoke]       (--smoke: few repetitions, < 2 min)
  tests/bench/bench.py --only PHASE,.. (plug access flush expiry coldplug
                                        storm footprint)
  tests/bench/bench.py --flush-only    (= --only flush)
  tests/bench/bench.py --stress        (make stress: STRESS_STORM_CYCLES
                                        cycles a source, default 10,000, RSS
                                        every 1,000; fails on growth)
"""
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import harness as H  # noqa: E402
import report  # noqa: E402
from phases import access, coldplug, expiry, flush, footprint, plug, storm  # noqa: E402

PHASES = ["plug", "access", "flush", "expiry", "coldplug", "storm", "footprint"]


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    # every udevd sends its processed events: more than one (other test
    # runs start their own) makes udevd's side of a plug race itself
    udevds = sum(1 for p in os.listdir("/proc") if p.isdigit() and
                 H._comm(p) == "systemd-udevd")
    return {"cpus": os.cpu_count(), "model": model, "kernel": platform.release(),
            "os": open("/etc/debian_version").read().strip(),
            "load": open("/proc/loadavg").read().split()[0], "udevd_processes": udevds}



def args():
    a = sys.argv[1:]
    H.SMOKE = "--smoke" in a
    only = PHASES
    if "--flush-only" in a:
        only = ["flush"]
    if "--only" in a:
        only = a[a.index("--only") + 1].split(",")
        bad = [p for p in only if p not in PHASES]
        if bad:
            sys.exit(f"bench: no phase {', '.join(bad)} (phases: {' '.join(PHASES)})")
    return only, "--stress" in a


def stress(R):
    """make stress: the storm at STRESS_STORM_CYCLES, both sources."""
    cycles = int(os.environ.get("STRESS_STORM_CYCLES", "10000"))
    sample = int(os.environ.get("STRESS_STORM_SAMPLE", "1000"))
    H.ensure_udevd()
    storm.run(R, None, cycles, sample)
    ok, lines = storm.verdict(R["storm"])
    for ln in lines:
        print("stress: " + ln)
    return 0 if ok else 1


def main():
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (loop devices, mounts, udisksd)")
    if not os.environ.get("MEDIAD_IN_NS"):
        os.environ["MEDIAD_IN_NS"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable, os.path.realpath(__file__)] + sys.argv[1:])
    only, is_stress = args()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, H.on_signal)
    t_start = time.monotonic()
    R = {"smoke": H.SMOKE, "machine": machine(), "plug_to_visible": {}, "first_access": {},
         "lookup": {}, "flush": {}, "expiry": {}, "coldplug": {}, "storm": {},
         "footprint": {}}
    H.SCRATCH = H.mediatest.Scratch(prefix="mediad-bench.")
    name = "results-stress.json" if is_stress else \
        "results-smoke.json" if H.SMOKE else "results.json"
    try:
        H.build_helpers()
        H.link_mount_helper()
        if is_stress:
            st = stress(R)
        else:
            st = phases(R, only)
        R["elapsed_s"] = round(time.monotonic() - t_start, 1)
        os.makedirs(H.OUT, exist_ok=True)
        with open(os.path.join(H.OUT, name), "w") as f:
            json.dump(R, f, indent=2)
        if not is_stress:
            print(report.details(R, H.SMOKE))
            print(report.issue_table(R))
        print(f"bench: figures in {os.path.join(H.OUT, name)}")
        return st
    except BaseException:
        R["failed"] = True
        os.makedirs(H.OUT, exist_ok=True)
        with open(os.path.join(H.OUT, "results-partial.json"), "w") as f:
            json.dump(R, f, indent=2)
        raise


def phases(R, only):
    Fp = R["footprint"]
    R["machine"]["udevd_started_by_bench"] = H.ensure_udevd()
    ud = None
    if {"plug", "access", "coldplug", "storm"} & set(only):
        H.start_bus()
        ud = H.start_udisksd()
        Fp["udisksd_rss_idle"] = H.memory(ud.pid)
    floor = footprint.floor()
    for src, m in floor.items():
        Fp[f"floor_{src}"] = m
    if {"plug", "access"} & set(only):
        mu, mk = H.Mediad("udev", "udev"), H.Mediad("kernel", "kernel")
        mu.start()
        mk.start()
        Fp["mediad_udev_rss_idle"] = dict(H.memory(mu.p.pid), media_published=mu.media_count())
        Fp["mediad_kernel_rss_idle"] = dict(H.memory(mk.p.pid), media_published=mk.media_count())
        if "plug" in only:
            plug.run(R, mu, mk, ud)
        if "access" in only:
            H.pause(mk.p)
            access.run(R, mu, ud)
        mu.stop()
        mk.stop()
    if "flush" in only:
        flush.run(R)
    if "expiry" in only:
        expiry.run(R)
    if "coldplug" in only:
        coldplug.run(R, ud, {s: m["rss_kib"] for s, m in floor.items()})
    if "storm" in only:
        storm.run(R, ud, H.reps("storm"), H.reps("storm_sample"))
    H.resume(ud)
    if "footprint" in only:
        footprint.run(R)
    return 0


def run():
    try:
        return main()
    except KeyboardInterrupt:
        H.log("interrupted; cleaning up")
        return 130
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        H.log(f"failed: {e}")
        if isinstance(e, subprocess.CalledProcessError) and e.stderr:
            H.log(str(e.stderr).strip())
        if H.SCRATCH:
            for d in sorted(os.listdir(H.tmp())):
                f = os.path.join(H.tmp(), d, "mediad.log")
                if os.path.exists(f):
                    H.log(f"--- {d}/mediad.log (tail)")
                    sys.stderr.writelines(open(f).readlines()[-15:])
            if os.environ.get("BENCH_DEBUG"):
                shutil.copytree(H.tmp(), "/tmp/bench-debug", dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.img"))
        return 1
    finally:
        H.cleanup()


if __name__ == "__main__":
    sys.exit(run())
