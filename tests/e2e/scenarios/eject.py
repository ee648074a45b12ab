# SPDX-License-Identifier: GPL-2.0-or-later
# Eject's trust boundary on the real kernel (issue 14): an offered partition
# of a disk the system has mounted, and one LUN of a two-LUN card reader
# whose other LUN is mounted and written. Eject must refuse or flush first.
"""Scenarios: what `medialist eject` may and may not take away."""

import os
import shlex

from harness import NEED, Fail, check, mt, scenario

MEMBER = "live"         # in plugdev (guest/group), mediad's allow_group
MiB = 1024 * 1024


def as_user(who, cmd):
    """cmd (sh) as root, or as `who` through su; output with stderr."""
    cmd += " 2>&1"
    if who == "root":
        return cmd
    return "su -s /bin/sh %s -c %s" % (who, shlex.quote(cmd))


def eject(ctx, who, name):
    """`medialist eject NAME` as who: (status, output)."""
    return ctx.run(as_user(who, "medialist eject " + shlex.quote(name)), 120)


def member_ok(ctx):
    """The member really is in allow_group when it runs medialist."""
    out = ctx.sh(as_user(MEMBER, "id"))
    check("plugdev" in out or "46(" in out,
          "%s is not in plugdev in the guest: %s" % (MEMBER, out))


def disk_of(dev):
    """/dev/sdb2 -> /dev/sdb (sd names only)."""
    return dev.rstrip("0123456789")


def system_mounted(ctx, dev, mnt):
    out = ctx.sh("cat /proc/mounts")
    return any(ln.split(" ")[:2] == [dev, mnt] for ln in out.splitlines())


def refused_for_system_mount(ctx, name, sysdev, mnt, who, strict):
    """Eject NAME as who while sysdev (a partition of NAME's disk) is
    mounted on mnt by the system: refused, naming that mount (or the
    partition) when strict, and nothing unmounted or powered off."""
    disk = disk_of(sysdev)
    rc, out = eject(ctx, who, name)
    msg = " ".join(out.split())
    ctx.note("eject %s as %s: status %d: %s" % (name, who, rc, msg))
    check(rc != 0, "eject %s as %s succeeded with %s mounted by the system "
          "on %s: %s" % (name, who, sysdev, mnt, msg))
    if strict:
        check(mnt in out or os.path.basename(sysdev) in out,
              "eject %s as %s refused without naming %s or %s: %s"
              % (name, who, mnt, sysdev, msg))
    check(system_mounted(ctx, sysdev, mnt),
          "after the refused eject (%s) %s is no longer mounted on %s"
          % (who, sysdev, mnt))
    out = ctx.sh("cat %s/sys.txt %s/w.txt; [ -b %s ] && [ -L /media/list/%s ]"
                 " && echo present" % (mnt, mnt, disk, shlex.quote(name)))
    check(out == "system\nwritten\npresent\n",
          "after the refused eject (%s): %r" % (who, out))


def system_disk_case(ctx, what, plug, unplug, name, fname, content, mnt,
                     member_strict):
    """Plug a disk whose first partition the system mounts on mnt and
    whose second is offered as NAME; eject NAME as the member and root."""
    ctx.mark()
    plug()
    ctx.link_wait(name)
    sysdev = disk_of(ctx.record(name)["devname"]) + "1"
    ctx.sh("mkdir -p %s && /usr/bin/mount %s %s && "
           "echo written > %s/w.txt" % (mnt, sysdev, mnt, mnt))
    ctx.sh("sleep 1")       # mediad sees the mount table change
    for who, strict in ((MEMBER, member_strict), ("root", True)):
        refused_for_system_mount(ctx, name, sysdev, mnt, who, strict)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/%s/%s" % (name, fname))
        check(out == content, "%s: %s unreadable after the refusals: %r"
              % (what, name, out))
    ctx.sh("/usr/bin/umount %s" % mnt)
    ctx.mark()
    unplug()
    ctx.unlink_wait(name)


@scenario("eject of an offered partition of a disk the system has mounted "
          "(USB stick, internal SCSI disk): refused, nothing unmounted",
          needs=("mediad", "medialist"))
def eject_system_mount(ctx):
    member_ok(ctx)
    d = ctx.img_dir("ejsys")
    # A USB stick (removable): only the system's mount stands in the way.
    p1 = mt.filesystem(d, "u1", "ext4", 16, label="USBSYS",
                       files={"sys.txt": "system\n"})
    p2 = mt.filesystem(d, "u2", "vfat16", 16, label="USBOFFER",
                       files={"o.txt": "offered\n"})
    usb = mt.disk(d, "ejusb", "dos", [("ext4", p1), ("vfat16", p2)])
    system_disk_case(ctx, "USB stick", lambda: ctx.vm.plug_usb("ejusb", usb),
                     lambda: ctx.vm.unplug_usb("ejusb"), "USBOFFER", "o.txt",
                     "offered\n", "/mnt/sys", True)
    # An internal disk (scsi-hd is not removable): the attack of issue 14,
    # its /boot/efi mounted, its data partition offered read-only.  The
    # member may be refused for the disk being internal.
    p1 = mt.filesystem(d, "i1", "ext4", 16, label="INTSYS",
                       files={"sys.txt": "system\n"})
    p2 = mt.filesystem(d, "i2", "ext4", 16, label="INTOFFER",
                       files={"o.txt": "internal\n"})
    scsi = mt.disk(d, "ejint", "gpt", [("ext4", p1), ("ext4", p2)])
    system_disk_case(ctx, "internal disk",
                     lambda: ctx.vm.plug_scsi("ejint", scsi, scsi_id=4),
                     lambda: ctx.vm.unplug_scsi("ejint"), "INTOFFER", "o.txt",
                     "internal\n", "/mnt/sysint", False)


