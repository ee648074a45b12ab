#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Forged uevents (issue 14, finding 8): an unprivileged user (nobody) sends
# a unicast NETLINK_KOBJECT_UEVENT message straight to mediad's netlink
# socket, in the kernel's format on the kernel source and in libudev's
# (its "libudev" header, the filter hashes right) on the udev source: an
# "add" of a device that is not there and a "remove" of a published
# medium. mediad ignores both: no event handled (log_level=debug logs
# each one it handles), no record made, none withdrawn. The same from
# nobody as root of its own user namespace. libudev checks the sender;
# both sources depend on it: this pins it.
. "$(dirname "$0")/lib.sh"

HERE=$(dirname "$(readlink -f "$0")")
SEND=$HERE/uevent_send.py
AS_NOBODY() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
FMT=$SOURCE # the format of the messages mediad's socket receives

start_mediad
mkimg "$T/a.img" ext4 VICTIM
attach A "$T/a.img"
check "the victim medium is published" wait_link VICTIM
DEVNUM=$(rec VICTIM devmajor):$(rec VICTIM devminor)
KNAME=$(basename "$A")

PORTS=$(python3 "$SEND" ports "$MEDIAD_PID" | tr '\n' ' ')
diag "mediad's uevent sockets (netlink port ids): $PORTS"
check "mediad's uevent socket is found" test -n "$PORTS"

# the log from here on: what mediad handled after the forgeries
OFFSET=$(wc -c < "$LOG")
after() { tail -c +$((OFFSET + 1)) "$LOG"; }

# nobody's sends are delivered or refused by the kernel (recent kernels
# refuse them): either is fine; mediad acting on one never is
# The add names loop4077: a real loop7 comes and goes with other tests on
# the machine, and its real events must not be taken for the forged one.
forge() { # CREDS WHO...: the forged add and remove, sent by WHO
	creds=$1; shift
	"$@" "$SEND" send $creds "$FMT" add loop4077 7:4077 $PORTS
	"$@" "$SEND" send $creds "$FMT" remove "$KNAME" "$DEVNUM" $PORTS
}
forge "" AS_NOBODY /usr/bin/python3 > "$T/sent" 2>&1
check "nobody's forged add and remove ($FMT format): $(tr '\n' ' ' < "$T/sent")" \
	test "$(grep -cx -e "sent [1-9][0-9]*" -e "refused EPERM" "$T/sent")" -eq 2
if AS_NOBODY unshare -U -r true 2>/dev/null; then
	forge "" AS_NOBODY unshare -U -r /usr/bin/python3 > "$T/sent" 2>&1
	check "and as root of its own user namespace: $(tr '\n' ' ' < "$T/sent")" \
		test "$(grep -cx -e "sent [1-9][0-9]*" -e "refused EPERM" "$T/sent")" -eq 2
else
	diag "no unprivileged user namespaces here: that case skipped"
fi
# Where the kernel refuses nobody, root sends the same with nobody's
# credentials: the message as mediad's socket gets it from a kernel that
# lets it through, so that libudev's own check is what is tested.
forge "--creds 65534" python3 > "$T/sent" 2>&1
check "the same with nobody's credentials reaches the socket: $(tr '\n' ' ' < "$T/sent")" \
	test "$(grep -cx "sent [1-9][0-9]*" "$T/sent")" -eq 2
AS_NOBODY /usr/bin/python3 "$SEND" multicast "$FMT" add loop4077 7:4077 > "$T/mc" 2>&1
check "a multicast to the $FMT group is refused to nobody by the kernel ($(cat "$T/mc"))" \
	grep -qx EPERM "$T/mc"

# A real event after the forgeries, on the same socket: once mediad has
# published it, it has read (and judged) everything sent before it.
mkimg "$T/b.img" ext4 AFTERWARDS
attach B "$T/b.img"
check "a real medium plugged afterwards is published" wait_link AFTERWARDS
after > "$T/after.log"
check "the forged add was not handled (no 'event add loop4077')" \
	sh -c "! grep -q 'event add loop4077' '$T/after.log'"
check "the forged remove was not handled (no 'event remove $KNAME')" \
	sh -c "! grep -q 'event remove $KNAME\$' '$T/after.log'"
grep -rls -e 'SPOOFED' -e '^kname=loop4077$' "$STATE/media" "$STATE/ignored" > "$T/forged.rec"
check "no record for the forged device" test ! -s "$T/forged.rec"
while read -r f; do diag "$f:"; sed 's/^/#   /' "$f"; done < "$T/forged.rec"
check "the victim is still published" has_link VICTIM
check "with its record" rec_is VICTIM devname "$A"
check "nothing was withdrawn" sh -c "! grep -q withdrawn '$T/after.log'"
grep -E 'event|withdrawn|published' "$T/after.log" | grep -v 'debug: dirty' | sed 's/^/# /'
check "the daemon is alive" kill -0 "$MEDIAD_PID"
done_testing
