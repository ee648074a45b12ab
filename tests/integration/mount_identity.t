#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Mount identity (issue 14, finding 2): a mount whose source *string* names
# a medium's node (a tmpfs, a FUSE mount with fsname=; anyone can make the
# latter) is not that medium's mount, whether made before or after the
# medium is plugged: the medium is offered, its record's mountpoint stays
# empty. Its parent renamed and replaced by a symlink to a directory that
# holds a real mount, then the medium removed: nothing outside
# <media_dir>/auto is detached. A medium really mounted through automount
# and then pulled has its auto mount detached.
. "$(dirname "$0")/lib.sh"

HERE=$(dirname "$(readlink -f "$0")")
FUSE=""
if [ ! -c /dev/fuse ]; then
	diag "no /dev/fuse: FUSE cases skipped"
elif ! pkg-config --exists fuse3 2>/dev/null; then
	diag "no libfuse3 (pkg-config fuse3): FUSE cases skipped"
elif ! cc -O2 -Wall -o "$T/namefs" "$HERE/namefs.c" $(pkg-config --cflags --libs fuse3) \
	2>"$T/cc.err"; then
	diag "cannot build namefs: FUSE cases skipped: $(head -3 "$T/cc.err")"
else
	FUSE=1
fi
KINDS="tmpfs${FUSE:+ fuse}"

# mount_src DIR: the source string of what is mounted exactly on DIR
mount_src() {
	mount_of "$1" | awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 2); exit } }'
}
# fake KIND DEV DIR: on DIR/m, a mount that only says DEV: a tmpfs whose
# source is DEV, or an empty FUSE filesystem with fsname=DEV
fake() {
	mkdir -p "$3/m"
	case $1 in
	tmpfs) mount -t tmpfs "$2" "$3/m" ;;
	fuse)
		"$T/namefs" "$2" "$3/m" 2>>"$T/namefs.err" &
		EXTRA_PIDS="$EXTRA_PIDS $!"
		wait_until 10 "$T" is_mounted "$3/m" ;;
	esac
}
# plug_under_fake VAR IMG KIND DIR: the fake mount first, naming the node
# the medium is about to get, then the medium on that node. Another tree's
# test may take the node in between: then again with the next free one.
plug_under_fake() {
	for _try in 1 2 3 4 5; do
		l=$(losetup -f) || return 1
		fake "$3" "$l" "$4" || return 1
		# mediad knows the fake mount when the medium arrives
		mounts_seen || return 1
		if losetup "$l" "$2" 2>/dev/null; then
			LOOPS="$LOOPS $l"
			eval "$1=\$l"
			return 0
		fi
		umount -l "$4/m"
	done
	return 1
}
# A mount change that mediad must report (the sentinel mounted under
# auto/, then unmounted): once the record has followed both, mediad has
# also read every mount made before it.
SENT_DIR=$MEDIA/auto/SENTINEL
mounts_seen() {
	mount "$S" "$SENT_DIR" &&
		wait_until 10 "$STATE/media" rec_is SENTINEL mountpoint "$SENT_DIR" &&
		umount "$SENT_DIR" &&
		wait_until 10 "$STATE/media" rec_is SENTINEL mountpoint ""
}
# the mount points outside <media_dir>/auto, one a line
outside_auto() {
	awk '{ print $5 }' /proc/self/mountinfo | grep -v -e "^$MEDIA/auto\$" -e "^$MEDIA/auto/" | sort
}

start_mediad
mkimg "$T/s.img" ext4 SENTINEL
attach S "$T/s.img"
mkdir -p "$SENT_DIR"
check "the sentinel medium is published" wait_link SENTINEL

for kind in $KINDS; do
	K=$(echo "$kind" | tr '[:lower:]' '[:upper:]')
	# made before the medium is plugged
	mkimg "$T/b-$kind.img" ext4 "BEFORE_$K"
	if ! plug_under_fake B "$T/b-$kind.img" "$kind" "$T/b-$kind"; then
		echo "Bail out! cannot attach a loop device under a $kind"
		exit 1
	fi
	eval "B_$kind=\$B"
	check "$kind made before the medium: its source string is $B" \
		test "$(mount_src "$T/b-$kind/m")" = "$B"
	check "$kind made before: the medium is offered all the same" wait_link "BEFORE_$K"
	check "$kind made before: not listed as mounted by the system" \
		test ! -e "$STATE/ignored/$(basename "$B")"
	check "$kind made before: mediad has read the mount table since" mounts_seen
	check "$kind made before: the record's mountpoint is empty" \
		rec_is "BEFORE_$K" mountpoint ""

	# made after the medium is offered
	mkimg "$T/a-$kind.img" ext4 "AFTER_$K"
	attach A "$T/a-$kind.img"
	eval "A_$kind=\$A"
	check "$kind made after: the medium is offered first" wait_link "AFTER_$K"
	fake "$kind" "$A" "$T/a-$kind"
	check "$kind made after: its source string is $A" \
		test "$(mount_src "$T/a-$kind/m")" = "$A"
	check "mediad has read the mount table since" mounts_seen
	check "$kind made after: the record's mountpoint stays empty" \
		rec_is "AFTER_$K" mountpoint ""
	check "$kind made after: both still offered" \
		sh -c "[ -f '$STATE/media/AFTER_$K' ] && [ -f '$STATE/media/BEFORE_$K' ]"
