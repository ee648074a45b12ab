# SPDX-License-Identifier: GPL-2.0-or-later
# USB sticks on xHCI: MBR, GPT, superfloppy, ISO 9660, twins and eight
# sticks behind a hub, each published, read, written and pulled.
"""Scenarios: USB mass storage sticks."""

import shlex

from harness import Fail, PUB, check, common_mount_checks, mt, scenario


@scenario("USB stick, MBR with FAT32 and ext4", needs=PUB)
def usb_mbr(ctx):
    d = ctx.img_dir("mbr")
    p1 = mt.filesystem(d, "p1", "vfat32", 40, label="KEYCHAIN",
                       files={"hello.txt": "hello fat32\n"})
    p2 = mt.filesystem(d, "p2", "ext4", 16, label="EXTDATA",
                       files={"dir/ext.txt": "hello ext4\n"})
    img = mt.disk(d, "mbr", "dos", [("vfat32", p1), ("ext4", p2)])
    ctx.mark()
    ctx.vm.plug_usb("mbr", img)
    ctx.link_wait("KEYCHAIN")
    ctx.link_wait("EXTDATA")
    # Listing the links mounts nothing.
    ctx.sh("ls /media/list >/dev/null; ls -l /media/list >/dev/null; "
           "ls -F /media/list >/dev/null")
    check(not ctx.no_media_mounts(), "listing mounted: %s"
          % ctx.no_media_mounts())
    rec = ctx.record("KEYCHAIN")
    check(rec.get("fstype") == "vfat" and rec.get("bus") == "usb" and
          rec.get("label") == "KEYCHAIN" and
          rec.get("devname", "").startswith("/dev/sd"),
          "KEYCHAIN record: %r" % rec)
    rec2 = ctx.record("EXTDATA")
    check(rec2.get("fstype") == "ext4", "EXTDATA record: %r" % rec2)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/KEYCHAIN/hello.txt")
        check(out == "hello fat32\n", "read KEYCHAIN: %r" % out)
        out = ctx.sh("echo written > /media/list/KEYCHAIN/new.txt && "
                     "cat /media/list/KEYCHAIN/new.txt")
        check(out == "written\n", "write KEYCHAIN: %r" % out)
        common_mount_checks(ctx, "KEYCHAIN", rec, "vfat")
        ctx.record_wait("KEYCHAIN", "mountpoint", "/media/auto/KEYCHAIN")
        out = ctx.sh("cat /media/list/EXTDATA/dir/ext.txt && "
                     "echo w > /media/list/EXTDATA/w.txt && "
                     "cat /media/list/EXTDATA/w.txt")
        check(out == "hello ext4\nw\n", "read/write EXTDATA: %r" % out)
        common_mount_checks(ctx, "EXTDATA", rec2, "ext4")
    ctx.medialist(["KEYCHAIN", "EXTDATA"])
    ctx.sh("sync")
    ctx.mark()
    ctx.vm.unplug_usb("mbr")
    ctx.wait("-L", "/media/list/KEYCHAIN", 30, gone=True,
             what="unplug-to-unlink")
    ctx.wait("-L", "/media/list/EXTDATA", 30, gone=True)
    out = ctx.sh("ls /run/mediad/media/")
    check("KEYCHAIN" not in out and "EXTDATA" not in out,
          "records left after unplug: %r" % out)
    ctx.medialist(names_absent=["KEYCHAIN", "EXTDATA"])


