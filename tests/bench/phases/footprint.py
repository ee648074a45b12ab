# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "footprint": the floor of memory (tests/bench/floor.c: what mediad
# links, its monitors open, nothing else) measured in this run, so that
# mediad's RSS can be set beside it; stripped sizes and linked libraries
# of each program. Reads binaries and /proc only.
"""footprint"""

import os
import subprocess

from harness import BUILD, UDISKSD, helper, memory, out, sh, spawn, stop, tmp


def floor():
    """RSS and PSS of the floor process, per monitor kind."""
    res = {}
    for src in ("udev", "kernel"):
        p = spawn([helper("floor"), src], stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("floor: did not start")
        res[src] = memory(p.pid)
        stop(p)
    return res


def run(R):
    F = R["footprint"]
    bins = {"mediad": os.path.join(BUILD, "mediad"),
            "auto.media": os.path.join(BUILD, "auto.media"),
            "mount.mediad": os.path.join(BUILD, "mount.mediad"),
            "medialist": os.path.join(BUILD, "medialist"),
            "udisksd": UDISKSD, "udisksctl": "/usr/bin/udisksctl"}
    sizes, libs = {}, {}
    for name, path in bins.items():
        if not os.path.exists(path):
            continue
        s = os.path.join(tmp(), "stripped")
        sh("strip", "-o", s, path)
        sizes[name] = os.path.getsize(s)
        d = out("readelf", "-d", path)
        libs[name] = [ln.split("[")[1].rstrip("]") for ln in d.splitlines() if "(NEEDED)" in ln]
        # everything the dynamic loader maps, transitively
        libs[name + "_closure"] = len([ln for ln in out("ldd", path).splitlines() if "=>" in ln])
    F["stripped_bytes"] = sizes
    F["shared_libraries"] = libs
