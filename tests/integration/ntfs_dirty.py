#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ntfs_dirty.py IMG: sets VOLUME_IS_DIRTY in an NTFS image's $Volume
($VOLUME_INFORMATION flags), as Windows leaves a volume it did not shut
down cleanly (fallback.t). No tool of ntfs-3g's sets it."""
import struct, sys
img = sys.argv[1]
with open(img, "r+b") as f:
    boot = f.read(512)
    bps = struct.unpack_from("<H", boot, 11)[0]
    spc = boot[13]
    cluster = bps * spc
    mft_lcn = struct.unpack_from("<q", boot, 48)[0]
    c = struct.unpack_from("<b", boot, 64)[0]
    rec_size = cluster * c if c > 0 else 1 << -c
    off = mft_lcn * cluster + 3 * rec_size          # MFT record 3: $Volume
    f.seek(off)
    rec = bytearray(f.read(rec_size))
    assert rec[:4] == b"FILE", "not an MFT record"
    usa_off, usa_n = struct.unpack_from("<HH", rec, 4)
    usn = rec[usa_off:usa_off + 2]
    # undo the fixups: the last two bytes of each sector hold the USN
    for i in range(1, usa_n):
        end = i * bps - 2
        assert rec[end:end + 2] == usn, "bad fixup"
        rec[end:end + 2] = rec[usa_off + 2 * i:usa_off + 2 * i + 2]
    a = struct.unpack_from("<H", rec, 20)[0]
    while True:
        typ, length = struct.unpack_from("<II", rec, a)
        assert typ != 0xFFFFFFFF, "no $VOLUME_INFORMATION"
        if typ == 0x70:
            voff = struct.unpack_from("<H", rec, a + 20)[0]
            flags_at = a + voff + 10
            flags = struct.unpack_from("<H", rec, flags_at)[0] | 0x0001
            struct.pack_into("<H", rec, flags_at, flags)
            break
        a += length
    # redo the fixups
    for i in range(1, usa_n):
        end = i * bps - 2
        rec[usa_off + 2 * i:usa_off + 2 * i + 2] = rec[end:end + 2]
        rec[end:end + 2] = usn
    f.seek(off)
    f.write(rec)
    # the $MFTMirr copy of record 3 as well (chkdsk compares them)
    mirr = struct.unpack_from("<q", boot, 56)[0]
    f.seek(mirr * cluster + 3 * rec_size)
    f.write(rec)
