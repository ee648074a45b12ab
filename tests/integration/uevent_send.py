#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Forged uevents, as an unprivileged local user could send them: the test
# helper of uevent_spoof.t. Sends only to the netlink ports it is given
# (or, to show that the kernel refuses it, to a multicast group); never
# run it against a daemon that is not under test.
#
#   uevent_send.py ports PID
#       the NETLINK_KOBJECT_UEVENT port ids of process PID's sockets, one
#       a line (needs to read /proc/PID/fd: run it as root)
#   uevent_send.py send [--creds UID] kernel|udev ACTION KNAME MAJ:MIN PORT...
#       one forged uevent to each port (unicast); prints "sent N", or
#       "refused ERRNO" when the kernel does not let the caller send.
#       --creds (root only): the message carries UID's credentials
#   uevent_send.py multicast kernel|udev ACTION KNAME MAJ:MIN
#       the same to the kernel's (1) or udev's (2) group; prints "sent" or
#       the error's name (EPERM for anyone but root)
import errno
import os
import socket
import struct
import sys
import time

NETLINK_KOBJECT_UEVENT = 15
GROUP = {"kernel": 1, "udev": 2}
UDEV_MONITOR_MAGIC = 0xFEEDCAFE


def murmur2(data, seed=0):
    """MurmurHash2, 32 bits: libudev's string_hash32, the hash its
    monitors' socket filters compare (so a forged message passes the
    filter and reaches the checks in user space)."""
    m, n = 0x5BD1E995, len(data)
    h = (seed ^ n) & 0xFFFFFFFF
    i = 0
    while n - i >= 4:
        k = struct.unpack_from("<I", data, i)[0]
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
        i += 4
    rest = n - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def properties(action, kname, devnum, udev):
    major, minor = devnum.split(":")
    devpath = "/devices/virtual/block/" + kname
    p = ["ACTION=" + action, "DEVPATH=" + devpath, "SUBSYSTEM=block",
         "DEVNAME=" + ("/dev/" + kname if udev else kname), "DEVTYPE=disk",
         "MAJOR=" + major, "MINOR=" + minor, "SEQNUM=%d" % (1 << 40)]
    if udev:
        # what udevd would say of a stick with a filesystem on it
        p += ["USEC_INITIALIZED=%d" % int(time.monotonic() * 1e6),
              "ID_FS_TYPE=ext4", "ID_FS_USAGE=filesystem", "ID_FS_LABEL=SPOOFED",
              "ID_FS_LABEL_ENC=SPOOFED", "ID_FS_UUID=5b0f0b5e-0000-4000-8000-000000000001"]
    return devpath, b"".join(x.encode() + b"\0" for x in p)


def message(fmt, action, kname, devnum):
    devpath, props = properties(action, kname, devnum, fmt == "udev")
    if fmt == "kernel":
        return ("%s@%s" % (action, devpath)).encode() + b"\0" + props
    # libudev's monitor_netlink_header: "libudev\0", magic (big endian),
    # header size, properties offset and length, then the filter hashes
    # (big endian) and the tag bloom filter
    hdr_size = 40
    hdr = struct.pack("=8sIIII", b"libudev\0", socket.htonl(UDEV_MONITOR_MAGIC),
                      hdr_size, hdr_size, len(props))
    hdr += struct.pack("=IIII", socket.htonl(murmur2(b"block")),
                       socket.htonl(murmur2(b"disk")), 0, 0)
    assert len(hdr) == hdr_size
    return hdr + props


def ports(pid):
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    with open("/proc/net/netlink") as f:
        next(f)
        for line in f:
            col = line.split()
            # sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            if int(col[1]) == NETLINK_KOBJECT_UEVENT and col[9] in inodes:
                print(int(col[2]))


def main(argv):
    creds_uid = None
    if len(argv) > 3 and argv[1] == "send" and argv[2] == "--creds":
        creds_uid = int(argv[3])
        argv = argv[:2] + argv[4:]
    if len(argv) == 3 and argv[1] == "ports":
        ports(int(argv[2]))
        return 0
    if len(argv) >= 6 and argv[1] in ("send", "multicast") and argv[2] in GROUP:
        msg = message(argv[2], argv[3], argv[4], argv[5])
        if argv[1] == "multicast":
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
            s.bind((0, 0))
            try:
                s.sendto(msg, (0, GROUP[argv[2]]))
                print("sent")
            except OSError as e:
                print(errno.errorcode.get(e.errno, str(e.errno)))
            return 0
        # An addressed sendto() is root's only (CAP_NET_ADMIN, as the
        # protocol has no NL_CFG_F_NONROOT_SEND); older kernels let anyone
        # connect() to a port and send() on that. Either way in.
        n = 0
        try:
            for port in argv[6:]:
                c = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                                  NETLINK_KOBJECT_UEVENT)
                c.bind((0, 0))
                c.connect((int(port), 0))
                if creds_uid is None:
                    c.send(msg)
                else:
                    # root claiming to be someone else: what a message of
                    # that user looks like once a kernel lets it through
                    cred = struct.pack("=iII", os.getpid(), creds_uid, creds_uid)
                    c.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)])
                c.close()
                n += 1
        except OSError as e:
            print("refused", errno.errorcode.get(e.errno, str(e.errno)))
            return 0
        print("sent", n)
        return 0
    sys.stderr.write("usage: uevent_send.py ports PID | send [--creds UID] kernel|udev ACTION KNAME MAJ:MIN PORT..."
                     " | multicast kernel|udev ACTION KNAME MAJ:MIN\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
