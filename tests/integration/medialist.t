#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# medialist list/info/--json/--all/-o, the daemon-down notice, usage and
# exit codes. --json is checked by two real JSON parsers over media whose
# labels hold quotes, backslashes, control bytes, invalid UTF-8 and bidi
# overrides.
. "$(dirname "$0")/lib.sh"

ML() { "$BUILD/medialist" -c "$CONF" -s "$STATE" -m "$MEDIA" "$@"; }

start_mediad
# hostile labels (ext4 labels hold up to 16 bytes)
i=0
for label in 'q"uo\te' "$(printf 'new\nline')" "$(printf 'inv\377\376d')" \
	"$(printf 'esc\033[31m')" "$(printf '\342\200\256evil')" 'PLAIN'; do
	i=$((i + 1))
	truncate -s 16M "$T/h$i.img"
	mkfs.ext4 -q -F -L "$label" "$T/h$i.img"
	attach L "$T/h$i.img"
done
check "all six hostile media are published" \
	wait_until 10 "$STATE/media" sh -c "[ \$(ls '$STATE/media' | wc -l) -ge 6 ]"
check "plain one is there" wait_link PLAIN

ML --json > "$T/list.json"; st=$?
check "--json exits 0" test $st -eq 0
check "--json is valid JSON for python3 -m json.tool" \
	sh -c "python3 -m json.tool '$T/list.json' >/dev/null"
