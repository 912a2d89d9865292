#!/bin/sh
# The README's first command: installs what is missing, builds, and runs the
# import on the sample extracts of data/sample into a fresh database under
# demo/, printing the row accounting.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/build.sh
rm -rf demo
mkdir -p demo
./build/rebate import --db demo/rebate.db data/sample
