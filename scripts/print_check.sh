#!/bin/sh
# Prints the sample batch's workbooks as finance would and checks the paper:
# runs the nightly job on data/sample into a scratch folder, converts
# payout.xlsx and exceptions.xlsx to PDF with LibreOffice headless, reads the
# PDFs back with pdftotext -layout and checks that every page carries the
# title, the header row and its page number; that every payment's reference,
# whole account and amount stand on one line; that the total line and the
# signature line are on the last page; and that no number is printed in
# scientific notation. Needs soffice (libreoffice-calc-nogui), fonts-noto-cjk
# and pdftotext (poppler-utils); skips, saying so, when soffice is missing.
#
# usage: scripts/print_check.sh            (uses BUILD_DIR, default build)
# environment: PRINT_CHECK_PNG=FILE also writes the first printed page of
#              payout.xlsx as a PNG (80 dpi) to FILE;
#              PRINT_CHECK_KEEP=1 keeps the scratch folder and says where.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build}

if ! command -v soffice >/dev/null 2>&1; then
    echo "print_check: skipped: LibreOffice (soffice) is not installed; scripts/setup.sh installs it"
    exit 0
fi
for tool in pdftotext pdftoppm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "print_check: $tool (poppler-utils) is missing" >&2; exit 1; }
done
[ -x "$build/rebate" ] || BUILD_DIR=$build sh scripts/build.sh

work=$(mktemp -d)
if [ "${PRINT_CHECK_KEEP:-}" = 1 ]; then
    trap 'echo "print_check: scratch folder kept: $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/inbox" "$work/outbox" "$work/archive" "$work/pdf"
cp data/sample/registration.csv data/sample/insured_units.csv data/sample/contributions.csv "$work/inbox/"
cat >"$work/rebate.ini" <<INI
[rebate]
database    = $work/rebate.db
inbox       = $work/inbox
outbox      = $work/outbox
archive     = $work/archive
policy_year = 2022
encoding    = auto
INI
"$root/$build/rebate" init --config "$work/rebate.ini" >"$work/init.log" 2>&1 ||
    { cat "$work/init.log" >&2; exit 1; }
"$root/$build/rebate" nightly --config "$work/rebate.ini" >"$work/nightly.log" 2>&1 ||
    { cat "$work/nightly.log" >&2; exit 1; }
batch=$(find "$work/outbox" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | tail -n 1)

soffice -env:UserInstallation="file://$work/lo-profile" --headless --norestore --convert-to pdf \
    --outdir "$work/pdf" "$batch/payout.xlsx" "$batch/exceptions.xlsx" >"$work/soffice.log" 2>&1 ||
    { cat "$work/soffice.log" >&2; exit 1; }
for f in payout exceptions; do
    [ -s "$work/pdf/$f.pdf" ] || { echo "print_check: $f.pdf was not made" >&2; cat "$work/soffice.log" >&2; exit 1; }
    pdftotext -layout "$work/pdf/$f.pdf" "$work/pdf/$f.txt"
done
if [ -n "${PRINT_CHECK_PNG:-}" ]; then
    pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$work/pdf/payout.pdf" "$work/pdf/page1"
    cp "$work/pdf/page1.png" "$PRINT_CHECK_PNG"
fi

fail=0
bad() { echo "print_check: $*" >&2; fail=1; }

# reference, account and amount of each payment, from payout.csv: the
# reference is the third field; the account and amount stand before the
# words, the policy year and the purpose at the end of the line.
sed -E '1d; s/\r$//' "$batch/payout.csv" |
    sed -E 's/^[0-9]+,[^,]*,([^,]+),.*,([0-9]+),([0-9]+\.[0-9]{2}),[^,]*,[0-9]{4},[^,]*$/\1 \2 \3/' \
        >"$work/payments.txt"
payments=$(wc -l <"$work/payments.txt")
[ "$payments" -gt 0 ] || bad "the sample batch has no payments"

