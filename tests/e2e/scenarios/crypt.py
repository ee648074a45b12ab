# SPDX-License-Identifier: GPL-2.0-or-later
# Encrypted sticks on the real kernel (issue 16): LUKS2 (argon2id) and
# LUKS1 (pbkdf2) made at test time, unlocked on a terminal, from stdin, by
# key file and by key_dir; read and written through /media/list; locked,
# ejected, pulled while mounted; kept over a restart. Images are made on
# the host; everything else happens in the guest through medialist.
# VeraCrypt, TrueCrypt, BitLocker and tcplay volumes: crypt_foreign.py,
# with the helpers of this file.
"""Scenarios: encrypted media (unlock, lock, eject, surprise removal)."""

import base64
import json
import os
import re
import shlex
import time

from harness import MEDIAD_START, NEED, check, mt, scenario

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
NEEDS = NEED + ("medialist", "mediad-unlock")
PASS = "correct horse battery"
MiB = 1024 * 1024
# argon2id kept cheap for TCG: 32 MiB (cryptsetup's least), 4 iterations
FAST = ["--pbkdf", "argon2id", "--pbkdf-memory", "32768",
        "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1"]
PBKDF2 = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"]


def luks_image(d, name, version, fstype, label, files, keyfile=None):
    """A filesystem image encrypted in place (cryptsetup reencrypt
    --encrypt: no device-mapper needed on the host); LUKS1 is converted
    from a pbkdf2 LUKS2. Returns (path, uuid)."""
    total, room = 40, 16 if version == 2 else 4
    img = mt.filesystem(d, name, fstype, total - room, label=label,
                        files=files)
    with open(img, "r+b") as f:
        f.truncate(total * MiB)
    pw = os.path.join(d, name + ".pass")
    with open(pw, "w") as f:
        f.write(PASS)
    mt.run("cryptsetup", "reencrypt", "--encrypt", "--type", "luks2", "-q",
           "--reduce-device-size", "%dM" % room,
           *(FAST if version == 2 else PBKDF2), img, "-d", pw)
    if version == 1:
        mt.run("cryptsetup", "convert", "--type", "luks1", "-q", img)
    if keyfile:
        mt.run("cryptsetup", "luksAddKey", "-q",
               *(FAST if version == 2 else PBKDF2), img, keyfile, "-d", pw)
    uuid = mt.run("blkid", "-p", "-o", "value", "-s", "UUID", img).strip()
    return img, uuid


def link(ctx, name, timeout=30, gone=False):
    """Wait for /media/list/NAME (not a plug-to-link time: an unlock or a
    lock is what made it come or go)."""
    ctx.wait("-L", "/media/list/" + name, timeout, gone=gone)


def push(ctx, path, data, mode="600"):
    """A file in the guest (base64 on the command channel)."""
    ctx.sh("echo %s | base64 -d > %s && chmod %s %s" % (
        base64.b64encode(data).decode(), shlex.quote(path), mode,
        shlex.quote(path)))


def ignored(ctx, kname):
    out = ctx.sh("cat /run/mediad/ignored/%s 2>/dev/null; true" % kname)
    return dict(ln.partition("=")[::2] for ln in out.splitlines())


def known_knames(ctx):
    return set(ctx.sh("ls /run/mediad/ignored").split())


def container_wait(ctx, before, timeout=30):
    """The kernel name of the one container plugged since `before` (a set
    of ignored records' names), once listed."""
    def new():
        k = sorted(known_knames(ctx) - before)
        k = [x for x in k if x.startswith("sd")]
        return k[-1] if k else None
    k = mt.wait_until(new, timeout, 0.3)
    check(k, "no new container listed within %ds" % timeout)
    return k


def ignored_wait(ctx, kname, key, want, timeout=15):
    last = {}

    def got():
        last.clear()
        last.update(ignored(ctx, kname))
        return last.get(key) == want
    check(mt.wait_until(got, timeout, 0.3),
          "%s: %s=%r, expected %r" % (kname, key, last.get(key), want))


