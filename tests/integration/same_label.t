#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Two and three media with one label: _2, _3; names stay while plugged in.
. "$(dirname "$0")/lib.sh"

start_mediad
mkimg "$T/a.img" ext4 TWIN
mkimg "$T/b.img" ext4 TWIN
mkimg "$T/c.img" ext4 TWIN
attach A "$T/a.img"
check "first TWIN" wait_link TWIN
attach B "$T/b.img"
check "second gets TWIN_2" wait_link TWIN_2
attach C "$T/c.img"
check "third gets TWIN_3" wait_link TWIN_3
check "TWIN_2 is the second device" test "$(rec TWIN_2 devname)" = "$B"
detach "$A"
check "first one pulled: TWIN goes" wait_no_link TWIN
check "TWIN_2 keeps its name" test "$(rec TWIN_2 devname)" = "$B"
check "TWIN_3 keeps its name" test "$(rec TWIN_3 devname)" = "$C"
reattach "$A" "$T/a.img"
check "plugged again, it takes the free name" wait_link TWIN
check "which is its own" test "$(rec TWIN devname)" = "$A"
done_testing
