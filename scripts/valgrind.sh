#!/bin/sh
# Runs rebate under valgrind (docs/reliability.md, "Valgrind"): a build
# without sanitizers in build-valgrind, then, on the sample extracts in a
# temporary folder, the nightly job as cron runs it (twice: with extracts,
# then without), a dry run, a single-firm rerun, explain of a paid and of a
# reviewed firm, words, and a few refusals (each error path frees too).
# Fails on any memory error and on any leak, "still reachable" blocks
# included: today there are none (OpenSSL 3 frees its tables at exit). On a
# system whose libraries keep some, VALGRIND_LEAK_KINDS=definite,indirect
# narrows the check to real leaks (see the doc).
set -eu
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || sh scripts/setup.sh
build=${BUILD_DIR:-build-valgrind}
kinds=${VALGRIND_LEAK_KINDS:-all}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREBATE_SANITIZE=OFF -DREBATE_TESTS=OFF >/dev/null
cmake --build "$build" --target rebate -j "$(nproc)" >/dev/null
rebate=$(pwd)/$build/rebate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/inbox" "$work/outbox"
cp data/sample/registration.csv data/sample/insured_units.csv data/sample/contributions.csv "$work/inbox/"
cat >"$work/rebate.ini" <<INI
[rebate]
database    = $work/rebate.db
inbox       = $work/inbox
outbox      = $work/outbox
archive     = $work/archive
policy_year = 2022
encoding    = auto
INI

failures=0
runs=0
# vg EXPECTED_STATUS ARGS...: runs rebate ARGS under valgrind; valgrind's
# own verdict is status 99, anything else must be the expected status.
vg() {
    expected=$1
    shift
    runs=$((runs + 1))
    status=0
    valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds="$kinds" \
        --errors-for-leak-kinds="$kinds" --track-origins=yes --child-silent-after-fork=yes \
        --log-file="$work/valgrind.log" "$rebate" "$@" >"$work/out.txt" 2>"$work/err.txt" || status=$?
    if [ "$status" -ne "$expected" ]; then
        failures=$((failures + 1))
        echo "valgrind: rebate $* exited $status, expected $expected" >&2
        cat "$work/valgrind.log" "$work/err.txt" >&2
    else
        echo "valgrind: clean: rebate $* (exit $status)"
    fi
}

vg 0 init --config "$work/rebate.ini"
vg 73 init --db "$work/rebate.db"
vg 0 migrate --db "$work/rebate.db"
vg 0 nightly --config "$work/rebate.ini"
vg 0 nightly --config "$work/rebate.ini"
paid=$(sqlite3 "$work/rebate.db" "SELECT uscc FROM decisions WHERE outcome = 'PAY' ORDER BY uscc LIMIT 1")
reviewed=$(sqlite3 "$work/rebate.db" "SELECT uscc FROM decisions WHERE outcome = 'REVIEW' ORDER BY uscc LIMIT 1")
vg 0 explain --db "$work/rebate.db" --year 2022 --uscc "$paid"
vg 0 explain --db "$work/rebate.db" --year 2022 --uscc "$reviewed"
vg 0 run --db "$work/rebate.db" --year 2022 --out "$work/outbox" --dry-run
vg 0 run --db "$work/rebate.db" --year 2022 --out "$work/outbox" --uscc "$reviewed" --by valgrind
first_batch=$(sqlite3 "$work/rebate.db" "SELECT batch_id FROM batches ORDER BY batch_no LIMIT 1")
vg 0 status --db "$work/rebate.db" --batch "$first_batch" --decisions "$work/rebuilt.csv"
vg 0 words 1234.56
vg 0 words 2000000000000.00
vg 0 init --db "$work/again.db"
vg 0 import --db "$work/again.db" "$(pwd)/data/sample"
# A night that changed one line in place: the import patches a copy of the
# snapshot (docs/import.md, "A night that changed a few lines").
mkdir "$work/changed"
cp data/sample/registration.csv data/sample/insured_units.csv "$work/changed/"
sed '10s/,3,42,42,/,4,42,41,/' data/sample/contributions.csv >"$work/changed/contributions.csv"
vg 0 import --db "$work/again.db" "$work/changed"
vg 0 params --db "$work/again.db" list
vg 0 params --db "$work/again.db" show 2025
vg 0 params --db "$work/again.db" add "$(pwd)/data/params/example-2026.ini" --by valgrind
vg 0 status --db "$work/rebate.db"
sed 's/rebate\.db/rebate-typo.db/' "$work/rebate.ini" >"$work/typo.ini"
vg 66 nightly --config "$work/typo.ini"
vg 64 words 12.345
vg 64 run --db "$work/rebate.db" --year 2019 --out "$work/outbox"
vg 66 import --db "$work/rebate.db" "$work/missing"
vg 73 run --db "$work/rebate.db" --year 2022 --out "$work/rebate.ini/out"
vg 78 nightly --config "$work/inbox"

if [ "$failures" -ne 0 ]; then
    echo "valgrind: $failures of $runs runs failed" >&2
    exit 1
fi
echo "valgrind: all $runs runs clean"
