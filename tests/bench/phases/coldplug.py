# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "coldplug": 8, 64 and 256 of our media present before mediad
# starts, each source in turn; the time from exec to every medium
# published (its "coldplug:" log line), the cost per device and of each
# extra device between the sizes (linear: that cost does not grow), and
# mediad's footprint with 64 media beside the libraries' floor. Attaches
# and detaches only its own loop devices.
"""coldplug"""

import os

from harness import (Mediad, attach, backs, detach, helper, label_copy, log, memory, mkimg,
                     pause, reps, resume, sh, stats, tmp)

LIMIT_MS = 250  # the goal at 256 media (issue 20)


def run(R, ud, floor_rss):
    C = R["coldplug"]
    tmpl = os.path.join(tmp(), "cold.img")
    mkimg(tmpl, "ext4", "COLD")
    m = {"udev": Mediad("cold_udev", "udev"), "kernel": Mediad("cold_kernel", "kernel")}
    for size in reps("cold_sizes"):
        log(f"coldplug: {size} devices")
        labels = [f"BENCHC{i:03d}" for i in range(size)]
        devs = []
        for lab in labels:
            img = os.path.join(tmp(), lab + ".img")
            label_copy(tmpl, img, lab)
            devs.append(attach(img))
        sh("udevadm", "settle", "--timeout=120")
        # another engineer's test may detach a device it once had, which
        # we hold now: count only what still backs our image
        keep = [i for i, d in enumerate(devs)
                if backs(d, os.path.join(tmp(), labels[i] + ".img"))]
        if len(keep) != size:
            log(f"coldplug: {size - len(keep)} of our devices detached by someone else")
            C["devices_lost_to_others"] = C.get("devices_lost_to_others", 0) + size - len(keep)
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
                    mem = dict(memory(md.p.pid), media_published=md.media_count())
                    if floor_rss.get(src):
                        mem["ratio_to_floor"] = round(mem["rss_kib"] / floor_rss[src], 2)
                    R["footprint"][f"mediad_{src}_rss_64_media"] = mem
                md.stop()
        C[str(size)] = {src: stats(res[src]) for src in res}
        for d in devs:
            detach(d)
        for lab in labels:
            os.unlink(os.path.join(tmp(), lab + ".img"))
    sizes = [str(s) for s in reps("cold_sizes")]
    for src in ("udev", "kernel"):
        med = [C[z][src]["median_ms"] for z in sizes]
        # the cost of one more device, between the sizes: linear when it
        # does not grow (a fixed start-up cost only makes it shrink)
        slopes = [(med[i + 1] - med[i]) / (int(sizes[i + 1]) - int(sizes[i]))
                  for i in range(len(sizes) - 1)]
        C[f"{src}_ms_per_extra_device"] = [round(x, 3) for x in slopes]
        C[f"{src}_per_device_ms"] = {z: round(med[i] / int(z), 3) for i, z in enumerate(sizes)}
        grow = slopes[-1] / slopes[0] if len(slopes) > 1 and slopes[0] > 0 else 1.0
        C[f"{src}_growth"] = (f"{'linear or better' if grow <= 1.3 else 'worse than linear'}: "
                              f"{' then '.join(f'{x:.2f}' for x in slopes)} ms per extra device "
                              f"({' to '.join(sizes)})")
    C["goal_ms_at_256"] = LIMIT_MS
