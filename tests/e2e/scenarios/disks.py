# SPDX-License-Identifier: GPL-2.0-or-later
# Disks and drives that are not USB: a virtio-SCSI disk hot-plugged, the
# IDE CD-ROM's medium changed and ejected, an IDE disk present at boot.
"""Scenarios: SCSI, IDE disk and IDE CD-ROM."""

from harness import NEED, PUB, check, common_mount_checks, mt, scenario


@scenario("SCSI disk hot-plug and unplug (virtio-scsi scsi-hd)", needs=PUB)
def scsi_hd(ctx):
    d = ctx.img_dir("scsi")
    img = mt.filesystem(d, "scsi", "ext4", 16, label="SCSIDISK",
                        files={"s.txt": "scsi disk\n"})
    ctx.mark()
    ctx.vm.plug_scsi("scsi", img, scsi_id=3)
    ctx.link_wait("SCSIDISK")
    rec = ctx.record("SCSIDISK")
    check(rec.get("fstype") == "ext4" and rec.get("bus") in ("scsi", "virtio"),
          "record: %r" % rec)
    # an internal disk (scsi-hd is not removable), internal_rw unset: ro
    check(rec.get("removable") == "0", "scsi-hd taken for removable: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "internal disk offered without ro: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/SCSIDISK/s.txt")
        check(out == "scsi disk\n", "read: %r" % out)
        common_mount_checks(ctx, "SCSIDISK", rec, "ext4", want_ro=True)
    if ctx.has("medialist"):
        # a user neither root nor in allow_group: every request that would
        # change the disk's state is refused (there is no mount request:
        # what is mounted, and how, is the policy's)
        for verb in ("unmount", "eject"):
            rc, out = ctx.run("su -s /bin/sh nobody -c "
                              "'medialist %s SCSIDISK' 2>&1" % verb)
            check(rc == 1 and "permission denied" in out,
                  "%s by nobody: status %d, %r" % (verb, rc, out))
        after = ctx.record("SCSIDISK")
        check(after.get("options") == rec.get("options"),
              "options changed: %r -> %r" % (rec, after))
        if ctx.mounting():
            m = ctx.mounted("SCSIDISK")
            check(m is not None and "ro" in m[1],
                  "after the refusals: %r" % (m,))
    ctx.medialist(["SCSIDISK"])
    ctx.mark()
    ctx.vm.unplug_scsi("scsi")
    ctx.wait("-L", "/media/list/SCSIDISK", 30, gone=True,
             what="unplug-to-unlink")


def _cd_change(ctx, mounted):
    # Media polling runs every 2 s: 25 s is plenty, also under load.
    d = ctx.img_dir("cd")
    a = mt.iso(d, "cd1", "CDONE", {"one.txt": "first disc\n"})
    b = mt.iso(d, "cd2", "CDTWO", {"two.txt": "second disc\n"})
    ctx.mark()
    ctx.vm.cd_insert(a)
    ctx.link_wait("CDONE", 25)
    rec = ctx.record("CDONE")
    check(rec.get("fstype") == "iso9660" and rec.get("bus") == "ata",
          "record: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "CD record options lack ro: %r" % rec)
    if mounted:
        out = ctx.sh("cat /media/list/CDONE/one.txt")
        check(out == "first disc\n", "read CDONE: %r" % out)
        common_mount_checks(ctx, "CDONE", rec, "iso9660", want_ro=True)
    ctx.mark()
    ctx.vm.cd_insert(b)       # change medium: tray opens and closes
    ctx.link_wait("CDTWO", 25)
    ctx.wait("-L", "/media/list/CDONE", 25, gone=True)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/CDTWO/two.txt")
        check(out == "second disc\n", "read CDTWO: %r" % out)
        if not mounted:
            # The plain case ejects an idle drive: wait for the expiry.
            ctx.unmounted_wait("CDTWO", 30, "CDTWO never expired")
    ctx.medialist(["CDTWO"], ["CDONE"])
    ctx.mark()
    ctx.vm.cd_eject()
    ctx.wait("-L", "/media/list/CDTWO", 25, gone=True,
             what="eject-to-unlink")


@scenario("IDE CD-ROM: medium changed and ejected through QMP", needs=PUB)
def ide_cd(ctx):
    _cd_change(ctx, mounted=False)


@scenario("IDE CD-ROM: medium changed and ejected while mounted",
          needs=NEED)
def ide_cd_mounted(ctx):
    _cd_change(ctx, mounted=True)


@scenario("IDE disk present at boot (coldplug)", needs=PUB)
def ide_coldplug(ctx):
    ctx.sh("e2e-wait -L /media/list/IDEDISK 20")
    rec = ctx.record("IDEDISK")
    check(rec.get("bus") == "ata" and rec.get("fstype") == "ext4",
          "record: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/IDEDISK/boot.txt")
        check(out == "present at boot\n", "read IDEDISK: %r" % out)
        common_mount_checks(ctx, "IDEDISK", rec, "ext4")
    ctx.medialist(["IDEDISK"])
