#!/usr/bin/env bash
# Ranking page under load: 50 connections for 10 s on 127.0.0.1 with wrk, against a static
# asset of the same server measured in the same run (baseline). Targets (issue 2): p99 under
# 50 ms and at least half the static asset's throughput, for the ranking and for a score
# card (issue 13). Any response that is not 200 fails the run (a draft set answers 303).
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
  # Published, as a visitor reads it (a draft is for the province's roles only).
  "$BIN" --db "$DB" cycle phase --set bench-set published >/dev/null
  SET=bench-set
fi
UNITS_FILE=data/brvt-units.csv
[ -z "${UNITS:-}" ] || UNITS_FILE="$DIR/units.csv"
UNIT=$(awk -F, 'NR == 2 {print $1}' "$UNITS_FILE")
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
  if [ -n "$errors" ]; then echo "  wrk reported: $errors" >&2; exit 1; fi
  echo "$rps $p99"
}
ok200() { # URL: the first visitor's request fills the cache; anything but 200 fails
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$1")
  [ "$code" = 200 ] || { echo "$1 answered $code, not 200" >&2; exit 1; }
}
PAGE="http://127.0.0.1:$PORT/sets/$SET/ranking"
CARD="http://127.0.0.1:$PORT/sets/$SET/units/$UNIT"
ok200 "$PAGE"
ok200 "$CARD"
M=$(measure "http://127.0.0.1:$PORT/static/style.css") || exit 1
read -r S_RPS S_P99 <<<"$M"
M=$(measure "$PAGE") || exit 1
read -r P_RPS P_P99 <<<"$M"
M=$(measure "$CARD") || exit 1
read -r C_RPS C_P99 <<<"$M"
SIZE=$(curl -fs "$PAGE" | wc -c)
CSIZE=$(curl -fs "$CARD" | wc -c)
echo "50 connections, 10 s each, 127.0.0.1"
echo "  static asset (baseline):              $S_RPS requests/s, p99 $S_P99 ms"
echo "  ranking /sets/$SET/ranking ($SIZE bytes): $P_RPS requests/s, p99 $P_P99 ms"
echo "  score card /sets/$SET/units/$UNIT ($CSIZE bytes): $C_RPS requests/s, p99 $C_P99 ms"
for pair in "ranking $P_RPS $P_P99" "score-card $C_RPS $C_P99"; do
  read -r name rps p99 <<<"$pair"
  awk -v n="$name" -v p="$rps" -v s="$S_RPS" -v l="$p99" 'BEGIN {
    r = p / s;
    printf "  %s: throughput %.2f of the static asset (target ≥ 0.50: %s); p99 target < 50 ms: %s\n",
      n, r, (r >= 0.5 ? "met" : "NOT met"), (l < 50 ? "met" : "NOT met") }'
done
