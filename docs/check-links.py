#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/check-links.py FILE.md...: every relative link [text](path#anchor) must
name an existing file or folder, and an anchor must match a heading of the
target Markdown file (GitHub's slugs). Reads the given files and looks at
the tree only; never fetches a URL (links with a scheme are skipped).
Run: docs/check-links.py README.md docs/*.md tests/README.md"""
import os, re, sys

def slug(h):
    h = h.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)   # drop punctuation (keeps letters, digits, _, -, space)
    return h.replace(" ", "-")

def anchors(path):
    out, fence = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        if not fence:
            m = re.match(r"#{1,6}\s+(.*)", line)
            if m:
                out.add(slug(m.group(1)))
    return out

bad = 0
for md in sys.argv[1:]:
    text = open(md, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        t = m.group(1)
        if re.match(r"[a-z]+:", t):
            continue
        path, _, anc = t.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
        if not os.path.exists(full):
            print("%s: %s: no such file" % (md, t)); bad += 1; continue
        if anc:
            if not full.endswith(".md"):
                print("%s: %s: anchor on a non-Markdown file" % (md, t)); bad += 1
            elif anc not in anchors(full):
                print("%s: %s: no heading '%s'" % (md, t, anc)); bad += 1
print("%d bad link(s)" % bad)
sys.exit(1 if bad else 0)
