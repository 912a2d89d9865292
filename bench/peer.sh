#!/bin/sh
# The benchmark's peer: loads the three extracts into a fresh SQLite database
# with the sqlite3 shell and applies the main rules in plain SQL (peer.sql),
# writing the payable list, as a bureau's IT staff would without rebate.
# Prints the number of firms to pay, the wall time and the database size.
#
# usage: bench/peer.sh DATA_DIR POLICY_YEAR OUT_CSV [DB]
#   DB defaults to OUT_CSV's folder/peer.db; it is deleted first.
set -eu

usage() {
    echo "usage: bench/peer.sh DATA_DIR POLICY_YEAR OUT_CSV [DB]" >&2
    exit 64
}
[ $# -ge 3 ] && [ $# -le 4 ] || usage
data=$1
year=$2
out=$3
db=${4:-$(dirname "$out")/peer.db}
case $year in
    [12][0-9][0-9][0-9]) ;;
    *) echo "peer: policy year must be four digits, not '$year'" >&2; exit 64 ;;
esac
for f in registration.csv insured_units.csv contributions.csv; do
    [ -r "$data/$f" ] || { echo "peer: cannot read '$data/$f'" >&2; exit 66; }
done
# The paths go into dot-commands inside double quotes.
case "$data$out" in
    *'"'* | *'|'*) echo "peer: paths must not contain '\"' or '|'" >&2; exit 64 ;;
esac
command -v sqlite3 >/dev/null || { echo "peer: sqlite3 (Debian package sqlite3) is missing" >&2; exit 69; }

here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$data" && pwd)
mkdir -p "$(dirname "$out")" "$(dirname "$db")"
rm -f "$db" "$db-journal" "$db-wal" "$db-shm" "$out"

start=$(date +%s%N)
sed -e "s|@DATA@|$data|g" -e "s|@OUT@|$out|g" \
    -e "s|@POLICY_YEAR@|$year|g" -e "s|@DATA_YEAR@|$((year - 1))|g" "$here/peer.sql" |
    sqlite3 -batch -bail "$db"
end=$(date +%s%N)

ms=$(((end - start) / 1000000))
rows=$(($(wc -l <"$out") - 1))
bytes=$(wc -c <"$db")
printf 'peer: %d firms payable for %s, wall %d.%03d s, database %d bytes\n' \
    "$rows" "$year" $((ms / 1000)) $((ms % 1000)) "$bytes"
