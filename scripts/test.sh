#!/bin/sh
# The README's test command: installs what is missing, builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs the whole suite
# through CTest. Exits non-zero when any test fails.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
BUILD_DIR=build-sanitize sh scripts/build.sh -DREBATE_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-sanitize
ctest --output-on-failure -j "$(nproc)"
cd ..
# Fuzz smoke run (docs/reliability.md): each libFuzzer harness replays its
# corpus, regression inputs included, then fuzzes for a few seconds.
sh scripts/fuzz.sh all 4
# Valgrind (docs/reliability.md): the sample night, explain, words and a
# few refusals on a build without sanitizers; any error or leak fails.
sh scripts/valgrind.sh
# The review report and the public notice in headless Chromium
# (docs/report.md); skipped when Chromium is not installed.
sh scripts/browser_check.sh build-sanitize
# The workbooks printed through LibreOffice and read back from the PDF
# (docs/batch.md, "The workbooks"); skipped when LibreOffice is absent.
BUILD_DIR=build-sanitize sh scripts/print_check.sh
# The Debian package (scripts/install_test.sh): built, installed with dpkg,
# the sample night run as the rebate account, removed and purged. Only as
# root on a machine with dpkg; it changes the system (and leaves it as
# found).
if [ "$(id -u)" -eq 0 ] && command -v dpkg >/dev/null; then
    sh scripts/install_test.sh
fi
