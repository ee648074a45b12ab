# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel-level scenarios: the harness itself (USB, SCSI and CD-ROM nodes,
# mounted by hand and through the test map), with or without mediad.
"""Scenarios: the guest kernel and the harness, no mediad needed."""

from harness import check, mt, scenario


@scenario("kernel: USB stick (MBR FAT32) appears, mounts by hand, leaves")
def k_usb(ctx):
    d = ctx.img_dir("k_usb")
    fs = mt.filesystem(d, "p1", "vfat32", 40, label="KUSB",
                       files={"hello.txt": "hello from usb\n"})
    img = mt.disk(d, "kusb", "dos", [("vfat32", fs)])
    before = ctx.sh("ls /sys/class/block").split()
    ctx.mark()
    ctx.vm.plug_usb("kusb", img)
    out = ctx.sh("""
        i=0
        while [ $i -lt 1500 ]; do
            for p in /sys/class/block/sd*1; do
                [ -e "$p" ] || continue
                n=${p##*/}
                case " %s " in *" $n "*) continue ;; esac
                [ -b "/dev/$n" ] && { echo $n; e2e-since; exit 0; }
            done
            usleep 10000; i=$((i + 1))
        done
        exit 1""" % " ".join(before), 40).split()
    dev = out[0]
    ctx.times.append(("plug-to-node", float(out[1][2:])))
    out = ctx.sh("mkdir -p /mnt/k && /usr/bin/mount -t vfat /dev/%s /mnt/k && "
                 "cat /mnt/k/hello.txt && /usr/bin/umount /mnt/k" % dev)
    check(out == "hello from usb\n", "read by hand: %r" % out)
    out = ctx.sh("cat /e2e/dev/%s/hello.txt" % dev)
    check(out == "hello from usb\n", "read through automount: %r" % out)
    ctx.mark()
    ctx.vm.unplug_usb("kusb")
    ctx.wait("-b", "/dev/" + dev, 30, gone=True, what="unplug-to-gone")


@scenario("kernel: SCSI disk hot-plug and unplug on virtio-scsi")
def k_scsi(ctx):
    d = ctx.img_dir("k_scsi")
    img = mt.filesystem(d, "kscsi", "ext4", 16, label="KSCSI",
                        files={"f.txt": "scsi\n"})
    ctx.mark()
    ctx.vm.plug_scsi("kscsi", img, scsi_id=5)
    out = ctx.sh("""
        i=0
        while [ $i -lt 1500 ]; do
            for b in /sys/bus/scsi/devices/*:0:5:0/block/*; do
                [ -e "$b" ] || continue
                [ -b "/dev/${b##*/}" ] && { echo ${b##*/}; e2e-since; exit 0; }
            done
            usleep 10000; i=$((i + 1))
        done; exit 1""", 40).split()
    dev = out[0]
    ctx.times.append(("plug-to-node", float(out[1][2:])))
    out = ctx.sh("/usr/sbin/blkid -p -s LABEL -o value /dev/%s; "
                 "cat /e2e/dev/%s/f.txt" % (dev, dev))
    check(out == "KSCSI\nscsi\n", "scsi disk content: %r" % out)
    ctx.sh("/usr/bin/umount /e2e/dev/%s" % dev)
    ctx.mark()
    ctx.vm.unplug_scsi("kscsi")
    ctx.wait("-b", "/dev/" + dev, 30, gone=True, what="unplug-to-gone")


@scenario("kernel: IDE CD-ROM medium change and eject")
def k_cdrom(ctx):
    d = ctx.img_dir("k_cd")
    a = mt.iso(d, "kcd1", "KCDONE", {"one.txt": "first disc\n"})
    b = mt.iso(d, "kcd2", "KCDTWO", {"two.txt": "second disc\n"})
    for iso, label, f, want in ((a, "KCDONE", "one.txt", "first disc\n"),
                                (b, "KCDTWO", "two.txt", "second disc\n")):
        ctx.mark()
        ctx.vm.cd_insert(iso)
        out = ctx.sh("""
            i=0
            while [ $i -lt 300 ]; do
                l=$(/usr/sbin/blkid -p -s LABEL -o value /dev/sr0 2>/dev/null)
                [ "$l" = %s ] && break
                usleep 50000; i=$((i + 1))
            done
            echo "$l"; cat /mnt/cd/%s 2>/dev/null ||
            { mkdir -p /mnt/cd; /usr/bin/mount -r /dev/sr0 /mnt/cd &&
              cat /mnt/cd/%s; /usr/bin/umount /mnt/cd; }""" % (
            label, f, f), 40)
        check(out == label + "\n" + want, "cd %s: %r" % (label, out))
    ctx.vm.cd_eject()
    out = ctx.sh("sleep 1; /usr/sbin/blkid -p /dev/sr0; echo rc=$?")
    check("rc=0" not in out, "blkid still sees a disc after eject: %r" % out)
