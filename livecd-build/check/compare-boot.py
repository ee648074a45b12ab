#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""compare-boot.py OURS.iso LIVEBUILD.iso: boot each ISO once, one at a
time, under the same QEMU (TCG, BIOS, CD, 1 GiB) to the live user's
autologin on the serial port, and print for each: seconds to the prompt,
QEMU's CPU seconds, MiB of RAM used once the boot is done (MemTotal -
MemAvailable) and the number of packages. Used by compare-livebuild.sh;
never touches a host device."""

import os
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
            pkgs = g.must("dpkg-query -W -f '.\\n' | wc -l").split()[-1]
        finally:
            g.kill()
    print("%s-login %.1f\n%s-cpu %.1f\n%s-ram %d\n%s-pkgs %s"
          % (name, login, name, cpu, name, used, name, pkgs), flush=True)


def main():
    try:
        measure("ours", sys.argv[1])
        measure("livebuild", sys.argv[2])
    except Fail as e:
        print("compare-boot: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
