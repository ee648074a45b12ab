# SPDX-License-Identifier: GPL-2.0-or-later
# Pulling sticks: a mounted one with a file held open, a written one after
# the expiry, and a written one pulled at once or once its record says safe.
"""Scenarios: surprise removal, expiry and safe to remove."""

import time

from harness import NEED, Skip, check, mt, scenario


@scenario("surprise removal of a mounted stick with a file held open",
          needs=NEED)
def surprise(ctx):
    d = ctx.img_dir("surprise")
    img = mt.filesystem(d, "s", "vfat32", 40, label="SURPRISE",
                        files={"held.txt": "hold me\n"})
    ctx.mark()
    ctx.vm.plug_usb("surp", img)
    ctx.link_wait("SURPRISE")
    ctx.sh("cat /media/list/SURPRISE/held.txt >/dev/null; "
           "sleep 600 < /media/list/SURPRISE/held.txt "
           ">/dev/null 2>&1 & echo $! > /run/e2e/holder")
    check(ctx.mounted("SURPRISE") is not None, "not mounted before pull")
    ctx.mark()
    ctx.vm.unplug_usb("surp")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True,
             what="pull-to-unlink")
    # Nothing hangs: listing, stat of the old path, /proc/mounts.
    out = ctx.sh("timeout 10 ls -A /media/list; "
                 "timeout 10 ls /run/mediad/media; echo listed", 30)
    check(out.endswith("listed\n") and "SURPRISE" not in out,
          "after pull: %r" % out)
    ctx.unmounted_wait("SURPRISE", 15,
                       "stale mount of SURPRISE left after the pull")
    ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
    ctx.mark()
    ctx.vm.plug_usb("surp", img)
    ctx.link_wait("SURPRISE")
    out = ctx.sh("cat /media/list/SURPRISE/held.txt")
    check(out == "hold me\n", "read after replug: %r" % out)
    ctx.vm.unplug_usb("surp")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True)
    # Another stick under the same name right away, on another device
    # node (a filler takes the old one): automount must not reuse its
    # cached answer for the key, which names the old node.
    filler = mt.filesystem(d, "f", "vfat32", 40, label="FILLER",
                           files={"held.txt": "filler\n"})
    other = mt.filesystem(d, "o", "vfat32", 40, label="SURPRISE",
                          files={"held.txt": "another stick\n"})
    ctx.mark()
    ctx.vm.plug_usb("filler", filler)
    ctx.link_wait("FILLER")
    ctx.mark()
    ctx.vm.plug_usb("surp2", other)
    ctx.link_wait("SURPRISE")
    out = ctx.sh("cat /media/list/SURPRISE/held.txt")
    check(out == "another stick\n",
          "same name, other stick: read %r (stale map answer?)" % out)
    ctx.vm.unplug_usb("surp2")
    ctx.vm.unplug_usb("filler")
    ctx.wait("-L", "/media/list/SURPRISE", 30, gone=True)
    ctx.wait("-L", "/media/list/FILLER", 30, gone=True)


@scenario("FAT stick written, idle past the expire timeout, clean when "
          "pulled", needs=NEED)
def fat_clean(ctx):
    d = ctx.img_dir("clean")
    img = mt.filesystem(d, "c", "vfat32", 40, label="CLEANME",
                        files={"a.txt": "a\n"})
    # A lookup of the name just before it exists: automount caches the
    # failure for negative_timeout (1 s on our master line, counted in
    # whole seconds), and the name must still end up mounted.
    rc, _ = ctx.run("ls /media/auto/CLEANME")
    check(rc != 0, "/media/auto/CLEANME exists before the plug")
    ctx.mark()
    ctx.vm.plug_usb("clean", img)
    ctx.link_wait("CLEANME")
    out = ctx.sh("""
        t0=$(/usr/bin/date +%s%N); n=0
        while :; do
            n=$((n + 1))
            cat /media/list/CLEANME/a.txt 2>/dev/null && break
            [ $n -ge 40 ] && exit 1
            usleep 250000
        done
        echo "tries=$n ms=$(( ($(/usr/bin/date +%s%N) - t0) / 1000000 ))"
        """, 30)
    check(out.startswith("a\n"), "never readable after a failed lookup: %r"
          % out)
    tries = out.split("tries=")[1].split()[0]
    if tries != "1":
        ctx.note("first access after a failed lookup failed (automount's "
                 "negative cache); readable after %s" % out.split()[-2:])
    ctx.sh("echo 'written in the guest' > /media/list/CLEANME/b.txt")
    check(ctx.mounted("CLEANME") is not None, "not mounted after write")
    t0 = time.monotonic()
    ctx.unmounted_wait("CLEANME", 30, "still mounted 30 s after use")
    ctx.times.append(("write-to-expired", time.monotonic() - t0))
    ctx.vm.unplug_usb("clean")
    ctx.wait("-L", "/media/list/CLEANME", 30, gone=True)
    dirty, out = mt.fat_dirty(img)
    check(not dirty, "fsck.fat finds the stick not clean:\n" + out)
    data = mt.run("mtype", "-i", img, "::/b.txt")
    check(data == "written in the guest\n", "written file: %r" % data)


