#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# topng.py IN OUT.png: a screenshot to PNG, with the standard library only:
# an XWD file (Xvfb's -fbdir framebuffer, xwd) or a PPM (QEMU's QMP
# screendump). Reads its input only; never needs an image library.
import struct
import sys
import zlib


def png(width, height, rows, out):
    """rows: one bytes object of RGB triples per line."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\0" + r for r in rows)
    with open(out, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def ppm(data):
    # P6 WIDTH HEIGHT MAXVAL, whitespace separated, then one byte a sample
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    w, h, maxval = fields
    if maxval != 255:
        raise ValueError("PPM with maxval %d: only 255 is read" % maxval)
    pos += 1
    return w, h, [data[pos + y * w * 3:pos + (y + 1) * w * 3] for y in range(h)]


def shift_of(mask):
    s = 0
    while mask and not mask & 1:
        mask >>= 1
        s += 1
    return s, mask


def xwd(data):
    for order in (">", "<"):  # the header's byte order is the writer's
        head = struct.unpack(order + "25I", data[:100])
        if head[1] == 7:
            break
    else:
        raise ValueError("not an XWD file (version 7)")
    (hsize, _ver, fmt, _depth, w, h, _xoff, byte_order, _unit, _bitorder, _pad,
     bpp, bpl, _vclass, rmask, gmask, bmask, _bits, _cmap, ncolors) = head[:20]
    if fmt != 2 or bpp not in (16, 24, 32):
        raise ValueError("XWD format %d, %d bits a pixel: only ZPixmap 16/24/32 is read"
                         % (fmt, bpp))
    pos = hsize + ncolors * 12
    step = bpp // 8
    pix = "<" if byte_order == 0 else ">"  # LSBFirst: 0
    chans = [shift_of(m) for m in (rmask, gmask, bmask)]
    rows = []
    # the usual case (Xvfb, depth 24): B, G, R, pad in each 32-bit pixel
    fast = bpp == 32 and pix == "<" and (rmask, gmask, bmask) == (0xff0000, 0xff00, 0xff)
    for y in range(h):
        line = data[pos + y * bpl:pos + y * bpl + w * step]
        out = bytearray(w * 3)
        if fast:
            out[0::3], out[1::3], out[2::3] = line[2::4], line[1::4], line[0::4]
            rows.append(bytes(out))
            continue
        for x in range(w):
            px = line[x * step:(x + 1) * step]
            v = int.from_bytes(px, "little" if pix == "<" else "big")
            for c, (s, m) in enumerate(chans):
                out[x * 3 + c] = ((v >> s) & m) * 255 // m if m else 0
        rows.append(bytes(out))
    return w, h, rows


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: topng.py IN(.xwd|.ppm) OUT.png\n")
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
        w, h, rows = ppm(data) if data[:2] == b"P6" else xwd(data)
    except (OSError, ValueError, IndexError, struct.error) as e:
        sys.stderr.write("topng.py: %s: %s\n" % (argv[1], e))
        return 1
    png(w, h, rows, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