def unlock(ctx, kname, how, secret, extra=""):
    """medialist unlock: on a pseudo-terminal, from stdin, or with a key
    file in the guest. (status, output, the name it is unlocked as)."""
    cmd = "medialist --json unlock %s %s" % (kname, extra)
    if how == "pty":
        script = "e2e-pty 'Passphrase for' %s %s" % (shlex.quote(secret), cmd)
    elif how == "keyfile":
        script = "%s --key-file %s" % (cmd, shlex.quote(secret))
    else:
        script = "printf '%%s\\n' %s | %s" % (shlex.quote(secret), cmd)
    rc, out = ctx.run(script + " 2>&1", 700)
    name = None
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                name = json.loads(line).get("unlocked_as")
            except ValueError:
                pass
    return rc, out, name


def helper_secs(ctx, kname):
    """The helper's time of the last unlock of kname, from mediad's log."""
    out = ctx.sh("grep 'unlock of %s for uid' /run/e2e/mediad.log | tail -1"
                 % kname)
    m = re.search(r"\((\d+\.\d+) s\)$", out.strip())
    return float(m.group(1)) if m else None


def rss_kb(ctx):
    return int(ctx.sh("awk '/^VmRSS/ {print $2}' /proc/$(cat "
                      "/run/e2e/mediad.pid)/status").strip())


def mappings(ctx):
    return ctx.sh("ls /dev/mapper | grep '^mediad-' ; true").split()


def set_conf(ctx, extra):
    """mediad.conf as the guest's init wrote it, plus extra lines; mediad
    re-reads it (written aside and renamed, as editors do)."""
    n = int(ctx.sh("grep -c 'configuration reloaded' /run/e2e/mediad.log;"
                   " true").strip() or 0)
    ctx.sh("grep -v -e '^key_dir' -e '^unlock_' /etc/mediad.conf > "
           "/etc/mediad.conf.new; printf '%s' >> /etc/mediad.conf.new; "
           "mv /etc/mediad.conf.new /etc/mediad.conf" % extra)
    check(mt.wait_until(lambda: int(ctx.sh(
        "grep -c 'configuration reloaded' /run/e2e/mediad.log; true")
        .strip() or 0) > n, 15, 0.3), "mediad did not reload its config")


@scenario("LUKS2 (argon2id) stick: back-off, unlocked on a terminal, read "
          "and written, locked, unlocked again, ejected", needs=NEEDS)
