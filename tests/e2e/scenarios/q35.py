# SPDX-License-Identifier: GPL-2.0-or-later
# Hardware of a q35 machine (issue 15): an SD card in an SDHCI reader, a
# SATA disk on AHCI, an NVMe drive hot-plugged on a PCIe root port and one
# present at boot behind a root port without hot-plug (a laptop's SSD).
# One boot per mode serves them all; the machine and its boot media are here.
"""Scenarios: SD, SATA and NVMe on a q35 guest."""

import shlex

from harness import (PUB, check, common_mount_checks, machine, mt,
                     scenario)
import qemu_driver as qd


@machine("q35")
def q35_machine(d):
    """q35 (ICH9 AHCI, PCIe): an SD card, a SATA disk and an NVMe drive
    (behind rp2, a root port with hotplug=off) present at boot, a free
    PCIe root port (rp1, hot-plug capable: acpiphp registers its slot)
    for hot-plug."""
    # SD cards must be a power of two in size.
    sd = mt.disk(d, "sdcard", "dos", [("vfat32", mt.filesystem(
        d, "sdp1", "vfat32", 40, label="SDCARD",
        files={"card.txt": "sd card\n"}))], size_mib=64)
    sata = mt.filesystem(d, "sata", "ext4", 16, label="SATABOOT",
                         files={"s.txt": "sata at boot\n"})
    ssd = mt.disk(d, "ssd", "gpt", [("ext4", mt.filesystem(
        d, "ssdp1", "ext4", 16, label="NVMEFIXED",
        files={"f.txt": "fixed ssd\n"}))])
    extra = (["-device", "sdhci-pci,id=sdhci0"] +
             qd.blockdev_arg("sdcard", sd) +
             ["-device", "sd-card,id=sd0,drive=sdcard",
              "-device", "pcie-root-port,id=rp1,chassis=1,slot=1"] +
             qd.blockdev_arg("sata0", sata) +
             ["-device", "ide-hd,bus=ide.2,drive=sata0,serial=E2ESATA0",
              "-device", "pcie-root-port,id=rp2,chassis=2,slot=2,"
              "hotplug=off"] +
             qd.blockdev_arg("ssd0", ssd) +
             ["-device", "nvme,bus=rp2,drive=ssd0,serial=E2ESSD0"])
    return ({"machine": "q35", "extra": extra, "ide_disk": None},
            {"sd": sd, "sata": sata, "ssd": ssd})


def read_write(ctx, name, rec, fstype, want_ro=False, files=()):
    """Read files {path: content} through the link, write one unless
    want_ro (then the write must fail), check the mount options."""
    if not ctx.mounting():
        return
    q = shlex.quote("/media/list/" + name)
    for f, want in files:
        out = ctx.sh("cat %s/%s" % (q, f), 90)
        check(out == want, "%s: read %s: %r" % (name, f, out))
    rc, out = ctx.run("echo written > %s/w.txt && cat %s/w.txt" % (q, q))
    if want_ro:
        check(rc != 0, "%s: a write to a read-only medium succeeded" % name)
    else:
        check(rc == 0 and out == "written\n", "%s: write: %r" % (name, out))
    common_mount_checks(ctx, name, rec, fstype, want_ro=want_ro)


@scenario("SD card (sdhci-pci + sd-card): present at boot as mmcblk0p1, "
          "pulled, another card inserted and pulled", needs=PUB,
          machine="q35")