done
grep -E 'BEFORE_|AFTER_|mounted by the system' "$LOG" | grep -v debug | tail -8 | sed 's/^/# /'

# Each fake mount's parent renamed and replaced by a symlink to a
# directory where "the system" has a real mount on m: a detach by path
# would now hit the system's mount.
# The system's mounts first (mediad reads the table on each change), the
# renames last: a rename changes no mount, so mediad still knows each fake
# mount by the path that now leads to the system's.
mkdir -p "$T/sysdata"
for kind in $KINDS; do
	for p in "$T/b-$kind" "$T/a-$kind"; do
		mkdir -p "$T/system-$(basename "$p")/m"
		mount --bind "$T/sysdata" "$T/system-$(basename "$p")/m"
	done
done
check "mediad has read the mount table with the system's mounts" mounts_seen
for kind in $KINDS; do
	for p in "$T/b-$kind" "$T/a-$kind"; do
		mv "$p" "$p.old" && ln -s "$T/system-$(basename "$p")" "$p"
	done
done
outside_auto > "$T/outside.before"

for kind in $KINDS; do
	K=$(echo "$kind" | tr '[:lower:]' '[:upper:]')
	eval "B=\$B_$kind A=\$A_$kind"
	detach "$B"
	detach "$A"
	check "$kind made before: removal withdraws the medium" wait_no_link "BEFORE_$K"
	check "$kind made before: and its record" test ! -e "$STATE/media/BEFORE_$K"
	check "$kind made after: removal withdraws the medium" wait_no_link "AFTER_$K"
	check "$kind made after: and its record" test ! -e "$STATE/media/AFTER_$K"
	for p in "$T/b-$kind" "$T/a-$kind"; do
		check "$(basename "$p"): the $kind itself is still mounted" is_mounted "$p.old/m"
		check "$(basename "$p"): the system's mount behind the symlink is still mounted" \
			is_mounted "$T/system-$(basename "$p")/m"
	done
done
outside_auto > "$T/outside.after"
check "no mount outside $MEDIA/auto was detached" cmp -s "$T/outside.before" "$T/outside.after"
diff "$T/outside.before" "$T/outside.after" | sed 's/^/# /'

# The fake mounts go (left, a fake mount would catch the next medium that
# gets its node, as above: that is not what the rest is about).
for kind in $KINDS; do
	umount "$T/b-$kind.old/m" "$T/a-$kind.old/m"
done
outside_auto > "$T/outside.before"

# A real mount of an offered medium outside auto/ (root mounted it there
# by hand), its parent then swapped for a symlink to a directory with a
# system mount, and the medium pulled: the system's mount stays. (The
# kernel is made to announce the removal: a loop device cannot vanish
# while mounted, the detach waits for the mount; a "remove" written to
# its uevent file sends the uevent a pulled stick sends.)
mkimg "$T/r.img" ext4 BYHAND
attach R "$T/r.img"
check "published" wait_link BYHAND
mkdir -p "$T/byhand/m" "$T/system-byhand/m"
mount "$R" "$T/byhand/m"
mount --bind "$T/sysdata" "$T/system-byhand/m"
check "mediad has read the mount table since" mounts_seen
mv "$T/byhand" "$T/byhand.old" && ln -s "$T/system-byhand" "$T/byhand"
echo remove > "/sys/block/$(basename "$R")/uevent"
check "mounted by hand outside auto/, pulled: withdrawn" wait_no_link BYHAND
check "the system's mount behind the swapped path is still mounted" \
	is_mounted "$T/system-byhand/m"
diag "root's own mount of it: $(is_mounted "$T/byhand.old/m" && echo "left alone" || echo "detached")"
umount "$T/byhand.old/m" 2>/dev/null
outside_auto > "$T/outside.before"

# The real thing: mounted through automount, then pulled (as above).
start_automount
mkimg "$T/p.img" ext4 PULLED
attach P "$T/p.img"
check "published" wait_link PULLED
check "mounted through automount" ls "$MEDIA/list/PULLED/lost+found"
check "the record shows the auto mount" \
	wait_until 10 "$STATE/media" rec_is PULLED mountpoint "$MEDIA/auto/PULLED"
echo remove > "/sys/block/$(basename "$P")/uevent"
check "pulled while mounted: withdrawn" wait_no_link PULLED
check "and its auto mount is detached" wait_until 10 "$T" not_mounted "$MEDIA/auto/PULLED"
outside_auto > "$T/outside.pulled"
check "the system's mounts are all still there" \
	cmp -s "$T/outside.before" "$T/outside.pulled"
check "the daemon is alive" kill -0 "$MEDIAD_PID"
done_testing
