#!/bin/sh
# Test of `cmake --install` (cmake/install.cmake): into a DESTDIR it places
# every shipped file and nothing else happens (no account, no chown, no
# database), the config readable by owner and group only.
# Usage: check_install.sh BUILD_DIR
set -eu
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
sysconf=$(sed -n 's/^CMAKE_INSTALL_SYSCONFDIR:PATH=//p' "$build/CMakeCache.txt")
case $sysconf in /*) ;; *) sysconf=$prefix/$sysconf ;; esac
for f in "$prefix/bin/rebate" "$sysconf/rebate/rebate.ini" "$sysconf/logrotate.d/rebate" \
    "$prefix/share/bash-completion/completions/rebate" "$prefix/libexec/rebate/install-accounts"; do
    [ -f "$dest$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
if grep -q '^REBATE_MAN:BOOL=ON' "$build/CMakeCache.txt"; then
    for f in "$prefix/share/man/man1/rebate.1.gz" "$prefix/share/man/man5/rebate.ini.5.gz"; do
        [ -f "$dest$f" ] || { echo "not installed: $f" >&2; exit 1; }
    done
fi
[ "$(find "$dest" -name rebate-nightly.service | wc -l)" -eq 1 ] || { echo "no rebate-nightly.service" >&2; exit 1; }
[ "$(find "$dest" -name rebate-nightly.timer | wc -l)" -eq 1 ] || { echo "no rebate-nightly.timer" >&2; exit 1; }
mode=$(stat -c %a "$dest$sysconf/rebate/rebate.ini")
[ "$mode" = 640 ] || { echo "the config is installed $mode, not 640" >&2; exit 1; }
service=$(find "$dest" -name rebate-nightly.service)
grep -qx "ExecStart=$prefix/bin/rebate nightly --config $sysconf/rebate/rebate.ini" "$service" ||
    { echo "the service does not run $prefix/bin/rebate with $sysconf/rebate/rebate.ini" >&2; exit 1; }
# Placing files only: nothing outside the DESTDIR tree's /etc, /lib, /usr.
extra=$(find "$dest" -mindepth 1 -maxdepth 1 ! -name etc ! -name lib ! -name usr)
[ -z "$extra" ] || { echo "unexpected: $extra" >&2; exit 1; }
