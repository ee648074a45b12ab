#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Labels written by a stranger: path tricks, option and shell syntax,
# control bytes, terminal escapes, invalid UTF-8, bidi overrides, 255
# bytes, only spaces; names special to autofs ('*', a leading '+'), made
# only of invisible characters, padded with Unicode spaces, holding a bidi
# mark. Whatever the label: a valid name (or the fallback),
# a link that stays in <media_dir>/auto, the raw label kept in the record,
# only the policy's options, auto.media's entry pointing at the device,
# medialist's table free of terminal controls and its JSON valid; and
# automount mounts it under <media_dir>/auto with nosuid,nodev.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }
export MEDIAD_CONFIG="$CONF"
HERE=$(cd "$(dirname "$0")" && pwd)
# name_of DEV: the name of the record whose devname is DEV
name_of() {
	for f in "$STATE"/media/*; do
		[ "$(field "$f" devname)" = "$1" ] && { basename "$f"; return 0; }
	done
	return 1
}
published() { name_of "$1" >/dev/null; }

start_mediad
start_automount
i=0
# ext4 labels: at most 16 bytes, any bytes but NUL (e2label writes them)
for lab in '..' '.' 'a/b' '../../etc' '-o suid' '$(reboot)' '`id`' \
	"$(printf 'new\nline')" "$(printf '\033]0;pwn\007\033[2J')" \
	"$(printf 'bad\377\376utf8')" "$(printf '\342\200\256txt.exe')" '    ' \
	'-' ' .. /' "$(printf '\\\\x2f')" \
	'*' 'x*y' '+x' "$(printf '\342\200\213\342\200\213\342\200\213')" \
	"$(printf '\302\240PAD\302\240')" "$(printf 'ab\330\234cd')" \
	"$(printf '\343\200\200\343\200\200')" "$(printf 'ZW\342\200\213SP')"; do
	i=$((i + 1))
	mkimg "$T/h$i.img" ext4 X
	e2label "$T/h$i.img" "$lab" || diag "e2label refused label $i"
	attach L "$T/h$i.img"
	eval "DEV$i=\$L"
	eval "LABEL$i=\$lab"
done
n=$i
for i in $(seq 1 "$n"); do
	eval "d=\$DEV$i"
	check "hostile label $i is published" wait_until 10 "$STATE/media" published "$d"
done
check "a/b becomes a_b" test "$(name_of "$DEV3")" = a_b
check "../../etc loses its leading dots and slashes" test "$(name_of "$DEV4")" = "_.._etc"
check "-o suid loses its dash" test "$(name_of "$DEV5")" = "o suid"
check "\$(reboot) is kept as text" test "$(name_of "$DEV6")" = '$(reboot)'
check "'..' falls back to the kernel name" test "$(name_of "$DEV1")" = "$(basename "$DEV1")"
check "only spaces falls back to the kernel name" test "$(name_of "$DEV12")" = "$(basename "$DEV12")"
check "the RTL override at the start is dropped" test "$(name_of "$DEV11")" = "txt.exe"
# 16-23: what autofs reads as special, and what draws nothing
# ('*' and ' .. /' both become '_': the one published second is '__2')
check "'*' (autofs's wildcard key) becomes '_'" \
	test "$(name_of "$DEV14") $(name_of "$DEV16")" = "_ __2" -o \
		"$(name_of "$DEV14") $(name_of "$DEV16")" = "__2 _"
check "x*y becomes x_y" test "$(name_of "$DEV17")" = "x_y"
check "+x (an autofs included map) loses its '+'" test "$(name_of "$DEV18")" = "x"
check "only zero-width spaces falls back to the kernel name" \
	test "$(name_of "$DEV19")" = "$(basename "$DEV19")"
check "U+00A0 padding is dropped" test "$(name_of "$DEV20")" = "PAD"
check "the Arabic letter mark U+061C becomes '_'" test "$(name_of "$DEV21")" = "ab_cd"
check "only ideographic spaces falls back to the kernel name" \
	test "$(name_of "$DEV22")" = "$(basename "$DEV22")"
check "a zero-width space inside becomes '_'" test "$(name_of "$DEV23")" = "ZW_SP"
for i in $(seq 16 23); do
	eval "d=\$DEV$i; l=\$LABEL$i"
	nm=$(name_of "$d")
	check "label $i: its link in list/ is ../auto/NAME" \
		test "$(readlink "$MEDIA/list/$nm")" = "../auto/$nm"
	o=$("$BUILD/auto.media" "$l" 2>"$T/am.err"); st=$?
	check "label $i: auto.media refuses the raw label as a key (status 1, nothing printed)" \
		test "$st" -eq 1 -a -z "$o"
	check "label $i: and says it is no medium name" grep -q "not a medium name" "$T/am.err"
done
for i in 1 3 4 8 9 10 11; do
	eval "d=\$DEV$i; l=\$LABEL$i"
	nm=$(name_of "$d")
	check "label $i: the record keeps every byte of the label" \
		python3 -c 'import sys
r = open(sys.argv[1], "rb").read().decode("latin-1")
v = [l[6:] for l in r.split("\n") if l.startswith("label=")][0]
raw = bytes(v, "latin-1").decode("unicode_escape").encode("latin-1")
sys.exit(raw != sys.argv[2].encode("utf-8", "surrogateescape"))' "$STATE/media/$nm" "$l"
done

# the longest label btrfs-progs writes (it takes 255 bytes and keeps 254:
# 127 two-byte characters); the name is cut to 64 bytes on a character
# boundary, the label kept whole
long=$(printf 'é%.0s' $(seq 1 127))x
mkimg "$T/long.img" btrfs X
btrfs filesystem label "$T/long.img" "$long" 2>/dev/null ||
	mkfs.btrfs -q -f -L "$long" "$T/long.img" >/dev/null
attach LONG "$T/long.img"
check "long label: published" wait_until 20 "$STATE/media" published "$LONG"
nm=$(name_of "$LONG")
check "long label: name of 64 bytes or fewer, whole characters" \
	python3 -c 'import sys; b = sys.argv[1].encode("utf-8", "surrogateescape"); b.decode(); sys.exit(not 0 < len(b) <= 64)' "$nm"
check "long label: the record keeps all of it (as blkid reads it)" \
	test "$(rec "$nm" label)" = "$(blkid -p -o value -s LABEL "$T/long.img")"
check "long label: at least 254 bytes of it" test "$(rec "$nm" label | wc -c)" -ge 255

# the contract over everything published
devs=$( (for i in $(seq 1 "$n"); do eval "echo \$DEV$i"; done; echo "$LONG") | tr '\n' ' ')
check "every name, link and option by the contract" \
	sh -c "python3 '$HERE/hostile_check.py' '$STATE' '$MEDIA' $devs >&2"

# auto.media: for each name exactly "-fstype=mediad.ext4,OPTIONS :LINK", the link
# this medium's device; nothing of the label on the line
allmap=0
for d in $devs; do
	nm=$(name_of "$d")
	out=$("$BUILD/auto.media" "$nm" 2>/dev/null)
	link=${out##* :}
	if [ "$out" = "-fstype=mediad.$(rec "$nm" mounttype),$(rec "$nm" options) :$link" ] &&
		[ "$(readlink "$link")" = "$d" ]; then :; else
		allmap=1; diag "auto.media '$nm': '$out'"
	fi
done
check "auto.media answers every hostile name with its own device" test $allmap -eq 0

# medialist: the table holds no terminal control, the JSON parses
ML -a > "$T/table"
check "table: no control byte but newlines, no bidi override" \
	python3 -c 'import sys; t = open(sys.argv[1], "rb").read()
sys.exit(any(c < 0x20 and c != 10 or c == 0x7f for c in t) or "\u202e".encode() in t)' "$T/table"
# (a record rewritten while medialist reads the directory may be missed
# by readdir: the count is retried, validity is not)
json_has_all() {
	ML -J -a > "$T/list.json" &&
	test "$(python3 -c 'import json,sys; print(sum(m["devname"] in sys.argv[2:] for m in json.load(open(sys.argv[1]))))' "$T/list.json" $devs)" -eq $((n + 1))
}
check "JSON: every one of our media is in it" wait_until 5 "$STATE/media" json_has_all
check "JSON: valid for python3 -m json.tool" sh -c "python3 -m json.tool '$T/list.json' >/dev/null"
json_names() { # DEV NAME...: medialist's name for each DEV is its record's
	python3 -c 'import json, sys
names = {m["devname"]: m["name"] for m in json.load(open(sys.argv[1]))}
sys.exit(any(names.get(d) != n for d, n in zip(sys.argv[2::2], sys.argv[3::2])))' "$T/list.json" "$@"
}
pairs=""
for i in $(seq 16 23); do
	eval "d=\$DEV$i"
	pairs="$pairs $d $(name_of "$d")"
done
# shellcheck disable=SC2086 # (no name of 16-23 holds a space)
check "medialist --json names media 16-23 as their records do" json_names $pairs
for nm in x_y PAD ab_cd ZW_SP; do
	check "medialist's table shows $nm" grep -qF -- "$nm" "$T/table"
done

# mounting through automount: only under <media_dir>/auto, nosuid,nodev
for i in 3 5 6 7; do
	eval "d=\$DEV$i"
	nm=$(name_of "$d")
	ls "$MEDIA/list/$nm/" >/dev/null 2>&1
	# mountinfo writes a space as \040 (and awk -v would undo that)
	mi=$(grep -F " $(printf '%s' "$MEDIA/auto/$nm" | sed 's/ /\\040/g') " /proc/self/mountinfo | tail -1)
	check "label $i: following the link mounts it under auto/" test -n "$mi"
	opts=,$(printf '%s\n' "$mi" | cut -d' ' -f6),
	check "label $i: mounted nosuid,nodev" \
		sh -c "case '$opts' in *,nosuid,*) ;; *) exit 1;; esac; case '$opts' in *,nodev,*) ;; *) exit 1;; esac"
done
# the literal key '*' through autofs: refused, mounts nothing, and the
# refusal is not reused for other keys (nor an answer for '*' for them)
check "looking up the key '*' gives ENOENT" sh -c "! ls -d -- '$MEDIA/auto/*' 2>/dev/null"
check "and looking up the key '+x' too" sh -c "! ls -d -- '$MEDIA/auto/+x' 2>/dev/null"
check "an unknown name is still unknown after it" sh -c "! ls -d -- '$MEDIA/auto/NOSUCH' 2>/dev/null"
for nm in "$(name_of "$DEV16")" x PAD; do
	ls "$MEDIA/list/$nm/" >/dev/null 2>&1
	check "'$nm' mounts through its link" is_mounted "$MEDIA/auto/$nm"
done
outside=0
for d in $devs; do
	awk -v d="$d" -v a="$MEDIA/auto/" '$1 == d && index($2, a) != 1' /proc/self/mounts | grep -q . && outside=1
done
check "nothing of ours is mounted outside <media_dir>/auto" test $outside -eq 0
check "no file appeared outside the test's directories" test ! -e /etc/pwn -a ! -e "$MEDIA/etc"
check "the daemon is alive" kill -0 "$MEDIAD_PID"
check "nothing at all in the log at error level but what we expect" \
	sh -c "! grep -qiE 'sanitizer|segfault|assert' '$LOG'"
done_testing
