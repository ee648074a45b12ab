# SPDX-License-Identifier: GPL-2.0-or-later
# Media the kernel will not mount as they come: an ext4 marked with errors
# (automount's fsck), a hibernated NTFS and an ext4 needing replay read-only.
"""Scenarios: the mount fallback on the real kernel."""

import time

from harness import NEED, check, common_mount_checks, mt, scenario


@scenario("ext4 stick marked as having errors (automount's fsck trap)",
          needs=NEED)
def ext4_errors(ctx):
    d = ctx.img_dir("errs")
    img = mt.filesystem(d, "e", "ext4", 16, label="ERRSTICK",
                        files={"f.txt": "still readable\n"})
    mt.run("debugfs", "-w", "-R", "ssv state 2", img)
    before = mt.run("dumpe2fs", "-h", img)
    check("with errors" in before, "could not mark the image: " + before)
    ctx.mark()
    ctx.vm.plug_usb("errs", img)
    ctx.link_wait("ERRSTICK")
    t0 = time.monotonic()
    out = ctx.sh("cat /media/list/ERRSTICK/f.txt")
    check(out == "still readable\n", "read: %r" % out)
    ctx.times.append(("first-access", time.monotonic() - t0))
    rec = ctx.record("ERRSTICK")
    common_mount_checks(ctx, "ERRSTICK", rec, "ext4")
    ran = ctx.sh("grep -c fsck /run/e2e/automount.log || true").strip()
    ctx.vm.unplug_usb("errs")
    ctx.wait("-L", "/media/list/ERRSTICK", 30, gone=True)
    after = [ln for ln in mt.run("dumpe2fs", "-h", img).splitlines()
             if ln.startswith("Filesystem state:")]
    # What mediad decides (fsck or not) is pinned by its own tests; this
    # records what really happened on Debian's automount and kernel.
    ctx.note("automount log lines naming fsck: %s; after the pull: %s"
             % (ran, after[0] if after else "?"))


@scenario("mount fallback on the real kernel: hibernated NTFS read-only, "
          "ext4 needing replay on a read-only stick", needs=NEED +
          ("mount.mediad", "medialist"))
def fallback(ctx):
    d = ctx.img_dir("fb")
    ntfs = mt.filesystem(d, "hib", "ntfs", 16, label="HIBERNTFS",
                         # hiberfil.sys last: ntfscp refuses to write
                         # to a hibernated volume
                         files={"doc.txt": "windows\n",
                                "hiberfil.sys": "hibr" + "x" * 1020})
    ext = mt.filesystem(d, "rep", "ext4", 16, label="REPLAYME",
                        files={"r.txt": "replay\n"})
    # The journal says a replay is due; on a write-protected stick the
    # kernel refuses to mount without noload.
    mt.run("debugfs", "-w", "-R", "feature needs_recovery", ext)
    check("needs_recovery" in mt.run("dumpe2fs", "-h", ext),
          "could not mark the ext4 image")
    before = mt.run("md5sum", ext).split()[0]
    ctx.mark()
    ctx.vm.plug_usb("hib", ntfs)
    ctx.link_wait("HIBERNTFS")
    ctx.mark()
    ctx.vm.plug_usb("rep", ext, readonly=True)
    ctx.link_wait("REPLAYME")
    seen = {}
    for name, f, want in (("HIBERNTFS", "doc.txt", "windows\n"),
                          ("REPLAYME", "r.txt", "replay\n")):
        rc, out = ctx.run("cat /media/list/%s/%s" % (name, f), 90)
        check(rc == 0 and out == want, "%s: read %r" % (name, out))
        m = ctx.mounted(name)
        check(m is not None and "ro" in m[1],
              "%s: not mounted read-only: %r" % (name, m))
        deadline = time.monotonic() + 10
        while True:
            item = ctx.json_item(name)
            note = item.get("mount_note") or ""
            if note or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        seen[name] = (m, item)
        check(note, "%s: mounted %s but medialist --json gives no "
              "mount_note: %r" % (name, m, item))
        ctx.note("%s: mounted %s (%s); mount_note: %s" % (
            name, m[0], ",".join(m[1]), note))
    hn = seen["HIBERNTFS"][1]["mount_note"].lower()
    check("hibernat" in hn, "HIBERNTFS: the note does not give the "
          "driver's reason: %r" % hn)
    check("noload" in seen["REPLAYME"][0][1] or
          "norecovery" in seen["REPLAYME"][0][1],
          "REPLAYME mounted without noload: %r" % (seen["REPLAYME"][0],))
    ctx.vm.unplug_usb("hib")
    ctx.vm.unplug_usb("rep")
    ctx.wait("-L", "/media/list/HIBERNTFS", 30, gone=True)
    ctx.wait("-L", "/media/list/REPLAYME", 30, gone=True)
    check(mt.run("md5sum", ext).split()[0] == before,
          "the read-only ext4 stick's image changed")