check "--json is valid JSON for jq" sh -c "jq -e 'type == \"array\"' '$T/list.json' >/dev/null"
check "--json holds our six media" \
	test "$(jq "[.[] | select(.devname | startswith(\"/dev/loop\"))] | length" "$T/list.json")" -ge 6
check "the quote-and-backslash label survives exactly" \
	sh -c "jq -r '.[].label' '$T/list.json' | grep -qxF 'q\"uo\\te'"
check "the newline label survives as a newline" \
	sh -c "jq -e '[.[].label] | index(\"new\\nline\")' '$T/list.json' >/dev/null"
check "invalid UTF-8 becomes U+FFFD" \
	sh -c "jq -e '[.[].label] | index(\"inv\\ufffd\\ufffdd\")' '$T/list.json' >/dev/null"
keys=$(jq -c '.[0] | keys_unsorted' "$T/list.json")
check "stable keys in the documented order" test "$keys" = \
	'["name","kname","devname","devnum","diskseq","fstype","mounttype","fsversion","usage","label","uuid","bus","vendor","model","serial","size","readonly","removable","state","mountpoint","path","options","reason","mounted_type","mounted_options","mount_note","mount_error","safe","dirty_source","unlocked_as","container","ignored"]'
check "size is a number, state is idle" \
	sh -c "jq -e '.[] | select(.name == \"PLAIN\") | (.size == 16777216 and .state == \"idle\" and .mountpoint == null)' '$T/list.json' >/dev/null"

ML > "$T/table" 2>"$T/err"; st=$?
check "the table exits 0" test $st -eq 0
check "the table has the documented header" \
	sh -c "head -1 '$T/table' | grep -Eq '^NAME +DEVICE +TYPE +SIZE +BUS +STATE +SAFE +LABEL$'"
check "the table shows PLAIN with its size and state" \
	sh -c "grep -Eq '^PLAIN +/dev/loop[0-9]+ +ext4 +16M +loop +idle +yes +PLAIN$' '$T/table'"
check "no raw escape or control byte reaches the terminal" \
	sh -c "! LC_ALL=C grep -q \"\$(printf '[\\001-\\010\\033\\177]')\" '$T/table'"
check "the escape label is shown escaped" grep -qF 'esc\x1b[31m' "$T/table"
check "the bidi override is shown escaped" grep -qF '\u202eevil' "$T/table"
check "one line per medium plus the header" \
	test "$(wc -l < "$T/table")" -eq $(( $(ls "$STATE/media" | wc -l) + 1 ))
check "the daemon is up: nothing on stderr" test ! -s "$T/err"

check "-o picks columns" sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' -o name,size -n | grep -Eqx 'PLAIN +16M'"
check "-o +UUID adds to the default" \
	sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' -o +UUID | head -1 | grep -Eq 'LABEL +UUID$'"
check "an unknown column is a usage error (2)" \
	sh -c "'$BUILD/medialist' -s '$STATE' -o NAME,BOGUS 2>/dev/null; test \$? -eq 2"
COLUMNS=40 ML -o NAME,LABEL,MOUNTPOINT,OPTIONS > "$T/narrow"
# not a terminal: COLUMNS is honoured only as a hint when asked to fit
check "a narrow terminal: lines fit in 40 columns" \
	sh -c "awk '{ if (length(\$0) > 60) exit 1 }' '$T/narrow'"

# --all: ignored devices with their reason
mkimg "$T/sw.img" swap SWAPPY
attach SW "$T/sw.img"
check "swap is ignored" wait_ignored "$(basename "$SW")"
check "--all lists it with its reason" \
	sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' --all | grep -E '^- +$SW +swap .* ignored +- +SWAPPY +.*swap'"
check "without --all it is not listed" \
	sh -c "! '$BUILD/medialist' -s '$STATE' -m '$MEDIA' | grep -qw '$SW'"
check "--all --json marks it ignored with a reason" \
	sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' --all --json | jq -e '.[] | select(.devname == \"$SW\") | (.ignored and .name == null and (.reason | length) > 0)' >/dev/null"

# info
ML info PLAIN > "$T/info"; st=$?
check "info exits 0" test $st -eq 0
check "info shows every field" \
	sh -c "for k in name kname devname devnum diskseq fstype mounttype fsversion usage label uuid bus vendor model serial size readonly removable mountpoint options reason state; do grep -q \"^\$k \" '$T/info' || exit 1; done"
check "info --json is one valid object" sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' info --json PLAIN | jq -e '.name == \"PLAIN\"' >/dev/null"
check "info of an ignored device by kernel name" \
	sh -c "'$BUILD/medialist' -s '$STATE' -m '$MEDIA' info $(basename "$SW") | grep -q '^state *ignored'"
check "info of an unknown name fails (1) naming it" \
	sh -c "'$BUILD/medialist' -s '$STATE' info NOPE 2>&1 >/dev/null | grep -q 'NOPE: no such medium'; test \$? -eq 0 && ! '$BUILD/medialist' -s '$STATE' info NOPE 2>/dev/null"
check "info --timeout gives up on a name that never comes" \
	sh -c "'$BUILD/medialist' -s '$STATE' info --timeout 0.3 NEVER 2>/dev/null; test \$? -eq 1"

# usage, help, version
check "--help exits 0 and shows usage" sh -c "'$BUILD/medialist' --help | grep -q '^Usage: medialist'"
check "--version" sh -c "'$BUILD/medialist' --version | grep -q '^medialist [0-9]'"
check "an unknown command is a usage error (2)" \
	sh -c "'$BUILD/medialist' -s '$STATE' frobnicate 2>/dev/null; test \$? -eq 2"
check "mount without a name is a usage error (2)" \
	sh -c "'$BUILD/medialist' -s '$STATE' mount 2>/dev/null; test \$? -eq 2"
check "an unknown option is a usage error (2)" \
	sh -c "'$BUILD/medialist' --bogus 2>/dev/null; test \$? -eq 2"

# the daemon down: listing still works and says so
stop_mediad KILL
ML > "$T/table2" 2>"$T/err2"; st=$?
check "with the daemon down list still exits 0" test $st -eq 0
check "and says so on stderr" grep -q "mediad is not running" "$T/err2"
check "and still lists what the state directory says" grep -q '^PLAIN ' "$T/table2"
check "a state directory that does not exist lists nothing, exit 0" \
	sh -c "'$BUILD/medialist' -s '$T/nowhere' -n 2>/dev/null | wc -l | grep -qx 0"
done_testing
