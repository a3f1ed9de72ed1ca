#!/usr/bin/env bash
# The ranking's first render after a change of points (issue 13: under 100 ms for
# 1,000 units × 150 leaves), against a full read of the set measured in the same run.
#   bench/ranking-after-change.sh            # 1,000 units × 150 leaves on SQLite
#   UNITS=300 ROUNDS=5 bench/ranking-after-change.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p parindex -p parindex-bench
BIN=target/release/parindex
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DB="sqlite://$DIR/bench.db"
target/release/parindex-bench generate "$DIR" --units "${UNITS:-1000}" --leaves 150 >/dev/null
"$BIN" --db "$DB" criteria import "$DIR/set.yaml" >/dev/null
"$BIN" --db "$DB" units import "$DIR/units.csv" >/dev/null
"$BIN" --db "$DB" scores import --set bench-set "$DIR/scores.csv" >/dev/null
"$BIN" --db "$DB" cycle phase --set bench-set published >/dev/null
target/release/ranking-after-change --db "$DB" --set bench-set --rounds "${ROUNDS:-15}"
