# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "storm": 8 labelled sticks swapped in 4 slots as fast as the
# machine goes (tests/bench/storm.c) while a shell loop runs lookups, on
# each source. The storm runs in rounds of storm_sample cycles; after each
# round the state must equal reality (no lost or phantom entry) and
# mediad's RSS is sampled once the burst is over (1.5 s after its last
# event): its RSS idle before, at the peak (every 10 ms) and after, and its
# growth per 1,000 cycles after the first round (warm-up).
# `bench.py --stress` is the same at 10,000 cycles and fails on growth.
"""attach/detach storm and memory"""

import os
import subprocess
import threading
import time

from harness import (BUILD, Mediad, attach, detach, helper, label_copy, log, memory, mkimg,
                     pause, resume, spawn, status_kib, stop, tmp, cpu_s)

STORM_LOOKUPS = r"""
n=0
trap 'echo $n > "$OUT"; exit 0' TERM
while :; do
	for k in 0 1 2 3 4 5 6 7; do
		"$MAP" "STORM$k" >/dev/null 2>&1
		n=$((n + 1))
	done
done
"""
# the goals of issue 20
GROWTH_LIMIT_KIB = 64      # over 10,000 cycles after the warm-up round
RETURN_LIMIT = 0.10        # RSS after the storm within 10% of idle
QUIET_S = 1.5              # daemon/memtrim.h's MEMTRIM_QUIET_SECS, and some


def images():
    tmpl = os.path.join(tmp(), "storm.img")
    if not os.path.exists(tmpl):
        mkimg(tmpl, "ext4", "STORM")
    imgs = []
    for i in range(8):
        img = os.path.join(tmp(), f"storm{i}.img")
        if not os.path.exists(img):
            label_copy(tmpl, img, f"STORM{i}")
        imgs.append(f"{img}=STORM{i}")
    return imgs


def storm_source(src, cycles, sample, ud=None):
    """One source's storm; returns its figures."""
    imgs = images()
    md = Mediad("storm_" + src, src)
    md.start()
    pid = md.p.pid
    time.sleep(QUIET_S)  # after coldplug's own burst
    before = memory(pid)
    # the peak: VmHWM is only brought up to date at some unmaps, so a
    # sampler reads VmRSS every 10 ms while the storm runs
    peak = [before["rss_kib"]]
    running = threading.Event()
    running.set()

    def sampler():
        while running.is_set():
            peak[0] = max(peak[0], status_kib(pid, "VmRSS"))
            time.sleep(0.01)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    cpu0 = cpu_s(pid)
    cnt = os.path.join(tmp(), "lookups." + src)
    env = dict(os.environ, MEDIAD_CONFIG=md.conf, OUT=cnt, MAP=os.path.join(BUILD, "auto.media"))
    lk = spawn(["sh", "-c", STORM_LOOKUPS], env=env)
    log(f"storm: {cycles} attach/detach cycles on the {src} source, RSS every {sample}")
    t0 = time.monotonic()
    samples, ops_us, conv_us, ok = [], 0, 0, True
    done = 0
    while done < cycles:
        k = min(sample, cycles - done)
        r = subprocess.run([helper("storm"), str(k), md.list, os.path.join(md.state, "media"),
                            *imgs], capture_output=True, text=True)
        if r.returncode != 0:
            stop(lk)
            raise RuntimeError(f"storm on {src}: {r.stderr.strip()} {r.stdout.strip()}")
        v = dict(x.split("=") for x in r.stdout.split())
        ops_us += int(v["ops_us"])
        conv_us += int(v["converge_us"])
        ok = ok and v["final_ok"] == "1" and v["cleared_ok"] == "1"
        done += k
        # sampled once the burst is over: mediad hands what the burst
        # freed back after MEMTRIM_QUIET_SECS (daemon/memtrim.h)
        time.sleep(QUIET_S)
        samples.append((done, status_kib(pid, "VmRSS")))
    dt = time.monotonic() - t0
    running.clear()
    th.join()
    stop(lk)
    lookups = int(open(cnt).read())
    after = memory(pid)
    res = {"cycles": cycles, "sample_every": sample,
           "attach_detach_ops_s": round(ops_us / 1e6, 3),
           "until_state_converged_s": round(conv_us / 1e6, 3),
           "events_per_s": round(2 * cycles / (conv_us / 1e6)),
           "final_state_equals_reality": ok,
           "lookups_during": lookups, "lookups_per_s": round(lookups / dt),
           "mediad_cpu_s": round(cpu_s(pid) - cpu0, 2),
           "rss_idle_kib": before["rss_kib"],
           "rss_peak_kib": max(peak[0], status_kib(pid, "VmHWM")),
           "rss_after_kib": after["rss_kib"],
           "rss_samples_kib": samples}
    res["rss_after_to_idle"] = round(after["rss_kib"] / before["rss_kib"], 3)
    # (growth is told over rounds of 1,000 cycles at least: over the
    # smoke run's 50 it is a page or two either way)
    if len(samples) > 1 and sample >= 1000:
        (c0, r0), (c1, r1) = samples[0], samples[-1]
        res["growth_after_warmup_kib"] = r1 - r0
        res["growth_kib_per_1000_cycles"] = round((r1 - r0) * 1000 / (c1 - c0), 1)
    if ud is not None:
        # udisksd hears the same events; a sentinel medium, seen by it
        # after everything before it (events are ordered), says when it
        # has caught up
        sent = os.path.join(tmp(), "sentinel.img")
        mkimg(sent, "ext4", "SENTINEL")
        d = attach(sent)
        ok = subprocess.run([helper("plugtime"), "udisks-wait", f"{d}=SENTINEL"]).returncode == 0
        res["udisksd_caught_up_s"] = (round(time.monotonic() - t0, 3) if ok else
                                      "not within 20 s of the storm's end")
        detach(d)
        res["udisksd_rss_after"] = memory(ud.pid)
    res["media_published_after"] = md.media_count()
    md.stop()
    return res


def run(R, ud, cycles, sample):
    for src in ("udev", "kernel"):
        if src == "udev":
            resume(ud)
        else:
            pause(ud)  # it would only compete for the CPU
        R["storm"][src] = storm_source(src, cycles, sample, ud if src == "udev" else None)


def verdict(S):
    """(ok, lines) of the goals over a storm's figures (for --stress)."""
    lines, ok = [], True
    for src, s in S.items():
        g = s.get("growth_after_warmup_kib")
        back = s["rss_after_to_idle"] - 1
        good = g is not None and g <= GROWTH_LIMIT_KIB and back <= RETURN_LIMIT and \
            s["final_state_equals_reality"]
        ok = ok and good
        lines.append(f"{src}: {'ok' if good else 'FAILED'}: RSS {s['rss_idle_kib']} KiB idle, "
                     f"{s['rss_peak_kib']} at the peak, {s['rss_after_kib']} after "
                     f"({back:+.1%} of idle, at most +{RETURN_LIMIT:.0%}); growth after the "
                     f"warm-up round {g} KiB over {s['cycles'] - s['sample_every']} cycles "
                     f"(at most {GROWTH_LIMIT_KIB}); samples "
                     + " ".join(f"{c}:{r}" for c, r in s["rss_samples_kib"]))
    return ok, lines