def sd_card(ctx):
    ctx.sh("e2e-wait -L /media/list/SDCARD 30")
    rec = ctx.record("SDCARD")
    check(rec.get("devname") == "/dev/mmcblk0p1" and
          rec.get("fstype") == "vfat" and rec.get("removable") == "1",
          "SDCARD record: %r" % rec)
    check("ro" not in rec.get("options", "").split(","),
          "a writable SD card offered read-only: %r" % rec)
    ctx.note("SD record: bus=%s vendor=%r model=%r" % (
        rec.get("bus"), rec.get("vendor"), rec.get("model")))
    read_write(ctx, "SDCARD", rec, "vfat", files=[("card.txt", "sd card\n")])
    ctx.medialist(["SDCARD"])
    ctx.release("SDCARD")
    ctx.mark()
    ctx.vm.eject_medium("sd0")
    ctx.unlink_wait("SDCARD")
    if ctx.mounting():
        out = mt.run("mtype", "-i", ctx.vm.info["sd"] + "@@1M", "::/w.txt")
        check(out == "written\n", "the card on the host: w.txt %r" % out)
    d = ctx.img_dir("sd")
    other = mt.disk(d, "sd2", "dos", [("vfat16", mt.filesystem(
        d, "p", "vfat16", 16, label="SDOTHER",
        files={"o.txt": "other card\n"}))], size_mib=32)
    ctx.mark()
    ctx.vm.change_medium("sd0", other)
    ctx.link_wait("SDOTHER")
    rec = ctx.record("SDOTHER")
    check(rec.get("devname") == "/dev/mmcblk0p1", "SDOTHER: %r" % rec)
    read_write(ctx, "SDOTHER", rec, "vfat", files=[("o.txt", "other card\n")])
    ctx.medialist(["SDOTHER"], ["SDCARD"])
    ctx.release("SDOTHER")
    ctx.mark()
    ctx.vm.eject_medium("sd0")
    ctx.unlink_wait("SDOTHER")
    check(not [m for m in ctx.no_media_mounts() if "/SD" in m],
          "stale mounts: %s" % ctx.no_media_mounts())
    ctx.note("write-protected card not tried: QEMU 7.2 refuses a read-only "
             "drive for sd-card (\"Cannot use read-only drive as SD card\")")


@scenario("SATA disk on AHCI (ich9-ahci + ide-hd): present at boot; "
          "hot-plug where QEMU allows it", needs=PUB, machine="q35")
def sata(ctx):
    ctx.sh("e2e-wait -L /media/list/SATABOOT 30")
    rec = ctx.record("SATABOOT")
    check(rec.get("bus") == "ata" and rec.get("fstype") == "ext4",
          "SATABOOT record: %r" % rec)
    # internal (AHCI port, not removable), internal_rw unset: read-only
    check(rec.get("removable") == "0" and
          "ro" in rec.get("options", "").split(","),
          "SATA disk not offered as internal read-only: %r" % rec)
    read_write(ctx, "SATABOOT", rec, "ext4", want_ro=True,
               files=[("s.txt", "sata at boot\n")])
    ctx.medialist(["SATABOOT"])
    d = ctx.img_dir("sata")
    img = mt.filesystem(d, "hot", "ext4", 16, label="SATAHOT")
    try:
        ctx.vm.plug_disk("ide-hd", "satahot", "satahot", img, bus="ide.3")
    except qd.Error as e:
        ctx.note("SATA hot-plug: QEMU refuses it (%s)"
                 % str(e).rpartition(": ")[2].strip("'\"}"))
        return
    ctx.link_wait("SATAHOT")
    ctx.mark()
    ctx.vm.unplug_disk("satahot", "satahot")
    ctx.unlink_wait("SATAHOT")


def ext4_file(img, path, offset=1 << 20):
    """A file of the ext4 filesystem at offset in a disk image, read on
    the host (debugfs), or None."""
    try:
        return mt.run("debugfs", "-R", "cat " + path,
                      "%s?offset=%d" % (img, offset))
    except Exception:
        return None


def bus_checks(ctx, name, bus, removable):
    """The record and medialist --json agree on bus and removable."""
    rec = ctx.record(name)
    check(rec.get("bus") == bus and
          rec.get("removable") == ("1" if removable else "0"),
          "%s: bus=%s removable=%s, expected %s %d" % (
              name, rec.get("bus"), rec.get("removable"), bus, removable))
    if ctx.has("medialist"):
        item = ctx.json_item(name)
        check(item.get("bus") == bus and item.get("removable") is removable,
              "%s: medialist --json bus=%r removable=%r" % (
                  name, item.get("bus"), item.get("removable")))
    else:
        ctx.note("medialist not built: --json check skipped")
    return rec


@scenario("NVMe drive hot-plugged on a PCIe root port, GPT with ext4 and "
          "exFAT: removable, read-write; medialist eject powers its slot "
          "off", needs=PUB,
          machine="q35")
