#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""compare-boot.py [--boots N] OURS.iso LIVEBUILD.iso: boot each ISO N times
(default 3), alternating and one at a time, under the same QEMU (TCG, BIOS,
CD, 1 GiB, 2 vCPUs) to the live user's autologin on the serial port, and
print for each the medians of: seconds to the prompt, QEMU's CPU seconds to
the prompt, MiB of RAM used once the boot is done (MemTotal - MemAvailable),
and the number of packages; and each boot's seconds to the prompt. Used by
compare-livebuild.sh; never touches a host device."""

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import Fail, Guest  # noqa: E402


def measure(name, iso):
    with tempfile.TemporaryDirectory(prefix="mediad-compare.") as wd:
        g = Guest(name, "bios", ("cd", iso), wd, os.path.join(wd, "serial.log"))
        try:
            login = g.login(600)
            cpu = g.cpu_seconds()
            g.must("sudo systemctl is-system-running --wait >/dev/null; sleep 5", timeout=300)
            mem = dict(line.split(":") for line in g.must("cat /proc/meminfo").splitlines()
                       if ":" in line)
            kib = lambda k: int(mem[k].split()[0])  # noqa: E731
            used = (kib("MemTotal") - kib("MemAvailable")) // 1024
            pkgs = int(g.must("dpkg-query -W -f '.\\n' | wc -l").split()[-1])
        finally:
            g.kill()
    print("compare-boot: %s: %.1fs to login, %.1f CPU-s, %d MiB used"
          % (name, login, cpu, used), file=sys.stderr, flush=True)
    return {"login": login, "cpu": cpu, "ram": used, "pkgs": pkgs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boots", type=int, default=3)
    ap.add_argument("ours")
    ap.add_argument("livebuild")
    args = ap.parse_args()
    runs = {"ours": [], "livebuild": []}
    try:
        for _ in range(args.boots):
            runs["ours"].append(measure("ours", args.ours))
            runs["livebuild"].append(measure("livebuild", args.livebuild))
    except Fail as e:
        print("compare-boot: %s" % e, file=sys.stderr)
        return 1
    for name, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("login", "cpu", "ram", "pkgs")}
        print("%s-login %.1f\n%s-cpu %.1f\n%s-ram %d\n%s-pkgs %d\n%s-login-runs %s"
              % (name, med["login"], name, med["cpu"], name, med["ram"], name, med["pkgs"],
                 name, ",".join("%.1f" % r["login"] for r in rs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