def write_then_eject(ctx, tag, size, name, other):
    """Write size bytes to NAME (no sync), then at once eject OTHER as the
    member: (status, message, what the record and meminfo said before)."""
    out = ctx.sh(
        "yes %s | head -c %d > /media/list/%s/%s.bin || exit 9\n"
        "echo \"@@ $(grep -h '^safe=' /run/mediad/media/%s) "
        "$(grep '^Dirty:' /proc/meminfo | tr -s ' ')\"\n"
        "%s; echo \"@@rc=$?\""
        % (tag, size, name, tag.lower(), name,
           as_user(MEMBER, "medialist eject " + other)), 150)
    lines = out.splitlines()
    before = lines[0][3:] if lines and lines[0].startswith("@@ ") else "?"
    rc = int(lines[-1].split("=")[1])
    return rc, " ".join(lines[1:-1]), before


@scenario("card reader with two LUNs, one mounted and written: eject of the "
          "other refuses or flushes first, never loses the data",
          needs=NEED + ("medialist",))
def eject_reader_sibling(ctx):
    member_ok(ctx)
    d = ctx.img_dir("ejrdr")
    # ext4: its delayed allocation keeps a write dirty for up to 30 s
    # (vfat, mounted with `flush`, writes on close)
    a = mt.filesystem(d, "ra", "ext4", 24, label="RDRA",
                      files={"a.txt": "a\n"})
    b = mt.filesystem(d, "rb", "vfat16", 16, label="RDRB",
                      files={"b.txt": "b\n"})
    size = 4 * MiB
    ctx.mark()
    ctx.vm.plug_usb_scsi("rdr", [("rdra", a, False), ("rdrb", b, False)])
    ctx.link_wait("RDRA")
    ctx.link_wait("RDRB")
    da, db = (disk_of(ctx.record(n)["devname"]) for n in ("RDRA", "RDRB"))
    check(da != db, "the two LUNs are one disk: %s" % da)
    kname = os.path.basename(da)
    present = "[ -b %s ] && [ -b %s ] && [ -L /media/list/RDRA ] && " \
              "[ -L /media/list/RDRB ] && echo present" % (da, db)
    powered_off = None
    # Round 1: RDRA busy (a reader holds it) and just written: it cannot
    # be unmounted, so the eject of RDRB must be refused, naming it.
    ctx.sh("cat /media/list/RDRA/a.txt >/dev/null; "
           "sleep 600 < /media/list/RDRA/a.txt >/dev/null 2>&1 & "
           "echo $! > /run/e2e/holder")
    rc, msg, before = write_then_eject(ctx, "R1", size, "RDRA", "RDRB")
    ctx.note("round 1 (RDRA busy; before: %s): status %d: %s"
             % (before, rc, msg))
    ok1 = rc != 0
    if ok1:
        check("RDRA" in msg or kname in msg,
              "round 1 refused without naming RDRA: %s" % msg)
        check(ctx.sh(present) == "present\n",
              "refused, but a LUN or a link went away")
        check(ctx.mounted("RDRA") is not None,
              "refused, but RDRA was unmounted (busy)")
    else:
        powered_off = "round 1"
    ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
    # Round 2: RDRA mounted and written, not busy: flushing and unmounting
    # it first is allowed, powering off before that is not.
    if ok1:
        ctx.mark()
        rc, msg, before = write_then_eject(ctx, "R2", size, "RDRA", "RDRB")
        ctx.note("round 2 (RDRA idle; before: %s): status %d: %s"
                 % (before, rc, msg))
        if rc == 0:
            t = ctx.wait("-L", "/media/list/RDRA", 30, gone=True)
            ctx.wait("-L", "/media/list/RDRB", 30, gone=True)
            ctx.times.append(("poweroff-to-unlink", t))
            check(not [m for m in ctx.no_media_mounts() if "/RDR" in m],
                  "RDRA still mounted after the eject: %s"
                  % ctx.no_media_mounts())
        else:
            check("RDRA" in msg or kname in msg,
                  "round 2 refused without naming RDRA: %s" % msg)
            ctx.sh("medialist unmount RDRA >/dev/null 2>&1; sync")
            check(ctx.sh(present) == "present\n",
                  "refused, but a LUN or a link went away")
    ctx.mark()
    ctx.vm.unplug_usb_scsi("rdr")
    ctx.sh("e2e-wait -n -L /media/list/RDRA 30 >/dev/null; "
           "e2e-wait -n -L /media/list/RDRB 30 >/dev/null")
    # On the host: what reached the card.
    lost = []
    for tag in ("R1", "R2") if ok1 else ("R1",):
        try:
            data = mt.run("debugfs", "-R", "cat /%s.bin" % tag.lower(),
                          a).encode()
        except RuntimeError as e:
            data = str(e).encode()
        if data != mt.pattern(tag, size):
            lost.append("%s.bin: %d of %d bytes" % (tag.lower(), len(data),
                                                    size))
    dirty, fsck = mt.ext_dirty(a)
    ctx.note("RDRA on the host: %s; e2fsck -fn: %s" % (
        "; ".join(lost) or "every byte there",
        "not clean" if dirty else "clean"))
    if powered_off:
        raise Fail("eject of RDRB with RDRA busy and written was not refused "
                   "(%s: %s); on the card: %s" % (powered_off, msg,
                                                  "; ".join(lost) or "intact"))
    check(not lost, "data written to RDRA lost: %s" % "; ".join(lost))
    check(not dirty, "RDRA not clean after an unmount:\n" + fsck)