def nvme(ctx):
    d = ctx.img_dir("nvme")
    img = mt.disk(d, "nvme", "gpt", [
        ("ext4", mt.filesystem(d, "p1", "ext4", 16, label="NVMEEXT",
                               files={"n.txt": "nvme ext4\n"})),
        ("exfat", mt.filesystem(d, "p2", "exfat", 16, label="NVMEXFAT"))])
    ctx.mark()
    # nvme with its drive: QEMU 7.2 cannot add an nvme-ns to a hot-plugged
    # controller ("Bus 'nvme1' does not support hotplugging").
    ctx.vm.plug_disk("nvme", "nvme1", "nvme1", img, bus="rp1",
                     serial="E2ENVME1")
    ctx.link_wait("NVMEEXT")
    ctx.link_wait("NVMEXFAT")
    r1, r2 = ctx.record("NVMEEXT"), ctx.record("NVMEXFAT")
    check(r1.get("devname", "").startswith("/dev/nvme") and
          r1.get("fstype") == "ext4" and r2.get("fstype") == "exfat",
          "NVMe records: %r %r" % (r1, r2))
    # a slot a hot-plug driver manages: removable media, bus nvme, the
    # drive's model and serial from the controller (udev or not)
    r1 = bus_checks(ctx, "NVMEEXT", "nvme", True)
    r2 = bus_checks(ctx, "NVMEXFAT", "nvme", True)
    check(r1.get("serial") == "E2ENVME1" and r1.get("model"),
          "NVMEEXT model/serial: %r" % r1)
    for r in (r1, r2):
        check("ro" not in r.get("options", "").split(","),
              "a hot-plugged NVMe offered read-only: %r" % r)
    ctx.note("NVMe record: bus=%s removable=%s model=%r options=%s" % (
        r1.get("bus"), r1.get("removable"), r1.get("model"),
        r1.get("options")))
    read_write(ctx, "NVMEEXT", r1, "ext4", files=[("n.txt", "nvme ext4\n")])
    read_write(ctx, "NVMEXFAT", r2, "exfat")
    if ctx.mounting():
        out = ctx.sh("cat /media/list/NVMEXFAT/w.txt")
        check(out == "written\n", "NVMEXFAT: read back %r" % out)
    ctx.medialist(["NVMEEXT", "NVMEXFAT"])
    ctx.release("NVMEEXT")
    ctx.release("NVMEXFAT")
    ctx.mark()
    if ctx.has("medialist"):
        # eject powers the slot off (lib/eject.c): acpiphp ejects the
        # controller and QEMU deletes the device, as a person pulling the
        # drive from its bay after the light went out
        rc, out = ctx.run("medialist eject NVMEEXT", 120)
        check(rc == 0 and "slot powered off" in out,
              "medialist eject NVMEEXT: rc %s: %r" % (rc, out))
        ctx.vm.qmp.wait_event("DEVICE_DELETED", 60,
                              lambda e: e["data"].get("device") == "nvme1")
        ctx.vm.blockdev_del("nvme1")
        ctx.note("medialist eject: %s" % " ".join(out.split()))
    else:
        ctx.vm.unplug_disk("nvme1", "nvme1")
    ctx.unlink_wait("NVMEEXT")
    ctx.unlink_wait("NVMEXFAT", what=None)
    check(not [m for m in ctx.no_media_mounts() if "/NVME" in m],
          "stale mounts: %s" % ctx.no_media_mounts())
    if ctx.mounting():
        out = ext4_file(img, "/w.txt")
        check(out == "written\n", "the NVMe on the host: w.txt %r" % out)


@scenario("NVMe SSD present at boot behind a root port without hot-plug "
          "(a laptop's): internal, read-only", needs=PUB, machine="q35")
def nvme_fixed(ctx):
    ctx.sh("e2e-wait -L /media/list/NVMEFIXED 30")
    rec = bus_checks(ctx, "NVMEFIXED", "nvme", False)
    check(rec.get("devname", "").startswith("/dev/nvme") and
          rec.get("serial") == "E2ESSD0" and rec.get("fstype") == "ext4",
          "NVMEFIXED record: %r" % rec)
    check("ro" in rec.get("options", "").split(","),
          "a fixed NVMe SSD not offered read-only: %r" % rec)
    read_write(ctx, "NVMEFIXED", rec, "ext4", want_ro=True,
               files=[("f.txt", "fixed ssd\n")])
    ctx.medialist(["NVMEFIXED"])
    ctx.release("NVMEFIXED")
