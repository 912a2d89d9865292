#!/bin/sh
# Test of a built manual page: `man -l` renders it with every groff warning
# on (--warnings = -ww) and prints none. Run by CTest (man/<page>).
set -eu
page=$1
[ -s "$page" ] || { echo "no page $page" >&2; exit 1; }
warnings=$(MANWIDTH=${MANWIDTH:-80} man --warnings -l "$page" 2>&1 >/dev/null)
if [ -n "$warnings" ]; then
    printf '%s\n' "$warnings" >&2
    exit 1
fi
# Every sub-command of the program has its entry in rebate(1).
case $page in
    */rebate.1)
        text=$(MANWIDTH=200 man -l "$page" 2>/dev/null)
        for command in import run explain nightly words approve void reconcile status init migrate review params; do
            printf '%s\n' "$text" | grep -q "^       $command " || { echo "rebate(1) does not describe '$command'" >&2; exit 1; }
        done ;;
    */rebate.ini.5)
        text=$(MANWIDTH=200 man -l "$page" 2>/dev/null)
        for key in database inbox outbox archive policy_year encoding notice_days notice_contact holidays \
            fund_account_name fund_account fund_bank_name fund_bank_code; do
            printf '%s\n' "$text" | grep -q "^       $key " || { echo "rebate.ini(5) does not describe '$key'" >&2; exit 1; }
        done ;;
esac
