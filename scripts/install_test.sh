#!/bin/sh
# The package's test on a real system (run as root; scripts/test.sh runs it
# where dpkg is): builds the .deb (scripts/package.sh) unless one is given,
# purges any installed rebate, installs the .deb with dpkg -i, checks the
# account, folders, modes and database, runs the sample night as the rebate
# account (through systemctl start rebate-nightly.service where systemd
# runs, else sudo -u rebate), runs the read-only commands as a non-root
# member of group rebate, removes the package (the database stays), then
# purges it (the database goes).
#
#   sh scripts/install_test.sh [rebate_<version>_<arch>.deb]
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "install_test: skipped: needs root"
    exit 0
fi
if ! command -v dpkg >/dev/null; then
    echo "install_test: skipped: no dpkg"
    exit 0
fi

fail() {
    echo "install_test: FAIL: $*" >&2
    exit 1
}
# dpkg refuses at once when another dpkg or apt holds its lock: wait a bit.
dpkg_retry() {
    tries=0
    until dpkg "$@"; do
        tries=$((tries + 1))
        [ "$tries" -lt 20 ] || fail "dpkg $* failed"
        sleep 3
    done
}
mode_owner() { stat -c '%a %U:%G' "$1"; }
expect_mode() {
    got=$(mode_owner "$1")
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}

deb=${1:-}
if [ -z "$deb" ]; then
    deb=$(LINTIAN=0 sh scripts/package.sh | tail -n 1)
fi
[ -f "$deb" ] || fail "no package $deb"
case $deb in /*) ;; *) deb=$repo/$deb ;; esac

member=rebatetest
work=$(mktemp -d)
dropin=/run/systemd/system/rebate-nightly.service.d
cleanup() {
    rm -rf "$work" "$dropin"
    if getent passwd "$member" >/dev/null; then userdel "$member" || true; fi
    # Leave the machine as found, also after a failure (KEEP=1 to inspect).
    if [ "${KEEP:-0}" != 1 ] && dpkg-query -W rebate >/dev/null 2>&1; then dpkg --purge rebate >/dev/null || true; fi
}
trap cleanup EXIT

# A clean state.
dpkg_retry --purge rebate >/dev/null
[ ! -e /var/lib/rebate ] || fail "/var/lib/rebate survived the purge before the test"

dpkg_retry -i "$deb" >/dev/null

# What the postinst made.
getent passwd rebate >/dev/null || fail "no account rebate"
getent group rebate >/dev/null || fail "no group rebate"
[ "$(getent passwd rebate | cut -d: -f7)" = /usr/sbin/nologin ] || fail "the account rebate has a login shell"
for dir in /var/lib/rebate /var/spool/rebate /var/spool/rebate/inbox /var/spool/rebate/outbox \
    /var/spool/rebate/archive /var/log/rebate; do
    expect_mode "$dir" "750 rebate:rebate"
done
expect_mode /etc/rebate/rebate.ini "640 root:rebate"
expect_mode /etc/rebate "750 root:rebate"
man -w rebate >/dev/null || fail "man rebate finds no page"
man -w 5 rebate.ini >/dev/null || fail "man 5 rebate.ini finds no page"
[ -r /usr/share/bash-completion/completions/rebate ] || fail "no bash completion"
has_init=0
if rebate init --help >/dev/null 2>&1; then
    has_init=1
    [ -f /var/lib/rebate/rebate.db ] || fail "the package made no database"
    expect_mode /var/lib/rebate/rebate.db "640 rebate:rebate"
else
    echo "install_test: this rebate has no 'init' yet: the night makes the database"
fi
if command -v systemd-analyze >/dev/null; then
    (cd /lib/systemd/system && systemd-analyze verify --man=no ./rebate-nightly.service ./rebate-nightly.timer) ||
        fail "systemd-analyze verify refuses the installed units"
fi

# The sample night, as the rebate account, with a copy of the config for
# policy year 2022 (the sample holds contributions of 2020 and 2021).
config=$work/rebate.ini
sed 's/^policy_year *=.*/policy_year = 2022/' /etc/rebate/rebate.ini > "$config"
chgrp rebate "$work" "$config"
chmod 0750 "$work"
chmod 0640 "$config"
for f in registration.csv insured_units.csv contributions.csv; do
    install -o rebate -g rebate -m 0640 "data/sample/$f" /var/spool/rebate/inbox/
