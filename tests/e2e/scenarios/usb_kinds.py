# SPDX-License-Identifier: GPL-2.0-or-later
# More kinds of USB media (issue 15): a UAS drive, a two-slot card reader
# with one slot empty, hybrid ISO sticks (our own and a Debian-like one),
# and a stick whose partition table is rewritten in the guest.
"""Scenarios: UAS, card reader slots, hybrid ISOs, re-partitioning."""

import json
import os
import shlex

from harness import (PUB, Skip, check, common_mount_checks, consistent, mt,
                     scenario, snapshot)

ISOLINUX = "/usr/lib/ISOLINUX"      # Debian's isolinux package


def links(ctx):
    return set(ctx.sh("ls -A /media/list").split("\n")) - {""}


@scenario("USB Attached SCSI drive (usb-uas + scsi-hd)", needs=PUB)
def uas(ctx):
    d = ctx.img_dir("uas")
    img = mt.disk(d, "uas", "gpt", [("ext4", mt.filesystem(
        d, "p1", "ext4", 16, label="UASDRIVE",
        files={"u.txt": "uas drive\n"}))])
    ctx.mark()
    ctx.vm.plug_usb_scsi("uas1", [("uas1", img, False)], driver="usb-uas")
    ctx.link_wait("UASDRIVE")
    rec = ctx.record("UASDRIVE")
    disk = os.path.basename(rec.get("devname", "")).rstrip("0123456789")
    drv = ctx.sh("basename $(readlink -f /sys/block/%s/device/../../../"
                 "driver)" % disk).strip()
    check(drv == "uas", "the drive is driven by %r, not uas" % drv)
    check(rec.get("bus") == "usb" and rec.get("fstype") == "ext4" and
          "ro" not in rec.get("options", "").split(","),
          "UASDRIVE record: %r" % rec)
    if ctx.mounting():
        out = ctx.sh("cat /media/list/UASDRIVE/u.txt && "
                     "echo w > /media/list/UASDRIVE/w.txt && "
                     "cat /media/list/UASDRIVE/w.txt")
        check(out == "uas drive\nw\n", "read/write UASDRIVE: %r" % out)
        common_mount_checks(ctx, "UASDRIVE", rec, "ext4")
    ctx.medialist(["UASDRIVE"])
    ctx.release("UASDRIVE")
    ctx.mark()
    ctx.vm.unplug_usb_scsi("uas1")
    ctx.unlink_wait("UASDRIVE")


@scenario("card reader with two slots (usb-bot, two LUNs), one empty: the "
          "empty slot lists nothing and wakes nothing", needs=PUB)
