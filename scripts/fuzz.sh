#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz with clang into build-fuzz and
# runs HARNESS (or all of them, one after the other) for SECONDS each:
#
#   sh scripts/fuzz.sh all 5             the smoke run of scripts/test.sh
#   sh scripts/fuzz.sh fuzz_parsers 600  ten minutes on one harness
#   sh scripts/fuzz.sh all 0             only replay the corpus
#
# Each run first replays the seed corpus of tests/fuzz/corpus/<harness>/
# (crashing inputs found earlier are kept there as regression cases), then
# fuzzes. New inputs go to a scratch corpus (FUZZ_SCRATCH, default
# build-fuzz/corpus/<harness>), never into the repository; a crash, leak,
# timeout or sanitizer report is saved under build-fuzz/crashes/ and makes
# the script exit non-zero. The log of each run is build-fuzz/logs/<harness>.log.
set -eu
cd "$(dirname "$0")/.."

usage() {
    echo "usage: sh scripts/fuzz.sh HARNESS|all SECONDS" >&2
    echo "harnesses: $(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||' | tr '\n' ' ')" >&2
    exit 64
}
[ $# -eq 2 ] || usage
which=$1
seconds=$2
case $seconds in '' | *[!0-9]*) usage ;; esac

build_dir=build-fuzz
scratch=${FUZZ_SCRATCH:-$build_dir/corpus}
if [ "$which" = all ]; then
    harnesses=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')
else
    [ -f "tests/fuzz/$which.c" ] || usage
    harnesses=$which
fi

# FUZZ_NO_BUILD=1 runs the harnesses as last built (e.g. while another
# part of the tree does not compile).
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is missing (sh scripts/setup.sh)" >&2; exit 69; }
    cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang -DREBATE_FUZZ=ON -DREBATE_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build_dir" -j 2 --target fuzzers >/dev/null
fi

mkdir -p "$build_dir/crashes" "$build_dir/logs"
# Leaks count as failures; UBSan stops at the first report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1:print_stacktrace=1"

# Longest input worth trying: enough for a few CSV records with long fields
# or a whole config file, small enough to keep thousands of runs a second.
max_len() {
    case $1 in
    fuzz_import_*) echo 8192 ;;
    fuzz_config) echo 4096 ;;
    fuzz_bank_answer) echo 8192 ;;
    fuzz_parsers) echo 256 ;;
    fuzz_words) echo 16 ;;
    *) echo 4096 ;;
    esac
}

failed=""
for h in $harnesses; do
    seeds=tests/fuzz/corpus/$h
    work=$scratch/$h
    mkdir -p "$work" "$seeds"
    dict=""
    case $h in fuzz_import_*) dict=tests/fuzz/import.dict ;; *) [ -f "tests/fuzz/$h.dict" ] && dict=tests/fuzz/$h.dict ;; esac
    log=$build_dir/logs/$h.log
    set -- -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$h")" -print_final_stats=1 \
        -artifact_prefix="$build_dir/crashes/$h-"
    [ -n "$dict" ] && set -- "$@" -dict="$dict"
    if [ "$seconds" -eq 0 ]; then
        set -- "$@" -runs=0
    else
        set -- "$@" -max_total_time="$seconds"
    fi
    status=0
    "$build_dir/$h" "$@" "$work" "$seeds" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $h FAILED (status $status), see $log; inputs in $build_dir/crashes/" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z_]*: )' "$log" | head -n 5 >&2 || true
        failed="$failed $h"
    else
        echo "fuzz: $h ok: ${runs:-?} runs in ${seconds}s, ${speed:-?} exec/s, cov ${cov:-?}"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed" >&2
    exit 1
fi
