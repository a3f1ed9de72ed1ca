#!/usr/bin/env bash
# Dossier import and figures at provincial scale (issue 5), each against a baseline measured
# in the same run:
#   - `parindex dossiers import` (validation, due instants from the calendar, indexes) vs
#     `sqlite3`'s own `.import` of the same file into a plain table; target ≥ 0.5×;
#   - `parindex dossiers stats` (one unit, whole province) vs `sqlite3` computing the same
#     counts from the plain table; target every figure under 20 ms.
#   ROWS=10000000 bench/dossiers-import.sh    (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed: apt-get install sqlite3" >&2; exit 2; }
ROWS=${ROWS:-1000000}
cargo build --release -q -p parindex -p parindex-bench
BIN=target/release/parindex
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
target/release/parindex-bench gen-dossiers "$DIR" --rows "$ROWS"
DB="sqlite://$DIR/p.db"
PARINDEX_LOG=warn "$BIN" --db "$DB" units import data/brvt-units.csv >/dev/null
PARINDEX_LOG=warn "$BIN" --db "$DB" procedures import "$DIR/procedures.csv" >/dev/null
# The database before any dossier, for the second import (its log folded into the file).
sqlite3 "$DIR/p.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$DIR/p.db" "$DIR/alone.db"
secs() { python3 -c 'import sys; print(float(sys.argv[1]))' "$1"; }
now() { date +%s.%N; }

# Each import starts with the page cache written back (the first one's 1 GB of dirty pages
# would otherwise be flushed during the second and charged to it).
sync
t0=$(now)
sqlite3 "$DIR/base.db" ".import --csv $DIR/dossiers.csv raw"
t1=$(now)
sync
t1b=$(now)
PARINDEX_LOG=warn /usr/bin/time -f "%M" -o "$DIR/mem" "$BIN" --db "$DB" dossiers import "$DIR/dossiers.csv" >/dev/null
t2=$(now)
# The same import into a copy of the database as it was before, with nothing else reading
# it (`--exclusive`: straight into the file, not through the write-ahead log).
sync
t3=$(now)
PARINDEX_LOG=warn /usr/bin/time -f "%M" -o "$DIR/mem2" "$BIN" --db "sqlite://$DIR/alone.db" dossiers import --exclusive "$DIR/dossiers.csv" >/dev/null
t4=$(now)
python3 - "$ROWS" "$t0" "$t1" "$t1b" "$t2" "$(cat "$DIR/mem")" "$t3" "$t4" "$(cat "$DIR/mem2")" <<'PY'
import sys
rows, t0, t1, t1b, t2, kb = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
t3, t4, kb2 = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
base, ours, alone = rows / (t1 - t0), rows / (t2 - t1b), rows / (t4 - t3)
print(f"import {rows} rows: sqlite3 .import {base:,.0f} rows/s; parindex {ours:,.0f} rows/s; "
      f"ratio {ours / base:.2f} (target >= 0.50); peak memory {kb / 1024:.1f} MiB (target < 200 MB)")
print(f"import {rows} rows --exclusive: parindex {alone:,.0f} rows/s; "
      f"ratio {alone / base:.2f} (target >= 0.50); peak memory {kb2 / 1024:.1f} MiB (target < 200 MB)")
PY

q_unit="SELECT count(*), sum(finished_at <> ''), sum(channel = 'online'), sum(channel = 'postal') FROM raw WHERE unit_code = 'SKHDT' AND received_at BETWEEN '2021-01-01 00:00' AND '2021-12-31 23:59';"
q_all="SELECT count(*), sum(finished_at <> ''), sum(channel = 'online'), sum(channel = 'postal') FROM raw WHERE received_at BETWEEN '2021-01-01 00:00' AND '2021-12-31 23:59';"
for scope in unit all; do
  if [ $scope = unit ]; then q=$q_unit; u=(--unit SKHDT); else q=$q_all; u=(); fi
  t0=$(now); sqlite3 "$DIR/base.db" "$q" >/dev/null; t1=$(now)
  PARINDEX_LOG=warn "$BIN" --db "$DB" dossiers stats "${u[@]}" --from 2021-01-01 --to 2021-12-31 --as-of "2022-01-01 00:00" --format json >/dev/null
  t2=$(now)
  python3 -c "import sys; b,o=float(sys.argv[2])-float(sys.argv[1]),float(sys.argv[3])-float(sys.argv[2]); print(f'stats ($scope): sqlite3 raw table {b*1000:.1f} ms; parindex {o*1000:.1f} ms (process start included); ratio {o/b:.2f}')" "$t0" "$t1" "$t2"
done

# The same figures in process (no process start), against sqlite3's own timer on the raw table.
target/release/parindex-bench dossier-stats "$DB"
for scope in unit all; do
  if [ $scope = unit ]; then q=$q_unit; else q=$q_all; fi
  printf '.timer on\n%s\n' "$q" | sqlite3 "$DIR/base.db" 2>&1 | awk -v s=$scope '/Run Time/ {printf "sqlite3 in process (%s, raw table): %.2f ms\n", s, $4*1000}'
done