done
if [ -d /run/systemd/system ]; then
    mkdir -p "$dropin"
    printf '[Service]\nExecStart=\nExecStart=/usr/bin/rebate nightly --config %s\nReadOnlyPaths=%s\n' "$config" "$work" \
        > "$dropin/test.conf"
    systemctl daemon-reload
    systemctl start rebate-nightly.service || {
        journalctl -u rebate-nightly.service -n 30 --no-pager >&2
        fail "systemctl start rebate-nightly.service failed"
    }
    journalctl -u rebate-nightly.service -n 20 --no-pager
    rm -rf "$dropin"
    systemctl daemon-reload
else
    (cd /var/lib/rebate && sudo -u rebate rebate nightly --config "$config") || fail "the sample night failed"
fi
batch=$(find /var/spool/rebate/outbox -mindepth 1 -maxdepth 1 -type d ! -name '.*' | head -n 1)
[ -n "$batch" ] || fail "the night published no batch"
expect_mode "$batch" "750 rebate:rebate"
expect_mode "$batch/payout.csv" "640 rebate:rebate"
(cd "$batch" && sha256sum --quiet -c SHA256SUMS) || fail "the batch does not match its SHA256SUMS"
[ -z "$(ls -A /var/spool/rebate/inbox)" ] || fail "the night left extracts in the inbox"
expect_mode /var/lib/rebate/rebate.db "640 rebate:rebate"

# The read-only commands as a member of the group, with no write access.
useradd --no-create-home --home-dir /nonexistent --shell /bin/sh --groups rebate "$member"
as_member() { (cd / && sudo -u "$member" -- "$@"); }
# A program from before `init` also predates the read-only opening for the
# group: there a member's failure is only reported.
member_fail() {
    if [ "$has_init" = 1 ]; then fail "$@"; fi
    echo "install_test: warning (a program without init): $*" >&2
}
if as_member rebate status --db /var/lib/rebate/rebate.db >"$work/status.txt"; then
    grep -q "${batch##*/}" "$work/status.txt" || fail "status does not show the batch ${batch##*/}"
else
    member_fail "status as a member of group rebate failed"
fi
uscc=$(sed -n '2p' "$batch/payout.csv" | cut -d, -f4)
as_member rebate explain --db /var/lib/rebate/rebate.db --year 2022 --uscc "$uscc" >/dev/null ||
    member_fail "explain as a member of group rebate failed"
if rebate params --help >/dev/null 2>&1; then
    as_member rebate params --db /var/lib/rebate/rebate.db list >/dev/null ||
        member_fail "params list as a member of group rebate failed"
fi
as_member rebate words 1234.56 | grep -q 人民币壹仟贰佰叁拾肆元伍角陆分 || fail "words as a member"
as_member test ! -w /var/lib/rebate/rebate.db || fail "a member can write the database"
if [ "$has_init" = 1 ]; then
    rc=0
    as_member rebate run --db /var/lib/rebate/rebate.db --year 2022 --out /var/spool/rebate/outbox >/dev/null 2>&1 || rc=$?
    [ "$rc" = 77 ] || fail "run as a member exits $rc, expected 77"
fi

# Remove keeps the ledger; purge deletes it.
dpkg_retry --remove rebate >/dev/null
[ ! -e /usr/bin/rebate ] || fail "/usr/bin/rebate survived the remove"
[ -f /var/lib/rebate/rebate.db ] || fail "remove deleted the database"
[ -d "$batch" ] || fail "remove deleted the published batch"
getent passwd rebate >/dev/null || fail "remove deleted the account"
dpkg_retry --purge rebate >/dev/null
[ ! -e /var/lib/rebate ] || fail "purge left /var/lib/rebate"
[ ! -e /etc/rebate ] || fail "purge left /etc/rebate"
echo "install_test: ok ($deb)"
