"""Disk images for the e2e scenarios, made at test time with the real
tools (sfdisk, mkfs.*, mtools, ntfscp, xorriso) and never mounted on the
host.  Every image lives in the caller's temp dir, which the caller removes.
"""

import os
import subprocess

MiB = 1024 * 1024

# Partition type per filesystem: (MBR id, GPT type GUID).
PTYPE = {
    "vfat32": ("c", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "vfat16": ("e", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "exfat": ("7", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "ntfs": ("7", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "ext4": ("83", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
}

ENV = dict(os.environ, LC_ALL="C.UTF-8", MTOOLS_SKIP_CHECK="1")


def run(*cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, env=ENV, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (
            " ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace")))
    return r.stdout.decode(errors="replace")


def _content_dir(workdir, name, files):
    d = os.path.join(workdir, name + ".d")
    os.makedirs(d, exist_ok=True)
    for rel, data in (files or {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    return d


def filesystem(workdir, name, fstype, size_mib, label=None, files=None,
               uuid=None):
    """Make a filesystem image file of size_mib; return its path.

    fstype: vfat32, vfat16, exfat, ntfs, ext4.  files: {relpath: content}
    put in without mounting (mtools, ntfscp, mkfs.ext4 -d); exFAT has no
    such tool, so its content is written by the scenario in the guest.
    """
    path = os.path.join(workdir, name + ".fs")
    if os.path.exists(path):
        os.unlink(path)
    if fstype in ("vfat32", "vfat16"):
        args = ["mkfs.fat", "-F", fstype[4:], "-C"]
        raw = None
        if label is not None and not label.isascii():
            # FAT labels are in the DOS code page.  mkfs.fat converts with
            # iconv, which slim hosts lack: give it a placeholder of the
            # same length and patch the cp850 bytes in (boot sector and
            # root directory volume entry).
            raw = label.encode("cp850")
            label = "Q" * len(raw)
        if label is not None:
            args[1:1] = ["-n", label]
        if uuid:
            args[1:1] = ["-i", uuid]
        run(*args, path, str(size_mib * 1024))
        if raw is not None:
            _patch(path, label.encode().ljust(11), raw.ljust(11))
        for rel in (files or {}):
            d = _content_dir(workdir, name, files)
            parts = rel.split("/")
            for i in range(1, len(parts)):
                subprocess.run(["mmd", "-D", "s", "-i", path,
                                "::/" + "/".join(parts[:i])],
                               capture_output=True, env=ENV)
            run("mcopy", "-i", path, os.path.join(d, rel), "::/" + rel)
        return path
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    if fstype == "exfat":
        args = ["mkfs.exfat"]
        if label is not None:
            args += ["-L", label]
        run(*args, path)
        if files:
            raise ValueError("exfat content is written in the guest")
    elif fstype == "ntfs":
        args = ["mkntfs", "-F", "-Q", "-q"]
        if label is not None:
            args += ["-L", label]
        run(*args, path)
        d = _content_dir(workdir, name, files)
        for rel in (files or {}):
            run("ntfscp", "-f", path, os.path.join(d, rel), rel)
    elif fstype == "ext4":
        d = _content_dir(workdir, name, files)
        args = ["mkfs.ext4", "-q", "-F", "-d", d]
        if label is not None:
            args += ["-L", label]
        if uuid:
            args += ["-U", uuid]
        run(*args, path)
    else:
        raise ValueError("unknown fstype " + fstype)
    return path


def _patch(path, old, new, span=MiB):
    """Replace every occurrence of old by new in the first span bytes."""
    with open(path, "r+b") as f:
        head = f.read(span)
        n = head.count(old)
        if n == 0:
            raise RuntimeError("label placeholder not found in " + path)
        f.seek(0)
        f.write(head.replace(old, new))


def disk(workdir, name, table, parts, size_mib=None):
    """A partitioned disk image.  table: "dos" or "gpt"; parts: list of
    (fstype, fs_image_path).  Partitions are 1 MiB aligned, in order."""
    path = os.path.join(workdir, name + ".img")
    sizes = [os.path.getsize(p) for _, p in parts]
    total = MiB + sum(-(-s // MiB) * MiB for s in sizes) + MiB  # + GPT backup
    if size_mib:
        total = max(total, size_mib * MiB)
    with open(path, "wb") as f:
        f.truncate(total)
    script = ["label: " + table]
    start = MiB
    offsets = []
    for (fstype, _), size in zip(parts, sizes):
        mbr, gpt = PTYPE[fstype]
        sectors = -(-size // MiB) * MiB // 512
        script.append("start=%d, size=%d, type=%s"
                      % (start // 512, sectors, mbr if table == "dos" else gpt))
        offsets.append(start)
        start += sectors * 512
    run("sfdisk", "--no-reread", "--no-tell-kernel", "-q", path,
        input="\n".join(script).encode() + b"\n")
    with open(path, "r+b") as out:
        for off, (_, fs) in zip(offsets, parts):
            out.seek(off)
            with open(fs, "rb") as src:
                while True:
                    chunk = src.read(4 * MiB)
                    if not chunk:
                        break
                    out.write(chunk)
            os.unlink(fs)
    return path


def iso(workdir, name, label, files):
    """An ISO 9660 image with Rock Ridge and Joliet."""
    path = os.path.join(workdir, name + ".iso")
    d = _content_dir(workdir, name, files)
    run("xorriso", "-as", "mkisofs", "-quiet", "-V", label, "-J", "-R",
        "-o", path, d)
    return path


def fat_dirty(path, offset=0):
    """True when fsck.fat finds the FAT image not clean (read-only check).

    offset: byte offset of the filesystem in a partitioned image."""
    fs = path
    if offset:
        fs = path + ".part"
        with open(path, "rb") as src, open(fs, "wb") as dst:
            src.seek(offset)
            while True:
                chunk = src.read(4 * MiB)
                if not chunk:
                    break
                dst.write(chunk)
    r = subprocess.run(["fsck.fat", "-n", "-v", fs], capture_output=True,
                       env=ENV)
    out = (r.stdout + r.stderr).decode(errors="replace")
    if fs != path:
        os.unlink(fs)
    return r.returncode != 0 or "dirty" in out.lower(), out