def reader_empty_slot(ctx):
    d = ctx.img_dir("slots")
    card = mt.filesystem(d, "c1", "vfat16", 16, label="SLOTCARD",
                         files={"c.txt": "card in slot 1\n"})
    later = mt.filesystem(d, "c2", "vfat16", 16, label="SLOTLATER")
    before = links(ctx)
    ctx.mark()
    ctx.vm.plug_usb_scsi("rdr2", [("slot1", card, False), ("slot2", None,
                                                            False)])
    ctx.link_wait("SLOTCARD")
    # the empty slot: LUN 1 of the SCSI target that holds the card's disk
    card_disk = os.path.basename(ctx.record("SLOTCARD")["devname"])
    empty = ctx.sh("h=$(basename $(readlink -f /sys/block/%s/device)); "
                   "ls /sys/bus/scsi/devices/${h%%:*}:1/block/" % card_disk
                   ).strip()
    check(empty.startswith("sd"), "no block device for the empty slot: %r"
          % empty)
    ctx.sh("sleep 2")       # the empty slot's add has been handled
    mark = ctx.sh("wc -l < /run/e2e/uevents.log; wc -l < /run/e2e/mediad.log"
                  ).split()
    ctx.sh("sleep 4")
    out = ctx.sh("tail -n +%d /run/e2e/uevents.log | grep -c ' %s ' || true; "
                 "tail -n +%d /run/e2e/mediad.log | grep -c '%s' || true"
                 % (int(mark[0]) + 1, empty, int(mark[1]) + 1, empty))
    n_uev, n_log = (int(x) for x in out.split())
    check(n_uev == 0 and n_log == 0, "the empty slot %s woke something in "
          "4 s: %d uevents, %d mediad log lines" % (empty, n_uev, n_log))
    check(links(ctx) - before == {"SLOTCARD"},
          "new entries: %s" % sorted(links(ctx) - before))
    out = ctx.sh("grep -l '^kname=%s$' /run/mediad/media/* || true" % empty)
    check(not out.strip(), "the empty slot has a record: %s" % out)
    if ctx.has("medialist"):
        out = ctx.sh("medialist -a 2>&1 | grep -w %s || true" % empty)
        ctx.note("medialist -a on the empty slot %s: %s"
                 % (empty, out.strip() or "nothing"))
    if ctx.mounting():
        out = ctx.sh("cat /media/list/SLOTCARD/c.txt")
        check(out == "card in slot 1\n", "read SLOTCARD: %r" % out)
    # A card put into the empty slot: QEMU 7.2's usb-bot raises no unit
    # attention for a LUN's medium change, so the guest's media polling
    # sees nothing (noted, not failed).
    ctx.mark()
    ctx.vm.change_medium("rdr2-lun1", later)
    rc, _ = ctx.run("e2e-wait -L /media/list/SLOTLATER 5")
    ctx.note("a card put into the empty slot: %s" % (
        "appeared" if rc == 0 else "not seen by the guest in 5 s (QEMU "
        "signals no medium change on a usb-bot LUN)"))
    ctx.release("SLOTCARD")
    ctx.mark()
    ctx.vm.unplug_usb_scsi("rdr2")
    ctx.unlink_wait("SLOTCARD")
    ctx.wait("-L", "/media/list/SLOTLATER", 10, gone=True)


def hybrid_iso(d, name, label, efi_label, appended):
    """An isohybrid image as distributions make them: isolinux El Torito
    and MBR, an EFI El Torito image, -isohybrid-gpt-basdat.  appended: the
    EFI image as an appended partition (our live CD) instead of a file
    inside the ISO (Debian's installer)."""
    for f in ("isolinux.bin", "isohdpfx.bin"):
        if not os.path.exists(os.path.join(ISOLINUX, f)):
            raise Skip("%s/%s missing (Debian package isolinux)"
                       % (ISOLINUX, f))
    efi = mt.filesystem(d, name + "-efi", "vfat16", 16, label=efi_label,
                        files={"EFI/BOOT/BOOTX64.EFI": "not a loader\n"})
    with open(os.path.join(ISOLINUX, "isolinux.bin"), "rb") as f:
        loader = f.read()
    files = {"isolinux/isolinux.bin": loader, "readme.txt": label + "\n"}
    if appended:
        extra = ["-e", "--interval:appended_partition_2:all::",
                 "-append_partition", "2", "0xef", efi]
    else:
        with open(efi, "rb") as f:
            files["boot/efi.img"] = f.read()
        extra = ["-e", "boot/efi.img"]
    return mt.iso(d, name, label, files, [
        "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
        "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
        "-isohybrid-mbr", os.path.join(ISOLINUX, "isohdpfx.bin"),
        "-eltorito-alt-boot"] + extra[:2] + [
        "-no-emul-boot", "-isohybrid-gpt-basdat"] + extra[2:])


@scenario("hybrid ISO sticks (our live CD's layout, Debian installer's "
          "layout): one entry each, under the ISO's label", needs=PUB)
