#!/bin/sh
# The DuckDB peer: what a data engineer would write instead of rebate
# (DuckDB's parallel CSV reader and vectorised SQL, the main rules for one
# policy year, decisions.csv and payout.csv out). Runs bench/duckdb/peer.mjs
# with node from a cache folder outside the repository, where its one npm
# package (@duckdb/node-api, pinned in bench/duckdb/package.json) is
# installed from the npm registry on first use.
#
# usage: bench/duckdb_peer.sh DIR Y DBFILE [OUTDIR]
# environment: DUCKDB_PEER_CACHE (default ~/.cache/rebate-bench-duckdb),
#              DUCK_THREADS (default 2), DUCK_MEM (DuckDB's memory limit, default 1GB)
set -eu
here=$(cd "$(dirname "$0")/duckdb" && pwd)
cache=${DUCKDB_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rebate-bench-duckdb}
command -v node >/dev/null 2>&1 || { echo "duckdb_peer: node is not installed" >&2; exit 69; }
mkdir -p "$cache"
cp "$here/package.json" "$here/peer.mjs" "$here/peer.sql.tmpl" "$cache/"
if [ ! -d "$cache/node_modules/@duckdb/node-api" ]; then
    (cd "$cache" && npm install --silent --no-audit --no-fund >/dev/null) ||
        { echo "duckdb_peer: cannot install @duckdb/node-api into $cache" >&2; exit 69; }
fi
exec node "$cache/peer.mjs" "$@"
