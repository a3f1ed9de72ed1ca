#!/usr/bin/env bash
# Ranking page under load: 50 connections for 10 s on 127.0.0.1 with wrk, against a static
# asset of the same server measured in the same run (baseline). Targets (issue 2): p99 under
# 50 ms and at least half the static asset's throughput.
#   bench/page-load.sh            # demo data (21 departments)
#   UNITS=1000 bench/page-load.sh # also a generated group of 1,000 units × 150 leaves
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
cargo build --release -q -p parindex -p parindex-bench
BIN=target/release/parindex
DIR=$(mktemp -d)
PORT=${PORT:-18181}
DB="sqlite://$DIR/bench.db"
"$BIN" --db "$DB" demo >/dev/null
SET=brvt-so-2020
if [ -n "${UNITS:-}" ]; then
  target/release/parindex-bench generate "$DIR" --units "$UNITS" --leaves 150 >/dev/null
  "$BIN" --db "$DB" criteria import "$DIR/set.yaml" >/dev/null
  "$BIN" --db "$DB" units import "$DIR/units.csv" >/dev/null
  "$BIN" --db "$DB" scores import --set bench-set "$DIR/scores.csv" >/dev/null
  SET=bench-set
fi
PARINDEX_LOG=warn "$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

measure() { # URL → "requests/s p99_ms"
  local out rps p99
  out=$(wrk -t2 -c50 -d10s --latency "$1")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
  [ -z "$errors" ] || echo "  wrk reported: $errors" >&2
  echo "$rps $p99"
}
PAGE="http://127.0.0.1:$PORT/sets/$SET/ranking"
curl -fs "$PAGE" >/dev/null   # first render fills the cache, as a first visitor would
read -r S_RPS S_P99 < <(measure "http://127.0.0.1:$PORT/static/style.css")
read -r P_RPS P_P99 < <(measure "$PAGE")
SIZE=$(curl -fs "$PAGE" | wc -c)
echo "ranking page /sets/$SET/ranking ($SIZE bytes), 50 connections, 10 s, 127.0.0.1"
echo "  static asset (baseline): $S_RPS requests/s, p99 $S_P99 ms"
echo "  ranking page:            $P_RPS requests/s, p99 $P_P99 ms"
awk -v p="$P_RPS" -v s="$S_RPS" -v l="$P_P99" 'BEGIN {
  r = p / s;
  printf "  throughput ratio: %.2f of the static asset (target ≥ 0.50: %s); p99 target < 50 ms: %s\n",
    r, (r >= 0.5 ? "met" : "NOT met"), (l < 50 ? "met" : "NOT met") }'