# Pages are separated by form feeds. Every page: title, header, page number.
check_pages() { # file title header...
    file=$1 title=$2
    shift 2
    awk -v title="$title" -v headers="$*" '
        BEGIN { RS = "\f"; n = split(headers, h, " ") }
        NF == 0 { next }
        {
            pages++
            if (index($0, title) == 0) { printf "page %d has no title %s\n", pages, title; bad = 1 }
            for (i = 1; i <= n; i++)
                if (index($0, h[i]) == 0) { printf "page %d has no header %s\n", pages, h[i]; bad = 1 }
            if ($0 !~ /第 [0-9]+ 页，共 [0-9]+ 页/) { printf "page %d has no page number\n", pages; bad = 1 }
        }
        END { if (pages == 0) { print "no pages"; bad = 1 } exit bad }' "$file"
}
check_pages "$work/pdf/payout.txt" "拨付明细表" 序号 支付编号 统一社会信用代码 单位名称 银行账号 "返还金额（元）" 金额大写 ||
    bad "payout.pdf: pages without title, header or number"
check_pages "$work/pdf/exceptions.txt" "清单" 序号 统一社会信用代码 单位名称 ||
    bad "exceptions.pdf: pages without title, header or number"

# Each payment on one printed line: reference, whole account, amount as
# shown (1,234.56).
awk '
    function shown(a,   whole, frac, out) {
        whole = a; sub(/\..*/, "", whole); frac = a; sub(/^[0-9]*/, "", frac)
        out = ""
        while (length(whole) > 3) { out = "," substr(whole, length(whole) - 2) out; whole = substr(whole, 1, length(whole) - 3) }
        return whole out frac
    }
    NR == FNR { ref[NR] = $1; acct[NR] = $2; amt[NR] = shown($3); n = NR; next }
    { line[++lines] = $0 }
    END {
        for (i = 1; i <= n; i++) {
            found = 0
            for (j = 1; j <= lines && !found; j++)
                if (index(line[j], ref[i]) && index(line[j], " " acct[i] " ") && index(line[j], amt[i])) found = 1
            if (!found) { printf "payment %s: reference, account %s and amount %s are not on one line\n", ref[i], acct[i], amt[i]; bad = 1 }
        }
        exit bad
    }' "$work/payments.txt" "$work/pdf/payout.txt" || bad "payout.pdf: payments split across lines"

# The total and the signature on the last page.
total=$(sed -n 's/^拨付总额：\([0-9.]*\) 元.*/\1/p' "$batch/summary.txt" | tr -d '\r')
awk -v total="$total" '
    function shown(a,   whole, frac, out) {
        whole = a; sub(/\..*/, "", whole); frac = a; sub(/^[0-9]*/, "", frac)
        out = ""
        while (length(whole) > 3) { out = "," substr(whole, length(whole) - 2) out; whole = substr(whole, 1, length(whole) - 3) }
        return whole out frac
    }
    BEGIN { RS = "\f" }
    NF > 0 { last = $0 }
    END {
        if (!match(last, "合计[^\n]*" shown(total))) { print "the last page has no total line with " shown(total); bad = 1 }
        if (index(last, "制表人：") == 0 || index(last, "审批人：") == 0) { print "the last page has no signature line"; bad = 1 }
        exit bad
    }' "$work/pdf/payout.txt" || bad "payout.pdf: total or signature not on the last page"

for f in payout exceptions; do
    if grep -nE '[0-9]E\+[0-9]' "$work/pdf/$f.txt" >&2; then
        bad "$f.pdf prints numbers in scientific notation"
    fi
done

pages=$(awk 'BEGIN { RS = "\f" } NF > 0 { n++ } END { print n }' "$work/pdf/payout.txt")
epages=$(awk 'BEGIN { RS = "\f" } NF > 0 { n++ } END { print n }' "$work/pdf/exceptions.txt")
if [ "$fail" -ne 0 ]; then
    echo "print_check: FAILED (batch $(basename "$batch"))" >&2
    exit 1
fi
echo "print_check: ok: payout.xlsx $payments payments on $pages page(s), exceptions.xlsx $epages page(s)"
