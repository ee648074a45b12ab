#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Five sticks with one label: five distinct names by the names contract
# (CROWD, CROWD_2 ... CROWD_5 in the order they were plugged in), each link
# mounting its own stick (a marker file written into each image when it is
# made), the names kept across a crash and a clean restart, a freed name
# taken by the next stick, and coldplug with no memory naming them in
# device-number order whatever order the probes answer in.
. "$(dirname "$0")/lib.sh"

# mkmarked FILE LABEL TEXT: ext4 with a file "marker" holding TEXT
mkmarked() {
	rm -rf "$T/root" && mkdir "$T/root" && echo "$3" > "$T/root/marker"
	rm -f "$1" && truncate -s 16M "$1" && mkfs.ext4 -q -F -L "$2" -d "$T/root" "$1"
}
# marker_ok NAME DEV: <media_dir>/list/NAME mounts DEV's stick
marker_ok() {
	[ "$(cat "$MEDIA/list/$1/marker" 2>/dev/null)" = "stick on $(img_of "$2")" ]
}
img_of() { basename "$(cat "/sys/block/${1#/dev/}/loop/backing_file")" .img; }
# names_are NAME=DEV...: each NAME's record is for DEV
names_are() {
	for p in "$@"; do
		[ "$(rec "${p%%=*}" devname 2>/dev/null)" = "${p#*=}" ] || return 1
	done
}

start_mediad
start_automount
for i in 1 2 3 4 5; do
	mkmarked "$T/s$i.img" CROWD "stick on s$i"
done
attach D1 "$T/s1.img"
check "first stick is CROWD" wait_link CROWD
for i in 2 3 4 5; do
	attach "D$i" "$T/s$i.img"
	check "stick $i is CROWD_$i" wait_link "CROWD_$i"
done
want="CROWD=$D1 CROWD_2=$D2 CROWD_3=$D3 CROWD_4=$D4 CROWD_5=$D5"
# shellcheck disable=SC2086
check "each name's record is for the stick plugged in at that turn" names_are $want
check "exactly five names of ours" test "$(our_names | wc -l)" -eq 5
for n in CROWD CROWD_2 CROWD_3 CROWD_4 CROWD_5; do
	d=$(rec "$n" devname)
	check "$n mounts its own stick ($(img_of "$d"))" marker_ok "$n" "$d"
done
contract_checks "five sticks" $D1 $D2 $D3 $D4 $D5

# names are kept across a crash and a clean restart (mounts included)
stop_mediad KILL
start_mediad
# shellcheck disable=SC2086
check "after kill -9 and restart: the same five names" names_are $want
stop_mediad TERM
start_mediad
# shellcheck disable=SC2086
check "after a clean restart: the same five names" names_are $want

# the third pulled (unmounted first: a loop device detached while mounted
# goes only when the mount expires): its name goes, the others keep
# theirs; the next stick takes the lowest free name
stop_automount
detach "$D3"
check "third pulled: CROWD_3 withdrawn" wait_no_link CROWD_3 30
check "the other four keep their names" \
	names_are "CROWD=$D1" "CROWD_2=$D2" "CROWD_4=$D4" "CROWD_5=$D5"
mkmarked "$T/s6.img" CROWD "stick on s6"
attach D6 "$T/s6.img"
check "a sixth stick takes the free CROWD_3" wait_link CROWD_3
check "CROWD_3 is the sixth stick" test "$(rec CROWD_3 devname)" = "$D6"
start_automount
check "and mounts it" wait_until 10 "$MEDIA" marker_ok CROWD_3 "$D6"

# no memory at all (state wiped while stopped): coldplug names them in
# device-number order
stop_automount
stop_mediad TERM
rm -rf "$STATE"
start_mediad
order=$(for d in $D1 $D2 $D4 $D5 $D6; do echo "${d#/dev/loop} $d"; done | sort -n | cut -d' ' -f2)
set -- $order
check "fresh coldplug: names in device-number order" \
	names_are "CROWD=$1" "CROWD_2=$2" "CROWD_3=$3" "CROWD_4=$4" "CROWD_5=$5"
start_automount
allown=0
for n in CROWD CROWD_2 CROWD_3 CROWD_4 CROWD_5; do
	marker_ok "$n" "$(rec "$n" devname)" || { allown=1; diag "$n: $(cat "$MEDIA/list/$n/marker" 2>&1)"; }
done
check "after that coldplug each name still mounts its own stick" test $allown -eq 0
contract_checks "after coldplug" $D1 $D2 $D4 $D5 $D6
done_testing
