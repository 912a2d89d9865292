#!/bin/sh
# Test of the systemd units (data/packaging/systemd): `systemd-analyze
# verify` accepts the service and the timer, with the service's ExecStart
# pointed at the built program. Skipped (77) where systemd-analyze is absent.
# Usage: check_units.sh BUILT_SERVICE TIMER REBATE_BINARY
set -eu
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$3|" "$1" > "$dir/rebate-nightly.service"
cp "$2" "$dir/rebate-nightly.timer"
# The settings the operations guide promises.
for setting in User=rebate Group=rebate UMask=0027 ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
    ProtectHome=yes PrivateDevices=yes 'ReadWritePaths=/var/lib/rebate /var/spool/rebate /var/log/rebate'; do
    grep -qx "$setting" "$dir/rebate-nightly.service" || { echo "the service lacks '$setting'" >&2; exit 1; }
done
[ "$(grep -c '^ReadWritePaths=' "$dir/rebate-nightly.service")" -eq 1 ] || { echo "more than one ReadWritePaths=" >&2; exit 1; }
cd "$dir"
out=$(systemd-analyze verify --man=no ./rebate-nightly.service ./rebate-nightly.timer 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
if [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    exit 1
fi
