#!/bin/sh
# check_codes_seen.sh - every diagnostic code of src/diag/codes.h was
# emitted by some test of this run (make test sets BACKBONE_DIAG_RECORD,
# and the diagnostics context appends each code it adds to that file).
# A code only written into a test, never emitted, is reported here.
#
#   sh scripts/check_codes_seen.sh RECORD
set -eu
cd "$(dirname "$0")/.."
record=$1
[ -f "$record" ] || { echo "codes: no record at $record (was BACKBONE_DIAG_RECORD set?)"; exit 1; }
all=$(grep -o 'X(BB[0-9]\{4\}' src/diag/codes.h | sed 's/X(//' | sort -u)
seen=$(sort -u "$record")
missing=$(printf '%s\n' "$all" | while read -r c; do
    printf '%s\n' "$seen" | grep -qx "$c" || printf ' %s' "$c"
done)
total=$(printf '%s\n' "$all" | wc -l)
if [ -n "$missing" ]; then
    echo "codes: emitted by no test:$missing"
    exit 1
fi
echo "codes: all $total diagnostic codes were emitted by the tests"
