#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the e2e guest's initramfs: busybox, Debian's udevd and automount,
the kernel modules storage needs, and mediad's binaries when they exist.

Every shared library comes from ldd of the binaries that need it; every
module's dependencies come from modules.dep.  Nothing is listed by hand
that a tool can find.  The staging tree lives in a temp dir that is always
removed; the output is a newc cpio (gzip) written where --out says.
"""

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Modules loaded at boot (guest/init loads them in this order).  Their
# dependencies are resolved from modules.dep; crc32c is requested by ext4
# through the crypto API, which modules.dep cannot see.
MODULES = [
    "scsi_mod", "sd_mod", "sr_mod", "cdrom", "sg",
    "libata", "ata_piix", "ahci", "ata_generic",
    "virtio_pci", "virtio_scsi", "virtio_blk",
    "xhci_pci", "ehci_pci", "usb_storage", "uas",
    "loop", "autofs4", "fuse",
    "fat", "vfat", "msdos", "nls_cp437", "nls_iso8859_1", "nls_utf8",
    "nls_ascii",  # vfat's default iocharset on Debian (FAT_DEFAULT_IOCHARSET)
    "exfat", "isofs", "udf", "ext4", "crc32c_generic", "crc32c_intel",
    "sdhci_pci", "mmc_block", "nvme",   # SD cards (SDHCI), NVMe
    # encrypted media: dm-crypt, and the kernel crypto API that
    # libcryptsetup uses from user space (TCRYPT headers, AF_ALG)
    "dm_mod", "dm_crypt", "dm_zero",    # BitLocker maps its metadata to zeros
    "xts", "ecb", "sha512_generic",
    "algif_skcipher", "algif_hash",
]

# Host binaries copied with their libraries (paths on a Debian 12 host).
BINARIES = [
    "/usr/sbin/automount",
    "/lib/systemd/systemd-udevd",
    "/usr/bin/udevadm",
    "/usr/bin/mount", "/usr/bin/umount", "/usr/sbin/blkid",
    "/usr/bin/lsblk", "/usr/sbin/losetup", "/usr/bin/findmnt",
    "/usr/sbin/e2fsck", "/usr/sbin/fsck.fat",
    "/usr/bin/ntfs-3g",
    "/usr/bin/date", "/usr/bin/stat",
    "/usr/sbin/sfdisk", "/usr/sbin/blockdev",
    "/usr/sbin/dmsetup",    # 95-dm-notify.rules answers libdevmapper with it
]
# (link, target) pairs made inside the guest tree.
LINKS = [
    ("/usr/sbin/fsck.ext2", "e2fsck"), ("/usr/sbin/fsck.ext3", "e2fsck"),
    ("/usr/sbin/fsck.ext4", "e2fsck"), ("/usr/sbin/fsck.vfat", "fsck.fat"),
    ("/usr/sbin/mount.ntfs-3g", "../bin/ntfs-3g"),
    ("/usr/sbin/mount.ntfs", "../bin/ntfs-3g"),
    ("/usr/sbin/udevadm", "../bin/udevadm"),
]
AUTOFS_LIBDIR = "/usr/lib/x86_64-linux-gnu/autofs"
# The autofs modules a program map and ext2/3/4 or generic mounts load.
AUTOFS_MODULES = ["lookup_program.so", "lookup_file.so", "parse_sun.so",
                  "mount_generic.so", "mount_ext2.so", "mount_ext3.so",
                  "mount_ext4.so", "mount_autofs.so", "mount_bind.so",
                  # parse_sun opens the default "nfs" module at init and
                  # fails the whole master map without it.
                  "mount_nfs.so", "mount_nfs4.so"]
UDEV_HELPERS = ["ata_id", "scsi_id", "cdrom_id"]
UDEV_RULES = [
    "50-udev-default.rules", "60-block.rules", "60-cdrom_id.rules",
    "60-persistent-storage.rules", "80-drivers.rules",
    # device-mapper's own: without them libdevmapper waits for udev in vain
    "55-dm.rules", "60-persistent-storage-dm.rules", "95-dm-notify.rules",
]


def log(msg):
    print("mk-initramfs: " + msg, file=sys.stderr)


def guest_path(p):
    """Map a host path to its place in the usr-merged guest tree."""
    for top in ("/bin/", "/sbin/", "/lib/", "/lib64/"):
        if p.startswith(top):
            return "/usr" + p
    return p


class Tree:
    def __init__(self, root):
        self.root = root
        self.seen = set()
        for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc",
                  "proc", "sys", "dev", "run", "tmp", "media", "root",
                  "var", "mnt"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        for d in ("bin", "sbin", "lib", "lib64"):
            os.symlink("usr/" + d, os.path.join(root, d))
        os.symlink("../run", os.path.join(root, "var/run"))

    def dest(self, gp):
        return os.path.join(self.root, guest_path(gp).lstrip("/"))

    def copy(self, src, gp=None, mode=None):
        """Copy host file src (following links) to guest path gp."""
        gp = guest_path(gp or src)
        d = self.dest(gp)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.lexists(d):
            os.unlink(d)
        shutil.copy2(os.path.realpath(src), d)
        if mode is not None:
            os.chmod(d, mode)
        return d

    def write(self, gp, text, mode=0o644):
        d = self.dest(gp)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        with open(d, "w") as f:
            f.write(text)
        os.chmod(d, mode)

    def link(self, gp, target):
        d = self.dest(gp)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.lexists(d):
            os.unlink(d)
        os.symlink(target, d)

    def elf(self, src, gp=None):
        """Copy an ELF file and every library ldd says it needs."""
        self.copy(src, gp)
        self.libs(src)

    def libs(self, src):
        r = subprocess.run(["ldd", src], capture_output=True, text=True)
        out = r.stdout + r.stderr
        if "not a dynamic executable" in out or "statically linked" in out:
            return
        if r.returncode != 0:
            raise SystemExit("ldd %s failed: %s" % (src, out))
        for line in out.splitlines():
            line = line.strip()
            if "=> not found" in line:
                raise SystemExit("ldd %s: %s" % (src, line))
            m = re.match(r"(?:\S+ => )?(/\S+) \(0x", line)
            if not m:
                continue
            lib = m.group(1)
            if lib in self.seen:
                continue
            self.seen.add(lib)
            self.copy(lib)


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def ensure_depmod(kdir, kver):
    """The .deb ships no modules.dep (postinst makes it); make it in the cache."""
    mdir = os.path.join(kdir, "lib/modules", kver)
    if not os.path.exists(os.path.join(mdir, "modules.dep")):
        subprocess.run(["depmod", "-b", kdir, kver], check=True)
    return mdir


def resolve_modules(mdir, names):
    """Return the module files (relative to mdir) names need, deps included."""
    deps = {}
    byname = {}
    with open(os.path.join(mdir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
            base = os.path.basename(mod)
            base = re.sub(r"\.ko(\.\w+)?$", "", base).replace("-", "_")
            byname[base] = mod
    builtin = set()
    with open(os.path.join(mdir, "modules.builtin")) as f:
        for line in f:
            base = re.sub(r"\.ko$", "", os.path.basename(line.strip()))
            builtin.add(base.replace("-", "_"))
    want, load = [], []
    for n in names:
        n = n.replace("-", "_")
        if n in byname:
            load.append(n)
            stack = [byname[n]]
            while stack:
                m = stack.pop()
                if m in want:
                    continue
                want.append(m)
                stack.extend(deps.get(m, []))
        elif n in builtin:
            log("module %s is built in" % n)
        else:
            log("module %s not in this kernel, skipped" % n)
    return want, load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel-dir", required=True,
                    help="unpacked linux-image package (fetch-kernel.sh)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--extra", action="append", default=[],
                    metavar="PATH[=GUESTPATH]",
                    help="binary to add when it exists, to GUESTPATH or "
                    "else /usr/local/bin")
    ap.add_argument("--compress", choices=["gzip", "none"], default="none",
                    help="none boots faster under TCG: no inflate in the guest")
    args = ap.parse_args()

    kvers = os.listdir(os.path.join(args.kernel_dir, "lib/modules"))
    if len(kvers) != 1:
        raise SystemExit("expected one kernel version in %s: %s"
                         % (args.kernel_dir, kvers))
    kver = kvers[0]
    mdir = ensure_depmod(args.kernel_dir, kver)

    with tempfile.TemporaryDirectory(prefix="mediad-e2e-initramfs.") as tmp:
        root = os.path.join(tmp, "root")
        t = Tree(root)

        # busybox first, so real binaries copied later win over its applets.
        t.copy("/bin/busybox", "/usr/bin/busybox")
        r = subprocess.run(["/bin/busybox", "--list-full"],
                           capture_output=True, text=True, check=True)
        for p in r.stdout.split():
            gp = guest_path("/" + p)
            if not os.path.lexists(t.dest(gp)):
                t.link(gp, "/usr/bin/busybox")

        for b in BINARIES:
            t.elf(b)
        for lk, tgt in LINKS:
            t.link(lk, tgt)

        for so in AUTOFS_MODULES:
            p = os.path.join(AUTOFS_LIBDIR, so)
            if os.path.islink(p):
                t.link(p, os.readlink(p))
            else:
                t.elf(p)

        for h in UDEV_HELPERS:
            t.elf("/lib/udev/" + h)
        for rule in UDEV_RULES:
            t.copy("/lib/udev/rules.d/" + rule)

        # The uevent stamper is ours and tiny: built here, in the temp dir.
        uevmon = os.path.join(tmp, "e2e-uevmon")
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc:
            subprocess.run([cc, "-O2", "-Wall", "-o", uevmon,
                            os.path.join(HERE, "src", "e2e-uevmon.c")],
                           check=True)
            t.elf(uevmon, "/usr/lib/e2e/e2e-uevmon")
            # a pseudo-terminal for medialist unlock's prompt
            pty = os.path.join(tmp, "e2e-pty")
            subprocess.run([cc, "-O2", "-Wall", "-o", pty,
                            os.path.join(HERE, "src", "e2e-pty.c")],
                           check=True)
            t.elf(pty, "/usr/lib/e2e/e2e-pty")
        else:
            log("no C compiler: uevent stamps fall back to busybox uevent")

        extras = []
        for arg in args.extra:
            x, _, gp = arg.partition("=")
            gp = guest_path(gp or "/usr/local/bin/" + os.path.basename(x))
            if os.path.exists(x) and is_elf(x):
                t.elf(x, gp)
                extras.append(os.path.basename(x))
            elif os.path.exists(x):
                t.copy(x, gp, 0o755)
                extras.append(os.path.basename(x))
            else:
                log("extra %s not present, skipped" % x)

        want, load = resolve_modules(mdir, MODULES)
        gmdir = "/usr/lib/modules/" + kver
        for m in want:
            t.copy(os.path.join(mdir, m), gmdir + "/" + m)
        for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
            t.copy(os.path.join(mdir, f), gmdir + "/" + f)
        subprocess.run(["depmod", "-b", root, kver], check=True)

        # Guest configuration and scripts.
        gdir = os.path.join(HERE, "guest")
        for f in sorted(os.listdir(gdir)):
            src = os.path.join(gdir, f)
            mode = os.stat(src).st_mode & 0o777
            if f == "init":
                t.copy(src, "/init", mode)
            elif f.endswith(".conf") or f in ("passwd", "group"):
                t.copy(src, "/etc/" + f, 0o644)
            else:
                t.copy(src, "/usr/lib/e2e/" + f, mode)
        t.write("/etc/e2e/modules", "\n".join(load) + "\n")
        t.write("/etc/e2e/extras", "\n".join(extras) + "\n")
        t.write("/etc/nsswitch.conf", "passwd: files\ngroup: files\n"
                "automount: files\n")
        t.link("/etc/mtab", "../proc/self/mounts")
        t.write("/etc/hostname", "e2e\n")

        # newc cpio, optionally gzip: find | cpio in the tree, sorted for stable output.
        names = []
        for dp, dns, fns in os.walk(root):
            dns.sort()
            for n in sorted(dns + fns):
                names.append(os.path.relpath(os.path.join(dp, n), root))
        out_tmp = args.out + ".tmp"
        with open(out_tmp, "wb") as out:
            cp = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet",
                                   "-R", "0:0"], cwd=root,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
            filt = ["gzip", "-1", "-n"] if args.compress == "gzip" else ["cat"]
            gz = subprocess.Popen(filt, stdin=cp.stdout, stdout=out)
            cp.stdout.close()
            cp.stdin.write(("\n".join(names) + "\n").encode())
            cp.stdin.close()
            if cp.wait() != 0 or gz.wait() != 0:
                raise SystemExit("cpio/gzip failed")
        os.rename(out_tmp, args.out)
        log("wrote %s (%d KiB, %d modules, extras: %s)"
            % (args.out, os.path.getsize(args.out) // 1024, len(want),
               " ".join(extras) or "none"))


if __name__ == "__main__":
    main()
