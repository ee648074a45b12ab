#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the published state against the names and options contracts,
for the hostile-media tests. Usage: hostile_check.py STATE MEDIA DEV...
(DEV: our loop devices). Prints one 'bad: ...' line per violation and
exits 1 if there is any; otherwise a comment line with the count (the
tests send it to stderr, where an 'ok N' looked like a stray TAP line)."""
import os, sys

state, media, devs = sys.argv[1], sys.argv[2], set(sys.argv[3:])
bad = []
# the names contract's classes (lib/name.h), written out again
BIDI = {0x61c, 0x200e, 0x200f} | set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
INVISIBLE = ({0xad, 0x34f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x200b, 0x3164, 0xfeff,
              0xffa0} | set(range(0x2060, 0x2070)) | set(range(0xfff0, 0xfffc)) |
             set(range(0x1bca0, 0x1bca4)) | set(range(0x1d173, 0x1d17b)) |
             set(range(0xe0000, 0xe0020)) | set(range(0xe0080, 0xe0100)) |
             set(range(0xe01f0, 0xe1000)))
SPACES = {0x20, 0xa0, 0x1680, 0x202f, 0x205f, 0x2800, 0x3000} | set(range(0x2000, 0x200b))
JOINERS = {0x200c, 0x200d}
MODIFIERS = ({0x180b, 0x180c, 0x180d, 0x180f} | set(range(0xfe00, 0xfe10)) |
             set(range(0xe0020, 0xe0080)) | set(range(0xe0100, 0xe01f0)))


def unescape(v):
    out, i = bytearray(), 0
    while i < len(v):
        c = v[i]
        if c == 0x5c:
            n = v[i + 1]
            if n == 0x6e:
                out.append(10); i += 2
            elif n == 0x78:
                out.append(int(v[i + 2:i + 4], 16)); i += 4
            else:
                out.append(n); i += 2
        else:
            out.append(c); i += 1
    return bytes(out)


def record(path):
    r = {}
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n')[:-1]:
            k, _, v = line.partition(b'=')
            r[k.decode()] = unescape(v)
    return r


def check_name(n, what):
    try:
        s = n.decode('utf-8', 'strict')
    except UnicodeDecodeError:
        bad.append('%s: name %r is not UTF-8' % (what, n)); return
    if not 0 < len(n) <= 64:
        bad.append('%s: name %r has %d bytes' % (what, n, len(n)))
    if not s:
        return
    first, last = ord(s[0]), ord(s[-1])
    if (s in ('.', '..') or s[0] in '-.+' or first in SPACES | JOINERS | MODIFIERS or
            last in SPACES | JOINERS):
        bad.append('%s: name %r starts or ends badly' % (what, n))
    if all(ord(ch) in SPACES | JOINERS | MODIFIERS for ch in s):
        bad.append('%s: name %r has nothing visible' % (what, n))
    for ch in s:
        cp = ord(ch)
        if (cp < 0x20 or cp == 0x7f or 0x80 <= cp <= 0x9f or ch in '/\\*' or
                cp in BIDI | INVISIBLE or cp in (0x2028, 0x2029)):
            bad.append('%s: name %r holds U+%04X' % (what, n, cp))


checked = 0
for fn in sorted(os.listdir(os.path.join(state, 'media'))):
    if fn.startswith('.'):
        continue
    r = record(os.path.join(state, 'media', fn))
    if r.get('devname', b'').decode() not in devs:
        continue
    checked += 1
    what = 'media/%r' % fn
    check_name(os.fsencode(fn), what)
    if r['name'] != os.fsencode(fn):
        bad.append('%s: record name %r differs from its file' % (what, r['name']))
    opts = r['options'].decode().split(',')
    for o in ('nosuid', 'nodev'):
        if o not in opts:
            bad.append('%s: options %r lack %s' % (what, opts, o))
    for o in ('suid', 'dev', 'exec' if 'noexec' in opts else 'nosuch'):
        if o in opts:
            bad.append('%s: options %r hold %s' % (what, opts, o))
    link = os.path.join(media, 'list', fn)
    if not os.path.islink(link) or os.readlink(link) != '../auto/' + fn:
        bad.append('%s: link %s is not ../auto/NAME' % (what, link))
# every link, ours or not, stays inside <media_dir>/auto
for fn in os.listdir(os.path.join(media, 'list')):
    t = os.readlink(os.path.join(media, 'list', fn))
    if t != '../auto/' + fn:
        bad.append('list/%r -> %r leaves <media_dir>/auto' % (fn, t))
for fn in os.listdir(os.path.join(state, 'ignored')):
    r = record(os.path.join(state, 'ignored', fn))
    if r.get('devname', b'').decode() in devs and not r.get('reason'):
        bad.append('ignored/%s: no reason' % fn)
for b in bad:
    print('bad:', b)
print('# hostile_check: %d media by the contract' % checked)
sys.exit(1 if bad else 0)
