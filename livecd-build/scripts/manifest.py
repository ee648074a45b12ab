#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""manifest.py ROOT GENERATED... OUT: write the licence manifest of the live
tree (package, version, source package, licence from its copyright file) and
fail if the tree holds a file that neither dpkg nor a GENERATED list (the
common one, then a flavour's) accounts for.
Every package is read the same way, mediad's own included (its
/usr/share/doc/mediad/copyright comes from debian/copyright).
Reads ROOT only; never runs anything inside it."""

import fnmatch
import os
import re
import sys

if len(sys.argv) < 4:
    sys.exit("usage: manifest.py ROOT GENERATED... OUT")
ROOT, GENERATED, OUT = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


def canon(path):
    """dpkg's name of a file -> its real place in a merged-/usr tree."""
    parts = path.split("/", 2)
    if len(parts) > 1 and parts[1] in MERGED and os.path.islink(os.path.join(ROOT, parts[1])):
        return "/usr" + path
    return path


def packages():
    status = open(os.path.join(ROOT, "var/lib/dpkg/status"), encoding="utf-8").read()
    for para in status.split("\n\n"):
        f = {}
        key = None
        for line in para.splitlines():
            if line[:1] in (" ", "\t"):
                continue
            key, _, val = line.partition(":")
            f[key] = val.strip()
        if f.get("Status", "").endswith(" installed"):
            yield f


# DEP-5 short names -> SPDX identifiers, only where the two mean exactly the
# same licence ("GPL-2+" is "GPL-2.0-or-later", "GPL-2" is "GPL-2.0-only").
# Names not here are kept as the copyright file spells them. A bare
# /usr/share/common-licenses/GPL-2 reference (files not in DEP-5 form) does
# not say "or later", so it is kept as "GPL-2", never guessed.
SPDX = {}
for _v in ("1", "2", "3"):
    SPDX["GPL-%s" % _v] = "GPL-%s.0-only" % _v
    SPDX["GPL-%s+" % _v] = "GPL-%s.0-or-later" % _v
for _v in ("2", "2.1", "3"):
    _s = _v if "." in _v else _v + ".0"
    SPDX["LGPL-%s" % _v] = "LGPL-%s-only" % _s
    SPDX["LGPL-%s+" % _v] = "LGPL-%s-or-later" % _s
SPDX.update({"AGPL-3": "AGPL-3.0-only", "AGPL-3+": "AGPL-3.0-or-later",
             "Expat": "MIT", "BSD-2-clause": "BSD-2-Clause",
             "BSD-3-clause": "BSD-3-Clause", "BSD-4-clause": "BSD-4-Clause"})


def spdx(expr):
    """One DEP-5 License: value (names joined by or/and/with) with each
    name that has an exact SPDX counterpart replaced by it."""
    return " ".join(SPDX.get(tok, tok) for tok in expr.split())


def licences(pkg):
    path = os.path.join(ROOT, "usr/share/doc", pkg, "copyright")
    if not os.path.exists(path):  # doc dir symlinked to another package's
        return "(no copyright file)"
    text = open(path, encoding="utf-8", errors="replace").read()
    found = []
    if re.match(r"(?i)format:", text):
        for m in re.finditer(r"(?m)^License:[ \t]*(\S.*)$", text):
            lic = spdx(m.group(1).strip())
            if lic not in found:
                found.append(lic)
    else:
        for m in re.finditer(r"/usr/share/common-licenses/([A-Za-z0-9.+-]+[A-Za-z0-9+])", text):
            if m.group(1) not in found:
                found.append(m.group(1))
        if not found:
            for name, rx in (("public-domain", r"(?i)public domain"),
                             ("BSD-like", r"(?i)redistribution and use in source and binary"),
                             ("MIT-like", r"(?i)permission is hereby granted, free of charge")):
                if re.search(rx, text):
                    found.append(name)
    return ", ".join(found) if found else "(see copyright file)"


pkgs = sorted(packages(), key=lambda f: f["Package"])
owned = set()
info = os.path.join(ROOT, "var/lib/dpkg/info")
for name in os.listdir(info):
    if name.endswith(".list"):
        for line in open(os.path.join(info, name), encoding="utf-8", errors="surrogateescape"):
            p = line.rstrip("\n")
            owned.add(canon(p))
# files dpkg-divert moved keep dpkg's accounting under their new name
div = os.path.join(ROOT, "var/lib/dpkg/diversions")
if os.path.exists(div):
    lines = open(div, encoding="utf-8").read().splitlines()
    for i in range(0, len(lines) - 2, 3):
        owned.add(canon(lines[i + 1]))
# update-alternatives links: dpkg's alternatives database names them
alt = os.path.join(ROOT, "var/lib/dpkg/alternatives")
for name in os.listdir(alt):
    lines = open(os.path.join(alt, name), encoding="utf-8").read().splitlines()
    owned.add(canon(lines[1]))
    owned.add("/etc/alternatives/" + name)
    i = 2
    while i + 1 < len(lines) and lines[i]:
        owned.add("/etc/alternatives/" + lines[i])
        owned.add(canon(lines[i + 1]))
        i += 2

# conffiles that maintainer scripts handed to ucf: ucf's registry names them
reg = os.path.join(ROOT, "var/lib/ucf/registry")
if os.path.exists(reg):
    for line in open(reg, encoding="utf-8"):
        f = line.split()
        if len(f) >= 2:
            owned.add(canon(f[1]))

patterns = []  # (pattern, the list that has it)
for gen in GENERATED:
    for line in open(gen, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            patterns.append((line, gen))

unaccounted = []
used = set()
for dirpath, dirnames, filenames in os.walk(ROOT):
    rel = "/" + os.path.relpath(dirpath, ROOT) if dirpath != ROOT else ""
    for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
        p = rel + "/" + name
        if p in owned:
            continue
        hit = [pat for pat in patterns if fnmatch.fnmatchcase(p, pat[0])]
        if hit:
            used.update(hit)
            continue
        unaccounted.append(p)

with open(OUT + ".part", "w", encoding="utf-8") as out:
    out.write("# mediad live CD: every package on the image\n")
    out.write("# package\tversion\tsource\tsource-version\tlicence (from /usr/share/doc/PKG/copyright;"
              " DEP-5 names as SPDX identifiers where they match exactly)\n")
    for f in pkgs:
        src = f.get("Source", f["Package"])
        m = re.match(r"(\S+)(?: \((.*)\))?", src)
        srcname, srcver = m.group(1), m.group(2) or f["Version"]
        out.write("\t".join([f["Package"], f["Version"], srcname, srcver, licences(f["Package"])]) + "\n")
    out.write("# %d packages\n" % len(pkgs))
os.replace(OUT + ".part", OUT)
print("[livecd] manifest: %d packages, %d files owned by dpkg" % (len(pkgs), len(owned)), file=sys.stderr)
for pat in patterns:
    if pat not in used:
        print("[livecd] note: %s: %s matches no file" % (pat[1], pat[0]), file=sys.stderr)
if unaccounted:
    print("[livecd] error: %d file(s) on the image that no package and no line of %s accounts for:"
          % (len(unaccounted), " or ".join(GENERATED)), file=sys.stderr)
    for p in sorted(unaccounted)[:200]:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