# Issue 9: safe to remove.

# What fsck.fat -n reports of a FAT that was mounted read-write when it
# was pulled, everything written: Linux sets the dirty bit (FAT[1] and the
# FAT32 boot sector's state byte, so the backup boot sector differs at
# offset 65) and updates the FSInfo free count only at unmount.
FAT_MOUNTED_MARKS = ("dirty bit is set", "fs was not properly unmounted",
                     "removing dirty bit",
                     "differences between boot sector and its backup",
                     "mostly harmless. differences: (offset:original/backup)",
                     "65:01/00", "free cluster summary wrong")
FAT_FINDING = ("dirty", "differences", "wrong", "lost", "orphan", "bad ",
               "invalid", "corrupt", "duplicate", "unused cluster",
               "cluster chain", "truncat", "has no", ":0", ":1")


def fat_findings(out):
    """The lines of fsck.fat -n -v output that report a problem."""
    return [ln.strip() for ln in out.splitlines()
            if any(w in ln.lower() for w in FAT_FINDING) and
            not ln.lower().startswith(("checking", "leaving"))]


@scenario("FAT stick written: pulled at once vs pulled once its record "
          "says safe", needs=NEED)
def fat_safe(ctx):
    d = ctx.img_dir("safe")
    size = 4 * 1024 * 1024
    for label in ("PULLNOW", "PULLSAFE"):
        img = mt.filesystem(d, label.lower(), "vfat32", 40, label=label,
                            files={"a.txt": "a\n"})
        ctx.mark()
        ctx.vm.plug_usb(label.lower(), img)
        ctx.link_wait(label)
        if "safe" not in ctx.record(label):
            ctx.vm.unplug_usb(label.lower())
            ctx.wait("-L", "/media/list/" + label, 30, gone=True)
            raise Skip("records have no safe field (safe-to-remove not "
                       "built)")
        # Mounted and kept busy (a reader), so that no expiry unmounts it
        # while we wait: only the flush may make it safe.
        ctx.sh("sleep 600 < /media/list/%s/a.txt >/dev/null 2>&1 & "
               "echo $! > /run/e2e/holder" % label)
        ctx.record_wait(label, "safe", "1")     # nothing written yet
        out = ctx.sh("yes %s | head -c %d > /media/list/%s/big.txt && "
                     "echo w > /media/list/%s/w.txt && "
                     "grep -e ^safe= -e ^dirty_source= "
                     "/run/mediad/media/%s"
                     % (label, size, label, label, label))
        got = {"record right after the write": " ".join(out.split())}
        if label == "PULLSAFE":
            t0 = time.monotonic()
            # (the bdi source waits for the inode's own writeback too:
            # up to dirty_expire_centisecs, 30 s)
            ctx.record_wait(label, "safe", "1", timeout=90)
            ctx.times.append(("write-to-safe", time.monotonic() - t0))
        check(ctx.mounted(label) is not None, "%s not mounted at the pull"
              % label)
        ctx.vm.unplug_usb(label.lower())
        ctx.wait("-L", "/media/list/" + label, 30, gone=True)
        ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
        _, fsck = mt.fat_dirty(img)
        found = fat_findings(fsck)
        try:
            big = mt.run("mtype", "-i", img, "::/big.txt").encode()
        except RuntimeError as e:
            big = b""
            got["mtype"] = str(e).splitlines()[0]
        want = mt.pattern(label, size)
        got["big.txt"] = "complete" if big == want else \
            "%d of %d bytes, %d right" % (len(big), size, sum(
                1 for a, b in zip(big, want) if a == b))
        got["fsck.fat -n"] = "; ".join(found) or "clean"
        ctx.note("%s: %s" % (label, "; ".join("%s: %s" % kv
                                               for kv in got.items())))
        if label == "PULLSAFE":
            check(big == want, "pulled once safe, the data is not all "
                  "there: %r" % got)
            beyond = [f for f in found
                      if not any(m in f.lower() for m in FAT_MOUNTED_MARKS)]
            check(not beyond, "pulled once safe, fsck.fat finds more than "
                  "the marks of a mounted FAT: %s\n%s" % (beyond, fsck))
