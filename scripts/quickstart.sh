#!/bin/sh
# The README's first command: installs what is missing, builds, and runs the
# nightly job on the sample extracts of data/sample, as cron would: a fresh
# database, inbox, outbox and archive under demo/, then prints where the
# batch is and its summary.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/build.sh
rm -rf demo
mkdir -p demo/inbox demo/outbox demo/archive
cp data/sample/registration.csv data/sample/insured_units.csv data/sample/contributions.csv demo/inbox/
cat > demo/rebate.ini <<INI
; The sample's nightly configuration (docs/operations.md); relative paths
; are relative to this file's folder.
[rebate]
database    = rebate.db
inbox       = inbox
outbox      = outbox
archive     = archive
policy_year = 2022        ; the sample holds contributions of 2020 and 2021
encoding    = auto
INI
./build/rebate nightly --config demo/rebate.ini
batch=$(find demo/outbox -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | tail -n 1)
echo
echo "The batch is in $batch:"
ls -l "$batch"
echo
cat "$batch/summary.txt"