@scenario("USB stick, GPT with exFAT and NTFS", needs=PUB)
def usb_gpt(ctx):
    d = ctx.img_dir("gpt")
    p1 = mt.filesystem(d, "p1", "exfat", 16, label="EXSTICK")
    p2 = mt.filesystem(d, "p2", "ntfs", 16, label="NTSTICK",
                       files={"win.txt": "hello ntfs\n"})
    img = mt.disk(d, "gpt", "gpt", [("exfat", p1), ("ntfs", p2)])
    ctx.mark()
    ctx.vm.plug_usb("gpt", img)
    ctx.link_wait("EXSTICK")
    ctx.link_wait("NTSTICK")
    rec = ctx.record("EXSTICK")
    check(rec.get("fstype") == "exfat", "EXSTICK record: %r" % rec)
    rec2 = ctx.record("NTSTICK")
    check(rec2.get("fstype") == "ntfs", "NTSTICK record: %r" % rec2)
    if ctx.mounting():
        out = ctx.sh("echo exfat-data > /media/list/EXSTICK/e.txt && "
                     "cat /media/list/EXSTICK/e.txt")
        check(out == "exfat-data\n", "write/read exFAT: %r" % out)
        common_mount_checks(ctx, "EXSTICK", rec, "exfat")
        out = ctx.sh("cat /media/list/NTSTICK/win.txt && "
                     "echo n > /media/list/NTSTICK/n.txt && "
                     "cat /media/list/NTSTICK/n.txt", 90)
        check(out == "hello ntfs\nn\n", "read/write NTFS: %r" % out)
        # Debian 12's kernel has no ntfs3: NTFS goes through ntfs-3g.
        common_mount_checks(ctx, "NTSTICK", rec2, "fuseblk")
    ctx.medialist(["EXSTICK", "NTSTICK"])
    ctx.sh("sync")
    ctx.mark()
    ctx.vm.unplug_usb("gpt")
    ctx.wait("-L", "/media/list/EXSTICK", 30, gone=True,
             what="unplug-to-unlink")
    ctx.wait("-L", "/media/list/NTSTICK", 30, gone=True)


@scenario("USB superfloppy FAT16, label with spaces and non-ASCII",
          needs=PUB)
def usb_superfloppy(ctx):
    d = ctx.img_dir("sf")
    # FAT keeps labels in the DOS code page: libblkid hands the raw cp850
    # bytes over, which are not UTF-8; the name must still be valid UTF-8.
    img = mt.filesystem(d, "sf", "vfat16", 16, label="MY STÏCK É",
                        files={"f.txt": "superfloppy\n"})
    before = set(ctx.sh("ls -A /media/list").split("\n"))
    ctx.mark()
    ctx.vm.plug_usb("sf", img)
    out = ctx.sh(r"""
        i=0
        while [ $i -lt 3000 ]; do
            for l in /media/list/*; do
                case $l in "/media/list/MY ST"*)
                    e2e-since; echo "${l#/media/list/}"; exit 0 ;;
                esac
            done
            usleep 10000; i=$((i + 1))
        done; ls -A /media/list; exit 1""", 45)
    t, _, name = out.partition("\n")
    name = name.rstrip("\n")
    ctx.times.append(("plug-to-link " + name, float(t[2:])))
    check(name not in before, "name existed before plug")
    check(" " in name, "space not kept in name %r" % name)
    try:
        name.encode("utf-8").decode("utf-8", "strict")
    except UnicodeError:
        raise Fail("name is not valid UTF-8: %r" % name)
    check("/" not in name and not name.startswith((".", "-")),
          "unsafe name %r" % name)
    ctx.note("label bytes 'MY ST\\xd8CK \\x90' published as %r" % name)
    rec = ctx.record(name)
    check(rec.get("fstype") == "vfat", "record: %r" % rec)
    if ctx.mounting():
        q = shlex.quote("/media/list/" + name)
        out = ctx.sh("cat %s/f.txt" % q)
        check(out == "superfloppy\n", "read superfloppy: %r" % out)
        common_mount_checks(ctx, name, rec, "vfat")
    ctx.medialist([name])
    ctx.mark()
    ctx.vm.unplug_usb("sf")
    ctx.wait("-L", "/media/list/" + name, 30, gone=True,
             what="unplug-to-unlink")