def luks2(ctx):
    d = ctx.img_dir("luks2")
    img, uuid = luks_image(d, "l2", 2, "ext4", "SECRETS",
                           {"hello.txt": "hello from inside\n"})
    set_conf(ctx, "unlock_timeout = 300\n")
    before = known_knames(ctx)
    ctx.mark()
    ctx.vm.plug_usb("crypt2", img)
    k = container_wait(ctx, before)
    ignored_wait(ctx, k, "reason", "encrypted container (crypto_LUKS): "
                 "medialist unlock %s" % k)
    rss0 = rss_kb(ctx)
    # three wrong for free, the fourth waits 2 s
    for _ in range(3):
        rc, out, _ = unlock(ctx, k, "stdin", "wrong", "--test")
        check(rc == 1 and "wrong passphrase" in out, "wrong: %d %r" % (rc, out))
    t0 = time.monotonic()
    rc, out, _ = unlock(ctx, k, "stdin", "wrong", "--test")
    waited = time.monotonic() - t0
    check(rc == 1 and waited >= 2.0, "4th wrong try: %d after %.1fs: %r"
          % (rc, waited, out))
    ctx.times.append(("4th wrong try", waited))
    t0 = time.monotonic()
    rc, out, name = unlock(ctx, k, "pty", PASS)
    ctx.times.append(("unlock-to-published (after its 2nd back-off)",
                      time.monotonic() - t0))
    check(rc == 0 and name == "SECRETS", "unlock on a pty: %d %r" % (rc, out))
    check(PASS not in out, "the passphrase was echoed: %r" % out)
    link(ctx, "SECRETS")
    rec = ctx.record("SECRETS")
    check(rec.get("container") == k, "cleartext record: %r" % rec)
    check(rec.get("bus") == "usb" and rec.get("removable") == "1",
          "the cleartext is not the stick's: %r" % rec)
    ignored_wait(ctx, k, "unlocked_as", "SECRETS")
    item = ctx.json_item("SECRETS")
    check(item.get("container") == k, "--json: %r" % item)
    out = ctx.sh("cat /media/list/SECRETS/hello.txt; "
                 "echo written > /media/list/SECRETS/w.txt && sync && "
                 "cat /media/list/SECRETS/w.txt")
    check(out == "hello from inside\nwritten\n", "read/write: %r" % out)
    fstype, opts = ctx.mounted("SECRETS")
    check(fstype == "ext4" and "nosuid" in opts and "nodev" in opts,
          "mounted as %s %s" % (fstype, opts))
    rss1 = rss_kb(ctx)
    ctx.note("mediad VmRSS %d kB before the unlock, %d kB after "
             "(the helper, not mediad, links libcryptsetup)" % (rss0, rss1))
    secs = [helper_secs(ctx, k)]
    rc, out = ctx.run("medialist lock SECRETS 2>&1", 120)
    check(rc == 0 and "locked" in out, "lock: %d %r" % (rc, out))
    link(ctx, "SECRETS", gone=True)
    check(mt.wait_until(lambda: not mappings(ctx), 10, 0.3),
          "a mapping outlives the lock: %s" % mappings(ctx))
    ignored_wait(ctx, k, "unlocked_as", "")
    # again, twice more, from stdin: the median of three for the README
    for i in range(2):
        rc, out, name = unlock(ctx, k, "stdin", PASS)
        check(rc == 0 and name == "SECRETS", "unlock %d: %d %r"
              % (i + 2, rc, out))
        secs.append(helper_secs(ctx, k))
        out = ctx.sh("cat /media/list/SECRETS/w.txt")
        check(out == "written\n", "written file after a lock: %r" % out)
        if i == 0:
            rc, out = ctx.run("medialist lock %s 2>&1" % k, 120)
            check(rc == 0, "lock by the container's name: %d %r" % (rc, out))
            link(ctx, "SECRETS", gone=True)
    ctx.note("LUKS2 argon2id (32 MiB, 4 iterations): helper %s s"
             % ", ".join("%.2f" % s for s in secs if s is not None))
    ctx.times.append(("luks2-argon2id unlock (median)",
                      sorted(s for s in secs if s is not None)[len(secs) // 2]))
    # eject of the unlocked stick: locks first, then powers it off
    rc, out = ctx.run("medialist eject SECRETS 2>&1", 120)
    check(rc == 0, "eject: %d %r" % (rc, out))
    link(ctx, "SECRETS", gone=True)
    check(mt.wait_until(lambda: not mappings(ctx) and not ignored(ctx, k),
                        15, 0.3),
          "after eject: mappings %s, record %r" % (mappings(ctx),
                                                  ignored(ctx, k)))
    ctx.note("eject: %s" % " ".join(out.split()))
    ctx.vm.unplug_usb("crypt2")
    set_conf(ctx, "")


@scenario("LUKS1 (pbkdf2) stick: key file, key_dir auto-unlock, a restart, "
          "pulled while mounted and busy", needs=NEEDS)
def luks1(ctx):
    d = ctx.img_dir("luks1")
    key = os.urandom(256)
    kf = os.path.join(d, "key.bin")
    with open(kf, "wb") as f:
        f.write(key)
    img, uuid = luks_image(d, "l1", 1, "vfat16", "LUKSONE",
                           {"a.txt": "fat inside luks1\n"}, keyfile=kf)
    push(ctx, "/root/key.bin", key)
    before = known_knames(ctx)
    ctx.vm.plug_usb("crypt1", img)
    k = container_wait(ctx, before)
    t0 = time.monotonic()
    rc, out, name = unlock(ctx, k, "keyfile", "/root/key.bin")
    check(rc == 0 and name == "LUKSONE", "key file: %d %r" % (rc, out))
    ctx.times.append(("luks1-pbkdf2 key file unlock-to-published",
                      time.monotonic() - t0))
    ctx.note("LUKS1 pbkdf2 (1000 iterations): helper %.2f s"
             % (helper_secs(ctx, k) or -1))
    out = ctx.sh("cat /media/list/LUKSONE/a.txt")
    check(out == "fat inside luks1\n", "read: %r" % out)
    rc, out = ctx.run("medialist lock LUKSONE 2>&1", 120)
    check(rc == 0, "lock: %d %r" % (rc, out))
    link(ctx, "LUKSONE", gone=True)
    ctx.vm.unplug_usb("crypt1")
    ctx.wait("-f", "/run/mediad/ignored/" + k, 30, gone=True)
    # key_dir: the key named after the UUID, in a root-only directory
    ctx.sh("mkdir -p -m 700 /etc/mediad/keys && cp /root/key.bin "
           "/etc/mediad/keys/%s && chmod 600 /etc/mediad/keys/%s"
           % (uuid, uuid))
    set_conf(ctx, "key_dir = /etc/mediad/keys\n")
    ctx.mark()
    ctx.vm.plug_usb("crypt1", img)
    ctx.wait("-L", "/media/list/LUKSONE", 60,
             what="plug-to-published, key_dir auto-unlock (LUKS1)")
    k = ctx.record("LUKSONE")["container"]
    check("auto-unlock of %s" % k in ctx.sh("cat /run/e2e/mediad.log"),
          "published without the auto-unlock's log line")
    # a restart keeps it, under its name
    ctx.sh("kill $(cat /run/e2e/mediad.pid); sleep 1; " + MEDIAD_START % (
        "udev" if ctx.mode == "udev" else "kernel"))
    link(ctx, "LUKSONE", 30)
    ignored_wait(ctx, k, "unlocked_as", "LUKSONE")
    # pulled while mounted, a file held open
    ctx.sh("cat /media/list/LUKSONE/a.txt >/dev/null; "
           "sleep 600 < /media/list/LUKSONE/a.txt >/dev/null 2>&1 & "
           "echo $! > /run/e2e/holder")
    check(ctx.mounted("LUKSONE") is not None, "not mounted before the pull")
    dm = ctx.sh("ls /sys/class/block/%s/holders" % k).strip()
    ctx.mark()
    ctx.vm.unplug_usb("crypt1")
    ctx.unlink_wait("LUKSONE", what="pull-to-unlink (cleartext)")
    ctx.unmounted_wait("LUKSONE", 15, "the cleartext's mount outlives "
                       "the pull")
    seen = ctx.sh("echo dm-exists:$(test -e /sys/class/block/%s && echo yes"
                  " || echo no); dmsetup info -c --noheadings -o name,open,"
                  "attr 2>&1; true" % dm)
    ctx.sh("kill $(cat /run/e2e/holder) 2>/dev/null; true")
    gone = mt.wait_until(lambda: not mappings(ctx) and not ctx.sh(
        "ls /run/mediad/media /run/mediad/ignored | grep -c -e LUKSONE -e "
        "'^%s$'; true" % k).strip().strip("0"), 20, 0.5)
    after = ctx.sh("echo dm-exists:$(test -e /sys/class/block/%s && echo yes"
                   " || echo no); dmsetup ls 2>&1; true" % dm)
    ctx.note("surprise removal: with the holder alive: %s; once it let go: "
             "%s" % (" ".join(seen.split()), " ".join(after.split())))
    check(gone, "after the pull: mappings %s, records %s"
          % (mappings(ctx), ctx.sh("ls /run/mediad/media /run/mediad/ignored")))
    log = ctx.sh("grep -e 'removed while unlocked' -e 'mediad-%s' "
                 "/run/e2e/mediad.log | tail -4; true" % k)
    ctx.note("mediad: " + " | ".join(log.strip().splitlines()))
    set_conf(ctx, "")