def hybrid_isos(ctx):
    d = ctx.img_dir("hyb")
    for label, efi, appended in (("HYBLIVE", "HYBEFI", True),
                                 ("HYBDEBIAN", "HYBDEBEFI", False)):
        img = hybrid_iso(d, label.lower(), label, efi, appended)
        before = links(ctx)
        ctx.mark()
        ctx.vm.plug_usb(label.lower(), img)
        ctx.link_wait(label)
        ctx.sh("sleep 2")       # a late second entry shows too
        new = links(ctx) - before
        disk = os.path.basename(ctx.record(label).get("devname", "")
                                ).rstrip("0123456789")
        if ctx.has("medialist"):
            out = ctx.sh("medialist -a 2>&1 | grep -w -e '/dev/%s[0-9]*' "
                         "|| true" % disk)
            ctx.note("%s: medialist -a: %s" % (label, " | ".join(
                " ".join(ln.split()) for ln in out.splitlines())))
        check(new == {label}, "%s: new entries %s, expected only %s"
              % (label, sorted(new), label))
        rec = ctx.record(label)
        check(rec.get("fstype") == "iso9660" and
              rec.get("devname", "") != "/dev/" + disk,
              "%s: not offered as the ISO's partition: %r" % (label, rec))
        if ctx.mounting():
            out = ctx.sh("cat /media/list/%s/readme.txt" % label)
            check(out == label + "\n", "%s: read %r" % (label, out))
        ctx.medialist([label])
        ctx.release(label)
        ctx.mark()
        ctx.vm.unplug_usb(label.lower())
        ctx.unlink_wait(label)


def table(img):
    """The partitions of an image: [(start, size, type)] in sectors."""
    pt = json.loads(mt.run("sfdisk", "-J", img))["partitiontable"]
    return pt["label"], [(p["start"], p["size"], p["type"])
                         for p in pt["partitions"]]


def script(label, parts):
    return "label: %s\n" % label + "".join(
        "start=%d, size=%d, type=%s\n" % p for p in parts)


@scenario("partition table rewritten with sfdisk while plugged: the old "
          "entries go, the new come, no name left over", needs=PUB)
def repartition(ctx):
    d = ctx.img_dir("repart")
    fs = [mt.filesystem(d, n, "ext4", 16, label=lab,
                        files={"who.txt": lab + "\n"})
          for n, lab in (("a", "OLDPART"), ("b", "KEEPPART"),
                         ("c", "NEWPART"))]
    img = mt.disk(d, "repart", "dos", [("ext4", f) for f in fs])
    label, parts = table(img)
    # Plugged with the first two; the guest rewrites it to the last two
    # (KEEPPART moves from partition 2 to 1, NEWPART appears as 2).
    mt.run("sfdisk", "-q", "--no-reread", "--no-tell-kernel", img,
           input=script(label, parts[:2]).encode())
    ctx.mark()
    ctx.vm.plug_usb("repart", img)
    ctx.link_wait("OLDPART")
    ctx.link_wait("KEEPPART")
    disk = ctx.record("OLDPART")["devname"].rstrip("0123456789")
    ctx.mark()
    out = ctx.sh("printf %s | sfdisk -q --wipe never --wipe-partitions never "
                 "%s 2>&1; echo rc=$?" % (shlex.quote(script(
                     label, parts[1:])), disk), 60)
    check(out.rstrip().endswith("rc=0"), "sfdisk in the guest: %s" % out)
    ctx.link_wait("NEWPART")
    ctx.wait("-L", "/media/list/OLDPART", 30, gone=True,
             what="rewrite-to-unlink OLDPART")
    ctx.sh("e2e-wait -L /media/list/KEEPPART 30 >/dev/null; sleep 1")
    snap = snapshot(ctx)
    consistent(ctx, snap, "after the rewrite")
    usb = {n for n, r in snap[0].items() if r.get("devname", "")
           .startswith(disk)}
    check(usb == {"KEEPPART", "NEWPART"}, "after the rewrite: %s, expected "
          "KEEPPART and NEWPART" % sorted(usb))
    check(snap[0]["KEEPPART"].get("devname") == disk + "1",
          "KEEPPART is %s, expected %s1" % (snap[0]["KEEPPART"].get(
              "devname"), disk))
    if ctx.mounting():
        out = ctx.sh("cat /media/list/KEEPPART/who.txt "
                     "/media/list/NEWPART/who.txt")
        check(out == "KEEPPART\nNEWPART\n", "contents: %r" % out)
        ctx.release("KEEPPART")
        ctx.release("NEWPART")
    ctx.mark()
    ctx.vm.unplug_usb("repart")
    ctx.unlink_wait("KEEPPART")
    ctx.wait("-L", "/media/list/NEWPART", 30, gone=True)
