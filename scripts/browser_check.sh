#!/bin/sh
# The review report and the public notice in a real browser (docs/report.md):
# runs the nightly job on the sample extracts of data/sample, then renders
# the batch's report.html and notice.html in headless Chromium and checks
#   - no console error and no request to the network (the pages hold no
#     http(s) address, and Chromium's net log shows no request of theirs);
#   - the totals the pages show equal the ledger's;
#   - printed to PDF (A4), every page carries "第 i 页，共 n 页" and no
#     table row is cut across pages (pdftotext);
# and, with SCREENSHOT=file.png, saves a screenshot of the report.
# Usage: sh scripts/browser_check.sh [BUILD_DIR]   (default: build)
# Skipped (exit 0) when chromium or pdftotext is not installed.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    echo "browser_check: chromium or pdftotext not installed; skipped"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/inbox"
cp data/sample/registration.csv data/sample/insured_units.csv data/sample/contributions.csv "$work/inbox/"
cat > "$work/rebate.ini" <<INI
[rebate]
database    = rebate.db
inbox       = inbox
outbox      = outbox
archive     = archive
policy_year = 2022
encoding    = auto
notice_days = 5
notice_contact = 鞍山市社会保险事业服务中心 0412-0000000
INI
"$build/rebate" init --config "$work/rebate.ini" > "$work/init.log"
"$build/rebate" nightly --config "$work/rebate.ini" > "$work/nightly.log"
batch=$(find "$work/outbox" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | tail -n 1)
id=$(basename "$batch")
fail=0
bad() {
    echo "browser_check: FAIL: $*"
    fail=1
}

chrome() {
    # A fresh profile each time; background services off (what is left of
    # them is told apart from the page in the net log below).
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-default-apps \
        --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" "$@"
}

# The ledger's totals: count and yuan with two decimals, from integer fen.
ledger=$(sqlite3 "$work/rebate.db" "SELECT payments || ' ' || (total_fen / 100) || '.' ||
    substr('0' || (total_fen % 100), -2) FROM batches WHERE batch_id = '$id'")
ledger_count=${ledger% *}
ledger_yuan=${ledger#* }

for page in report notice; do
    html="$batch/$page.html"
    if grep -Eq 'https?://' "$html"; then
        bad "$page.html holds an http(s) address"
    fi
    chrome --enable-logging=stderr --v=0 --log-net-log="$work/$page.net.json" --dump-dom "file://$html" \
        > "$work/$page.dom.html" 2> "$work/$page.log" || bad "chromium could not render $page.html"
    if grep -E 'CONSOLE|Uncaught|net::ERR_' "$work/$page.log" >/dev/null; then
        bad "$page.html: console messages:"
        grep -E 'CONSOLE|Uncaught|net::ERR_' "$work/$page.log" | head -5
    fi
    # Every URL the browser asked for: the page's own file, and the
    # browser's own services (update, time, accounts), never the page's.
    grep -o '"url":"[^"]*"' "$work/$page.net.json" | sed 's/^"url":"//; s/"$//' | sort -u |
        grep -Ev '^file://|^(https?://)?([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(/|:|$)' \
        > "$work/$page.urls" || true
    if [ -s "$work/$page.urls" ]; then
        bad "$page.html made network requests:"
        cat "$work/$page.urls"
    fi
    if ! grep -q '<svg\|<table' "$work/$page.dom.html"; then
        bad "$page.html rendered without its tables"
    fi
done

# The totals the pages show, as the browser built them, against the ledger.
dom_text() { # file id
    sed -n "s/.*id=\"$2\"[^>]*>\([^<]*\)<.*/\1/p" "$1" | head -n 1
}
[ "$(dom_text "$work/report.dom.html" total-count)" = "$ledger_count" ] ||
    bad "report.html shows $(dom_text "$work/report.dom.html" total-count) payments, the ledger $ledger_count"
[ "$(dom_text "$work/report.dom.html" total-yuan)" = "$ledger_yuan" ] ||
    bad "report.html shows a total of $(dom_text "$work/report.dom.html" total-yuan), the ledger $ledger_yuan"
[ "$(dom_text "$work/notice.dom.html" notice-count)" = "$ledger_count" ] ||
    bad "notice.html shows $(dom_text "$work/notice.dom.html" notice-count) firms, the ledger $ledger_count"
[ "$(dom_text "$work/notice.dom.html" notice-total)" = "$ledger_yuan" ] ||
    bad "notice.html shows a total of $(dom_text "$work/notice.dom.html" notice-total), the ledger $ledger_yuan"
grep -q "拨付总额：$ledger_yuan 元" "$batch/summary.txt" || bad "summary.txt's total is not the ledger's $ledger_yuan"

# Printed: page numbers on every page, and no row cut across two pages.
for page in report notice; do
    chrome --no-pdf-header-footer --print-to-pdf="$work/$page.pdf" "file://$batch/$page.html" \
        > /dev/null 2>&1 || bad "chromium could not print $page.html"
    pdftotext -layout "$work/$page.pdf" "$work/$page.txt"
    pages=$(pdfinfo "$work/$page.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
    [ -n "$pages" ] || pages=$(awk 'BEGIN { RS = "\f" } END { print NR - 1 }' "$work/$page.txt")
    # Page i's text (pdftotext ends each page with a form feed) must say
    # 第 i 页，共 n 页.
    awk -v n="$pages" -v name="$page" 'BEGIN { RS = "\f" }
        NR <= n { want = "第 " NR " 页，共 " n " 页"; if (index($0, want) == 0) { print name ".pdf page " NR ": no \"" want "\""; bad = 1 } }
        END { exit bad }' "$work/$page.txt" || bad "$page.pdf lacks page numbers"
    # Chromium repeats a table's header row at the top of each page it
    # continues on; the line under a repeated header must start a row (a
    # number, a code, a file name, 合计), never the rest of a row cut at the
    # bottom of the page before.
    awk -v name="$page" 'BEGIN { RS = "\f"; FS = "\n" }
        {
            for (i = 1; i <= NF; i++) {
                line = $i; gsub(/^ +| +$/, "", line); gsub(/ +/, " ", line)
                if (line == "") continue
                if (NR > 1 && (line in header)) {
                    for (j = i + 1; j <= NF; j++) { next_line = $j; gsub(/^ +/, "", next_line); if (next_line != "") break }
                    if (next_line != "" && next_line !~ /^([0-9A-Za-z]|合计|上批无此单位)/) {
                        print name ".pdf page " NR ": a row continues under the repeated header: " next_line; bad = 1
                    }
                }
                if (line ~ /(统一社会信用代码|序号|区划代码|原因代码|结果 +含义|金额区间|文件 +SHA-256|规则)/) header[line] = 1
            }
        }
        END { exit bad }' "$work/$page.txt" || bad "$page.pdf has a table row cut across pages"
    echo "browser_check: $page.pdf: $pages pages"
done

if [ -n "${SCREENSHOT:-}" ]; then
    chrome --hide-scrollbars --window-size=1100,2400 --screenshot="$SCREENSHOT" "file://$batch/report.html" \
        > /dev/null 2>&1 || bad "chromium could not take the screenshot"
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "browser_check: report.html and notice.html of $id: rendered, offline, totals $ledger_count payments $ledger_yuan yuan as the ledger's, printed with page numbers and whole rows"
