#!/bin/sh
# The long kill test (docs/reliability.md, "Crashes"): `rebate nightly` is
# killed with SIGKILL hundreds of times at random instants of its import,
# archive move, run and publication, on generated extracts, and after every
# kill the invariants are checked; each round ends with a clean night whose
# ledger must equal that of a night never interrupted. It is the CTest kill
# test (tests/reliability/test_kill.c) run longer, on a Release build in
# build-kill (no sanitizers: speed).
#
#   sh scripts/kill_test.sh                 # 300 kills on 20000 firms
#   REBATE_KILLS=1000 REBATE_KILL_FIRMS=5000 sh scripts/kill_test.sh
#   REBATE_KILL_SEED=12345 sh scripts/kill_test.sh   # replay a run's delays
#   REBATE_KILL_SEED=random sh scripts/kill_test.sh  # a new seed from the clock (soak)
#
# Without REBATE_KILL_SEED the delays come from the runner's fixed seed, the
# one CI uses; the seed is printed before the first kill either way.
set -eu
cd "$(dirname "$0")/.."
command -v cmake >/dev/null 2>&1 || sh scripts/setup.sh
build=${BUILD_DIR:-build-kill}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DREBATE_SANITIZE=OFF -DREBATE_TESTS=ON >/dev/null
cmake --build "$build" --target rebate gen_extracts reliability_test_kill -j "$(nproc)" >/dev/null
export REBATE_KILLS="${REBATE_KILLS:-300}"
export REBATE_KILL_FIRMS="${REBATE_KILL_FIRMS:-20000}"
start=$(date +%s)
"$build/reliability_test_kill"
echo "kill_test.sh: wall time $(($(date +%s) - start)) s"
