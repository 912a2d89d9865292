#!/bin/sh
# Creates what the installed program needs to run as a service, after
# `cmake --install` (which only places files) or from the Debian package's
# postinst: the system account and group `rebate`, its folders, the
# config's owner and mode, and an initialised database when there is none.
# Run as root; safe to run again (it only creates what is missing and puts
# owners and modes back).
#
#   sh scripts/install-accounts.sh [--prefix PREFIX] [--config FILE]
#
# PREFIX is where `cmake --install` put the program (default /usr/local);
# FILE is the config (default: /etc/rebate/rebate.ini for PREFIX /usr,
# PREFIX/etc/rebate/rebate.ini otherwise, as GNUInstallDirs places it).
#
#   account and group  rebate (system, no login shell, home /var/lib/rebate)
#   /var/lib/rebate                       0750 rebate:rebate  the database
#   /var/spool/rebate/{inbox,outbox,archive}  0750 rebate:rebate
#   /var/log/rebate                       0750 rebate:rebate  cron's logs
#   the config                            0640 root:rebate
#   /var/lib/rebate/rebate.db             made by `rebate init` as rebate, or
#                                         brought up to date by `rebate migrate`
set -eu

prefix=/usr/local
config=""
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --config) config=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -eu$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-accounts: unknown argument '$1'" >&2; exit 64 ;;
    esac
done
if [ -z "$config" ]; then
    if [ "$prefix" = /usr ]; then config=/etc/rebate/rebate.ini; else config=$prefix/etc/rebate/rebate.ini; fi
fi
rebate=$prefix/bin/rebate
database=/var/lib/rebate/rebate.db

if [ "$(id -u)" -ne 0 ]; then
    echo "install-accounts: run it as root" >&2
    exit 77
fi

if ! getent group rebate >/dev/null; then
    groupadd --system rebate
fi
if ! getent passwd rebate >/dev/null; then
    useradd --system --gid rebate --home-dir /var/lib/rebate --no-create-home \
        --shell /usr/sbin/nologin --comment "rebate nightly batch" rebate
fi

install -d -o rebate -g rebate -m 0750 /var/lib/rebate /var/spool/rebate \
    /var/spool/rebate/inbox /var/spool/rebate/outbox /var/spool/rebate/archive /var/log/rebate

if [ -f "$config" ]; then
    chown root:rebate "$config"
    chmod 0640 "$config"
    chown root:rebate "$(dirname "$config")"
    chmod 0750 "$(dirname "$config")"
else
    echo "install-accounts: warning: no config at $config; copy the example and run again" >&2
fi

# The database: only `rebate init` makes one (every other command refuses a
# missing database), as the account that owns it, with the group able to
# read it. An existing database is never touched.
if [ ! -e "$database" ]; then
    if [ ! -x "$rebate" ]; then
        echo "install-accounts: $rebate is not installed; no database made" >&2
        exit 66
    fi
    rc=0
    (umask 0027 && cd /var/lib/rebate && runuser -u rebate -- "$rebate" init --db "$database") || rc=$?
    case $rc in
        0) echo "install-accounts: initialised $database" ;;
        73) ;; # made meanwhile by someone else: keep it
        64) echo "install-accounts: warning: this rebate has no 'init'; the first night will make $database" >&2 ;;
        *) echo "install-accounts: 'rebate init --db $database' failed with status $rc" >&2; exit "$rc" ;;
    esac
elif [ -x "$rebate" ] && "$rebate" migrate --help >/dev/null 2>&1; then
    # An upgrade: bring the database up to date now, so that the read-only
    # commands of the group's members (which never migrate) work at once.
    rc=0
    (umask 0027 && cd /var/lib/rebate && runuser -u rebate -- "$rebate" migrate --db "$database") || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "install-accounts: warning: 'rebate migrate --db $database' exited $rc; the next night migrates it" >&2
    fi
fi