@scenario("USB stick holding an ISO 9660 image", needs=PUB)
def usb_iso(ctx):
    d = ctx.img_dir("uiso")
    img = mt.iso(d, "uiso", "ISOSTICK", {"readme.txt": "iso on usb\n"})
    ctx.mark()
    ctx.vm.plug_usb("uiso", img, readonly=True)
    ctx.link_wait("ISOSTICK")
    rec = ctx.record("ISOSTICK")
    check(rec.get("fstype") == "iso9660", "record: %r" % rec)
    check(rec.get("readonly") in ("1", "yes", "true"),
          "read-only stick not marked readonly: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "ISO record options lack ro: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/ISOSTICK/readme.txt")
        check(out == "iso on usb\n", "read iso: %r" % out)
        common_mount_checks(ctx, "ISOSTICK", rec, "iso9660", want_ro=True)
        rc, _ = ctx.run("echo x > /media/list/ISOSTICK/x.txt")
        check(rc != 0, "write to an ISO 9660 stick succeeded")
    ctx.mark()
    ctx.vm.unplug_usb("uiso")
    ctx.wait("-L", "/media/list/ISOSTICK", 30, gone=True,
             what="unplug-to-unlink")


@scenario("two USB sticks with the same label", needs=PUB)
def usb_twins(ctx):
    d = ctx.img_dir("twins")
    a = mt.filesystem(d, "a", "vfat32", 40, label="TWIN",
                      files={"who.txt": "A\n"})
    b = mt.filesystem(d, "b", "vfat32", 40, label="TWIN",
                      files={"who.txt": "B\n"})
    ctx.mark()
    ctx.vm.plug_usb("twa", a)
    ctx.link_wait("TWIN")
    ctx.mark()
    ctx.vm.plug_usb("twb", b)
    ctx.link_wait("TWIN_2")
    ra, rb = ctx.record("TWIN"), ctx.record("TWIN_2")
    check(ra.get("devname") != rb.get("devname"),
          "twins on one device: %r %r" % (ra, rb))
    if ctx.mounting():
        out = ctx.sh("cat /media/list/TWIN/who.txt /media/list/TWIN_2/who.txt")
        check(out == "A\nB\n", "twins content: %r" % out)
    ctx.medialist(["TWIN", "TWIN_2"])
    ctx.mark()
    ctx.vm.unplug_usb("twa")
    ctx.wait("-L", "/media/list/TWIN", 30, gone=True, what="unplug-to-unlink")
    out = ctx.sh("ls -A /media/list")
    check("TWIN_2" in out.split("\n"),
          "the second twin changed name: %r" % out)
    check(ctx.record("TWIN_2").get("devname") == rb.get("devname"),
          "TWIN_2 now names another device")
    if ctx.mounting():
        out = ctx.sh("cat /media/list/TWIN_2/who.txt")
        check(out == "B\n", "the second twin's content: %r" % out)
    ctx.vm.unplug_usb("twb")
    ctx.wait("-L", "/media/list/TWIN_2", 30, gone=True)


@scenario("eight USB sticks behind a hub, plugged and pulled together",
          needs=PUB)
def usb_hub8(ctx):
    d = ctx.img_dir("hub")
    imgs = [mt.filesystem(d, "h%d" % i, "vfat16", 16, label="HUB%d" % i,
                          files={"n.txt": "%d\n" % i}) for i in range(8)]
    ctx.vm.device_add("usb-hub", "hub0", bus="xhci.0")
    port = ctx.vm.usb_port("hub0")
    ctx.sh("sleep 1")
    ctx.mark()
    for i, img in enumerate(imgs):
        ctx.vm.plug_usb("hub%d" % i, img, port="%s.%d" % (port, i + 1))
    t = [ctx.wait("-L", "/media/list/HUB%d" % i, 90) for i in range(8)]
    ctx.times.append(("plug-to-all-8-links", max(t)))
    if ctx.mounting():
        out = ctx.sh("for i in 0 1 2 3 4 5 6 7; do "
                     "cat /media/list/HUB$i/n.txt; done", 120)
        check(out == "".join("%d\n" % i for i in range(8)),
              "hub sticks content: %r" % out)
    ctx.medialist(["HUB%d" % i for i in range(8)])
    ctx.mark()
    ctx.vm.device_del("hub0")     # pulls all eight at once
    for i in range(8):
        ctx.vm.blockdev_del("hub%d" % i)
    t = [ctx.wait("-L", "/media/list/HUB%d" % i, 60, gone=True)
         for i in range(8)]
    ctx.times.append(("unplug-to-all-8-unlinked", max(t)))
    check(not ctx.no_media_mounts(), "stale mounts: %s"
          % ctx.no_media_mounts())
