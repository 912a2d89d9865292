#!/bin/sh
# Checks that includes only point down the layers of docs/architecture.md:
#   cli  ->  import | rules | output | life  ->  store  ->  util
# A file may include a header of a lower layer, or one of its own folder
# (src/<folder>/*.h, or an include/rebate/ header that folder implements);
# never one of a higher layer or of a sibling folder. Every public header is
# assigned below to the folder that implements it: a new header must be
# added there. Run by CTest (test "layers"); prints each offending line and
# exits 1 when there is one.
#
# One sibling edge is known and allowed, by name: the run (src/output/batch.c
# and the batch files it writes) decides the firms with rules/ as it writes
# them, so output/ reads rebate/rules.h (the decisions it writes) and
# nothing else of rules/. docs/architecture.md says how it is meant to go.
set -eu
cd "${1:-$(dirname "$0")/..}"

find src include -name '*.[ch]' | sort | xargs grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null |
awk '
BEGIN {
    split("error.h strbuf.h money.h date.h uscc.h text.h sha256.h config.h fsutil.h crash.h alloc.h varint.h workdays.h data_files.h ini_lines.h", h, " ")
    for (i in h) owner["rebate/" h[i]] = "util"
    split("db.h snapshot.h ledger.h lock.h sql_files.h batches.h months.h events.h params_store.h payments.h answer_set.h notice_dates.h decision_log.h", h, " ")
    for (i in h) owner["rebate/" h[i]] = "store"
    split("import.h bank_answer.h", h, " ")
    for (i in h) owner["rebate/" h[i]] = "import"
    owner["rebate/rules.h"] = "rules"; owner["rebate/params_file.h"] = "rules"; owner["rebate/review.h"] = "rules"
    split("batch.h csv_writer.h words.h bank.h sums.h batch_folder.h outbox.h", h, " ")
    for (i in h) owner["rebate/" h[i]] = "output"
    owner["rebate/life.h"] = "life"
    layer["util"] = 1; layer["store"] = 2
    layer["import"] = 3; layer["rules"] = 3; layer["output"] = 3; layer["life"] = 3
    layer["cli"] = 4
    allowed["output rebate/rules.h"] = 1
    bad = 0
}
function owner_of(path,   parts) {
    if (path ~ /^include\//) { sub(/^include\//, "", path); return (path in owner) ? owner[path] : "" }
    if (path ~ /^src\//) { split(path, parts, "/"); return parts[2] }
    return ""
}
{
    colon = index($0, ":"); file = substr($0, 1, colon - 1); rest = substr($0, colon + 1)
    colon = index(rest, ":"); line = substr(rest, 1, colon - 1)
    target = rest; sub(/^[^"]*"/, "", target); sub(/".*$/, "", target)
    from = owner_of(file)
    if (!(from in layer)) { print file ": in no layer (name its header in scripts/check_layers.sh)"; bad = 1; next }
    if (target ~ /^rebate\//) to = (target in owner) ? owner[target] : ""
    else if (target ~ /\//) { to = target; sub(/\/.*/, "", to) }
    else to = from
    if (!(to in layer)) { print file ":" line ": includes \"" target "\", which is in no layer"; bad = 1; next }
    if (layer[to] > layer[from]) { print file ":" line ": includes \"" target "\" of " to ", a higher layer than " from; bad = 1 }
    else if (layer[to] == layer[from] && to != from && !((from " " target) in allowed)) {
        print file ":" line ": includes \"" target "\" of " to ", a sibling of " from; bad = 1
    }
}
END {
    if (bad) exit 1
    print "layers: every include points down or within its folder"
}'
