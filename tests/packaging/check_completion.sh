#!/bin/sh
# Test of the bash completion (data/packaging/bash-completion): it loads,
# offers every sub-command after `rebate`, and each command's options. Uses
# bash-completion's helpers when installed, else two small stand-ins.
# Usage: check_completion.sh COMPLETION_FILE
set -eu
exec bash -c '
set -u
if [ -r /usr/share/bash-completion/bash_completion ]; then
    . /usr/share/bash-completion/bash_completion
else
    _init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    _filedir() { COMPREPLY=(); }
fi
. "$1"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _rebate; echo "${COMPREPLY[*]}"; }
got=$(complete_words rebate "")
for c in import run explain nightly words approve void reconcile status init migrate review params; do
    case " $got " in *" $c "*) ;; *) echo "no sub-command $c in: $got" >&2; exit 1 ;; esac
done
got=$(complete_words rebate run --)
for o in --db --config --year --out --as-of --notice-days --uscc --dry-run --by; do
    case " $got " in *" $o "*) ;; *) echo "rebate run: no $o in: $got" >&2; exit 1 ;; esac
done
got=$(complete_words rebate params --db x.db "")
[ "$got" = "list show add" ] || { echo "rebate params: got $got" >&2; exit 1; }
got=$(complete_words rebate import --encoding g)
[ "$got" = "gb18030" ] || { echo "--encoding: got $got" >&2; exit 1; }
' check_completion "$1"
