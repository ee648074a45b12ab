# SPDX-License-Identifier: GPL-2.0-or-later
# The small library the e2e suite and the bench share: run a tool, make disk
# images with the real tools, attach loop devices, wait for a condition, and
# clean up. Standard library only; it never mounts an image on the host and
# never detaches a loop device or removes a file it did not make itself.
"""Shared test helpers for mediad's Python drivers (tests/e2e, tests/bench).

Import with ``sys.path.insert(0, <tests/pylib>)`` then ``import mediatest``.

- ``run(*cmd)``: a tool's stdout, RuntimeError with its output on failure.
- images: ``filesystem``, ``disk``, ``iso``, ``fat_dirty``, ``ext_dirty``,
  ``pattern``.
- ``Scratch``: a temp dir that owns loop devices attached to its images
  (``attach``/``detach``) and removes everything in ``close()``.
- waits: ``wait_until`` (polling), ``wait_dir`` (inotify), ``wait_mounts``
  (poll(2) on mountinfo).
"""

import ctypes
import os
import select
import shutil
import subprocess
import tempfile
import time

MiB = 1024 * 1024

# Partition type per filesystem: (MBR id, GPT type GUID).
PTYPE = {
    "vfat32": ("c", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "vfat16": ("e", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "exfat": ("7", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "ntfs": ("7", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"),
    "ext4": ("83", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
    "esp": ("ef", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
}

ENV = dict(os.environ, LC_ALL="C.UTF-8", MTOOLS_SKIP_CHECK="1")


def run(*cmd, **kw):
    """Run cmd (no shell); its stdout as text; RuntimeError on failure."""
    r = subprocess.run(cmd, capture_output=True, env=ENV, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (
            " ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace")))
    return r.stdout.decode(errors="replace")


# ---- images ----------------------------------------------------------------

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
    """Make a filesystem image file of size_mib in workdir; return its path.

    fstype: vfat32, vfat16, exfat, ntfs, ext4.  files: {relpath: content}
    put in without mounting (mtools, ntfscp, mkfs.ext4 -d); exFAT has no
    such tool, so its content must be written through a mount.
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
            raise ValueError("exfat content is written through a mount")
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
        if head.count(old) == 0:
            raise RuntimeError("label placeholder not found in " + path)
        f.seek(0)
        f.write(head.replace(old, new))


def disk(workdir, name, table, parts, size_mib=None):
    """A partitioned disk image; return its path.  table: "dos" or "gpt";
    parts: (fstype, fs_image_path) in order, 1 MiB aligned (the fs images
    are copied in, then removed); fstype picks the partition type (PTYPE)."""
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
                shutil.copyfileobj(src, out, 4 * MiB)
            os.unlink(fs)
    return path


def iso(workdir, name, label, files, extra=()):
    """An ISO 9660 image with Rock Ridge and Joliet; extra: more
    `xorriso -as mkisofs` arguments (boot images, -isohybrid-gpt-basdat)."""
    path = os.path.join(workdir, name + ".iso")
    d = _content_dir(workdir, name, files)
    run("xorriso", "-as", "mkisofs", "-quiet", "-V", label, "-J", "-R",
        *extra, "-o", path, d)
    return path


def fat_dirty(path, offset=0):
    """(dirty, output): dirty when fsck.fat -n finds the FAT image not
    clean (read-only check).  offset: the filesystem's byte offset in a
    partitioned image."""
    fs = path
    if offset:
        fs = path + ".part"
        with open(path, "rb") as src, open(fs, "wb") as dst:
            src.seek(offset)
            shutil.copyfileobj(src, dst, 4 * MiB)
    r = subprocess.run(["fsck.fat", "-n", "-v", fs], capture_output=True,
                       env=ENV)
    out = (r.stdout + r.stderr).decode(errors="replace")
    if fs != path:
        os.unlink(fs)
    return r.returncode != 0 or "dirty" in out.lower(), out


def ext_dirty(path):
    """(dirty, output): dirty when `e2fsck -f -n` finds the ext2/3/4 image
    not clean (read-only check)."""
    r = subprocess.run(["e2fsck", "-f", "-n", path], capture_output=True,
                       env=ENV)
    return r.returncode != 0, (r.stdout + r.stderr).decode(errors="replace")


def pattern(tag, size):
    """The bytes `yes TAG | head -c SIZE` writes: checkable after a pull."""
    line = (tag + "\n").encode()
    return (line * (size // len(line) + 1))[:size]


# ---- scratch dir and loop devices -------------------------------------------

class Scratch:
    """A temp dir owning what is made in it: loop devices attached to its
    images are detached, mounts below it lazily unmounted, and the dir
    removed by close() (also as a context manager).  keep=True keeps the
    files (loop devices and mounts still go)."""

    def __init__(self, prefix="mediatest.", keep=False):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.keep = keep
        self.loops = []

    def sub(self, name):
        """A directory inside the scratch dir, made when missing."""
        d = os.path.join(self.path, name)
        os.makedirs(d, exist_ok=True)
        return d

    def attach(self, img, ro=False):
        """losetup an image of ours; return the loop device."""
        dev = run("losetup", "-f", "--show", *(["-r"] if ro else []),
                  img).strip()
        # the file it backs, as the kernel names it: an image outside the
        # scratch dir (a scenario's own) is detached by close() too
        self.loops.append((dev, backing(dev) or os.path.realpath(img)))
        return dev

    def ours(self, dev, img=None):
        """Whether dev still backs img (default: a file of the scratch
        dir): another run may have reused the device number since."""
        b = backing(dev)
        return b == img if img else b.startswith(self.path + "/")

    def detach(self, dev):
        """Detach a loop device we attached, if it still backs our file."""
        for entry in self.loops:
            if entry[0] == dev:
                self.loops.remove(entry)
                if self.ours(dev, entry[1]):
                    run("losetup", "-d", dev)
                return

    def close(self):
        with open("/proc/self/mountinfo") as f:
            mps = [ln.split()[4] for ln in f]
        for m in sorted((m for m in mps if m.startswith(self.path + "/")),
                        reverse=True):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        for dev, img in self.loops:
            if self.ours(dev, img):
                subprocess.run(["losetup", "-d", dev],
                               stderr=subprocess.DEVNULL)
        self.loops.clear()
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def backing(dev):
    """The file behind a loop device, "" when none (or not a loop)."""
    try:
        with open("/sys/block/%s/loop/backing_file"
                  % os.path.basename(dev)) as f:
            return f.read().strip()
    except OSError:
        return ""


# ---- waits -------------------------------------------------------------------

def wait_until(pred, timeout=30.0, interval=0.3):
    """Poll pred() until it returns something true; return that, or None
    when timeout seconds have passed (pred is tried once more then)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v or None
        time.sleep(interval)


_libc = ctypes.CDLL(None, use_errno=True)
# create delete moved_from moved_to close_write attrib
_IN_EVENTS = 0x100 | 0x200 | 0x40 | 0x80 | 0x8 | 0x4


def wait_dir(dirs, pred, timeout=30.0):
    """Wait until pred() is true, woken by inotify events in dirs (the
    timeout only bounds a wakeup that could be missed); True or False."""
    fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        for d in dirs:
            _libc.inotify_add_watch(fd, d.encode(), _IN_EVENTS)
        end = time.monotonic() + timeout
        while not pred():
            left = end - time.monotonic()
            if left <= 0:
                return False
            if select.select([fd], [], [], min(left, 0.5))[0]:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
        return True
    finally:
        os.close(fd)


def wait_mounts(pred, timeout=30.0):
    """Wait until pred(mountinfo lines) is true, woken by poll(2) on
    /proc/self/mountinfo; True or False."""
    with open("/proc/self/mountinfo") as f:
        p = select.poll()
        p.register(f, select.POLLPRI | select.POLLERR)
        end = time.monotonic() + timeout
        while True:
            f.seek(0)
            if pred(f.read().splitlines()):
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            p.poll(min(left, 0.5) * 1000)
