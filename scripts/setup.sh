#!/bin/sh
# Installs the Debian packages rebate needs to build, test and run, when any
# is missing (run as root on Debian 12 or later). Safe to run again.
set -eu

# LibreOffice, the CJK fonts and poppler are for the workbooks' read-back
# and print checks (tests skip them when LibreOffice is absent).
packages="build-essential cmake pkg-config libsqlite3-dev sqlite3 libcsv-dev check libssl-dev
libinih-dev libxxhash-dev libxml2-dev libxml2-utils clang libclang-rt-dev time valgrind libxlsxwriter-dev
libreoffice-calc-nogui fonts-noto-cjk poppler-utils chromium scdoc man-db dpkg-dev sudo"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
