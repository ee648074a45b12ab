#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# stage.sh NAME COMMAND...: run one build stage with a progress line and
# its wall time, so a slow stage is seen at once in a CI log.
name=$1; shift
start=$(date +%s.%N)
printf '[livecd] %-10s started %s\n' "$name" "$(date +%H:%M:%S)"
"$@"; rc=$?
t=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')
if [ $rc -eq 0 ]; then
	printf '[livecd] %-10s done in %.1fs\n' "$name" "$t"
else
	printf '[livecd] %-10s FAILED (exit %d) after %.1fs\n' "$name" "$rc" "$t"
fi
exit $rc
