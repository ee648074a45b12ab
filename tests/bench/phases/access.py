# SPDX-License-Identifier: GPL-2.0-or-later
# Phase "access": first access through automount + auto.media (stat of a
# file under /media/list/NAME), beside automount + a shell map doing the
# same lookup, mount(8), mount(8) through mount.mediad, and udisksctl;
# ext4 and xfs, round-robin. Then each step of the automount path alone
# (the map, mount(8) above its helper, mount.mediad, mount(2)) and the
# processes on the path, so that each step's share is known; and the cost
# of a lookup. Mounts only our own media, on our own directories.
"""first access and its steps"""

import os
import subprocess
import time

from harness import (BUILD, attach, detach, helper, log, mkimg, out, pause, ratio, reps,
                     resume, sh, start_automount, stats, stop, tmp, wait_dir, wait_mounts)

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

SIDES = ["automount_auto_media", "automount_shell_map", "mount8", "mount8_mount_mediad",
         "udisksctl_mount"]


class Access:
    def __init__(self, R, mu, ud):
        self.R, self.mu, self.ud = R, mu, ud
        self.F = R["first_access"]
        self.anomalies = self.F["anomalies"] = []
        K = reps("access_keys")
        self.keys = {"ext4": [f"BENCH_E{i}" for i in range(K)],
                     "xfs": [f"BENCH_X{i}" for i in range(K)]}
        self.allkeys = self.keys["ext4"] + self.keys["xfs"]
        self.devs = {}
        self.env = dict(os.environ, MEDIAD_CONFIG=mu.conf)
        self.auto = os.path.join(mu.media, "auto")
        self.shauto = os.path.join(tmp(), "shauto")
        self.mnt = os.path.join(tmp(), "mnt")

    # ---- set-up ----
    def setup(self):
        mu = self.mu
        for fs, ks in self.keys.items():
            for k in ks:
                img = os.path.join(tmp(), k + ".img")
                mkimg(img, fs, k)
                self.devs[k] = attach(img)
        if not wait_dir([mu.list], lambda: set(mu.names("BENCH_")) >= set(self.allkeys)):
            raise RuntimeError("access media not published")
        sh(helper("plugtime"), "udisks-wait", *(f"{self.devs[k]}={k}" for k in self.allkeys))
        pause(self.ud)
        self.shmap = os.path.join(tmp(), "auto.media.sh")
        with open(self.shmap, "w") as f:
            f.write(SHELL_MAP)
        os.chmod(self.shmap, 0o755)
        # the answers must be the same, or the comparison is not fair
        for k in self.allkeys:
            a = out(os.path.join(BUILD, "auto.media"), k, env=self.env)
            b = out(self.shmap, k, env=self.env)
            if a != b:
                raise RuntimeError(f"maps disagree on {k}: {a!r} vs {b!r}")
        entry = out(os.path.join(BUILD, "mediad"), "-c", mu.conf,
                    "--autofs-entry=" + os.path.join(BUILD, "auto.media")).strip()
        os.makedirs(self.auto, exist_ok=True)
        os.makedirs(self.shauto)
        master = os.path.join(tmp(), "auto.master")
        with open(master, "w") as f:
            f.write(entry + "\n")
            f.write(entry.split()[0].replace(self.auto, self.shauto) + " program:" +
                    self.shmap + " " + " ".join(entry.split()[2:]) + "\n")
        self.F["master_map"] = open(master).read().splitlines()
        self.am = start_automount(master, self.env)
        if not wait_mounts(lambda ls: sum(ln.split()[4] in (self.auto, self.shauto) and
                                          " autofs " in ln for ln in ls) == 2):
            raise RuntimeError("automount did not mount its autofs directories")
        os.makedirs(self.mnt)
        self.opts = {k: open(os.path.join(mu.state, "media", k)).read()
                     .split("options=")[1].split("\n")[0] for k in self.allkeys}

    def published(self, k):
        # mediad withdraws a medium that is mounted outside its autofs
        # directory (mount(8), udisksctl) and offers it again once it is
        # unmounted: wait for that before a map has to find the record
        mu = self.mu
        rec, lnk = os.path.join(mu.state, "media", k), os.path.join(mu.list, k)
        if wait_dir([os.path.join(mu.state, "media"), mu.list],
                    lambda: os.path.exists(rec) and os.path.lexists(lnk), timeout=10):
            return True
        # a finding, not a reason to stop: recorded with mediad's lines
        # about the medium and its device, and this round skips it
        kn = os.path.basename(self.devs[k])
        lines = [ln.strip() for ln in open(mu.log)
                 if k in ln or f"/dev/{kn})" in ln or f"/dev/{kn}," in ln]
        ign = os.path.join(mu.state, "ignored", kn)
        self.anomalies.append({"medium": k, "device": self.devs[k], "what": "not offered again "
                               "10 s after it was unmounted", "mediad_log": lines[-12:],
                               "ignored_record": open(ign).read() if os.path.exists(ign)
                               else None})
        log(f"FINDING: {k} not offered again after an unmount (see results.json)")
        return False

    # ---- one measurement of each side ----
    def t_automount(self, base, k):
        if not self.published(k):
            return None
        t0 = time.perf_counter()
        os.stat(os.path.join(base, k, "hello"))
        t = (time.perf_counter() - t0) * 1e6
        sh("umount", os.path.join(self.auto if base != self.shauto else self.shauto, k))
        return t

    def udisks_caught_up(self, k):
        # udisksd sees mounts change asynchronously: let it catch up before
        # the next measurement, so that it neither refuses (AlreadyMounted)
        # nor works beside the next side
        dev = self.devs[k]
        if subprocess.run([helper("plugtime"), "udisks-wait", dev + "="]).returncode != 0:
            kn = os.path.basename(dev)
            mi = [ln for ln in open("/proc/self/mountinfo") if dev in ln or kn in ln]
            raise RuntimeError(f"udisksd still sees {k} ({dev}) mounted: mountinfo: {mi}")

    def spawn_us(self, *cmd, env=None):
        return float(out(helper("spawntime"), "1", *cmd, env=env))

    def t_mount8(self, k, fs):
        t = self.spawn_us("/bin/mount", "-t", fs, "-o", self.opts[k], self.devs[k], self.mnt)
        sh("umount", self.mnt)
        return t

    def t_mount8_helper(self, k, fs):
        # mount(8) through mount.mediad, as automount runs it
        t = self.spawn_us("/bin/mount", "-t", "mediad." + fs, "-o", self.opts[k], self.devs[k],
                          self.mnt, env=self.env)
        sh("umount", self.mnt)
        return t

    def t_udisks(self, k):
        # udisksd runs only for its own side: when it sees an xfs medium
        # unmounted it runs xfs_info on the old mount point, which, under
        # /media/auto, makes automount mount it again; and mediad rests
        # while udisksd works, as udisksd rests while automount works
        pause(self.mu.p)
        resume(self.ud)
        self.udisks_caught_up(k)
        t = self.spawn_us("/usr/bin/udisksctl", "mount", "--no-user-interaction", "-b",
                          self.devs[k])
        # (udisksd may have seen it go already: "not mounted" is fine,
        # as long as it is not mounted)
        subprocess.run(["udisksctl", "unmount", "--no-user-interaction", "-b", self.devs[k]],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_mounts(lambda ls: not any(ln.split(" - ")[1].split()[1] == self.devs[k]
                                              for ln in ls if " - " in ln), timeout=5):
            raise RuntimeError(f"udisksctl left {self.devs[k]} mounted")
        self.udisks_caught_up(k)
        pause(self.ud)
        resume(self.mu.p)
        return t

    def sides(self):
        n = reps("access")
        times = {fs: {s: [] for s in SIDES} for fs in self.keys}
        last, reuse = {}, []
        K = len(self.keys["ext4"])
        log(f"first access: {n} a side and filesystem, {K} media a filesystem, round-robin")
        for j in range(n):
            for fs in self.keys:
                k = self.keys[fs][j % K]
                for s in SIDES[j % len(SIDES):] + SIDES[:j % len(SIDES)]:
                    t = (self.t_automount(self.mu.list, k) if s == "automount_auto_media" else
                         self.t_automount(self.shauto, k) if s == "automount_shell_map" else
                         self.t_mount8(k, fs) if s == "mount8" else
                         self.t_mount8_helper(k, fs) if s == "mount8_mount_mediad" else
                         self.t_udisks(k))
                    if t is not None:
                        times[fs][s].append(t)
                now = time.monotonic()
                if k in last:
                    reuse.append(now - last[k])
                last[k] = now
        for fs in self.keys:
            self.F[fs] = {s: stats(times[fs][s]) for s in SIDES}
            for s in SIDES:
                self.F[fs][s]["ratio_to_mount8"] = ratio(self.F[fs][s], self.F[fs]["mount8"])
        self.F["min_key_reuse_s"] = round(min(reuse), 2) if reuse else None
        self.F["note"] = ("automount reuses a program map's answer for negative_timeout (1 s): "
                          "each medium is looked up again only after min_key_reuse_s")

    def steps(self):
        """Each step of the automount path alone, and the processes on it."""
        n = reps("steps")
        log(f"first access, step by step: {n} runs a step and filesystem")
        for fs in self.keys:
            k = self.keys[fs][0]
            dev, opts = self.devs[k], self.opts[k]
            data = ",".join(o for o in opts.split(",") if o not in ("nosuid", "nodev"))
            st = {}
            st["map_auto_media"] = stats([float(x) for x in out(
                helper("spawntime"), str(n), os.path.join(BUILD, "auto.media"), k,
                env=self.env).split()])
            st["mount2"] = stats([float(x) for x in out(
                helper("mounttime"), str(n), dev, self.mnt, fs, data).split()])
            direct = []
            for _ in range(n):
                direct.append(self.spawn_us("/sbin/mount.mediad", dev, self.mnt, "-o", opts,
                                            "-t", "mediad." + fs, env=self.env))
                sh("umount", self.mnt)
            st["mount_mediad_direct"] = stats(direct)
            # the processes mount(8) runs through the helper (execve calls
            # seen by strace: mount.mediad itself, e2fsck when it runs)
            tr = os.path.join(tmp(), "execs." + fs)
            sh("strace", "-f", "-qq", "-e", "trace=execve", "-o", tr, "/bin/mount", "-t",
               "mediad." + fs, "-o", opts, dev, self.mnt, env=self.env)
            sh("umount", self.mnt)
            execs = [ln.split('"')[1] for ln in open(tr) if "execve(" in ln and "= 0" in ln]
            # automount runs the map and mount(8); mount(8) runs the rest
            st["processes"] = ["auto.media"] + [os.path.basename(e) for e in execs]
            self.F[fs]["steps"] = st
            total = self.F[fs]["automount_auto_media"]["median_ms"]
            m2 = st["mount2"]["median_ms"]
            helper_ms = st["mount_mediad_direct"]["median_ms"]
            m8h = self.F[fs]["mount8_mount_mediad"]["median_ms"]
            lookup = st["map_auto_media"]["median_ms"]
            share = {"mount(2)": m2, "mount.mediad above mount(2)": helper_ms - m2,
                     "mount(8) above its helper": m8h - helper_ms,
                     "auto.media (fork, exec, lookup)": lookup}
            share["automount itself (upcall, threads, walk)"] = total - sum(share.values())
            self.F[fs]["shares_ms"] = {a: round(b, 3) for a, b in share.items()}

    def lookup(self):
        n, chunk = reps("lookup"), 20
        k = next(k for k in self.keys["ext4"] if self.published(k))
        cmds = {"auto_media": [os.path.join(BUILD, "auto.media"), k],
                "shell_map": [self.shmap, k],
                "fork_exec_floor_true": ["/bin/true"]}
        lt = {c: [] for c in cmds}
        log(f"lookup cost: {n} runs a side, interleaved in chunks of {chunk}")
        for i in range(0, n, chunk):
            for c, cmd in cmds.items():
                lt[c] += [float(x) for x in out(helper("spawntime"), str(min(chunk, n - i)), *cmd,
                                                env=self.env).split()]
        L = self.R["lookup"]
        for c in cmds:
            L[c] = stats(lt[c])
        L["ratio_auto_media_to_shell_map"] = ratio(L["auto_media"], L["shell_map"])

    def teardown(self):
        stop(self.am)
        resume(self.ud)
        for k in self.allkeys:
            detach(self.devs[k])


def run(R, mu, ud):
    a = Access(R, mu, ud)
    a.setup()
    a.sides()
    a.steps()
    a.lookup()
    a.teardown()
