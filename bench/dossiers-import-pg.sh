#!/usr/bin/env bash
# Dossier import and figures on PostgreSQL at provincial scale (issue 14), against a baseline
# measured in the same run:
#   - `parindex dossiers import` (validation, due instants from the calendar, COPY into a
#     staging table, one INSERT … SELECT into the indexed table, rollups) vs `psql \copy`
#     of the same file into a bare table of text columns; target ≥ 0.5×; peak memory;
#   - the figures of a unit-year and of the province, in process; target under 20 ms.
#   ROWS=10000000 bench/dossiers-import-pg.sh    (default 1,000,000)
#   PG=postgres://postgres@127.0.0.1:5432 (a server where the user may create databases)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v psql >/dev/null || { echo "psql is needed: apt-get install postgresql-client" >&2; exit 2; }
ROWS=${ROWS:-1000000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
NAME=parindex_bench_$$
cargo build --release -q -p parindex -p parindex-bench
BIN=target/release/parindex
DIR=$(mktemp -d)
cleanup() { rm -rf "$DIR"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $NAME" -c "CREATE DATABASE $NAME" >/dev/null
URL="$PG/$NAME"
target/release/parindex-bench gen-dossiers "$DIR" --rows "$ROWS"
PARINDEX_LOG=warn "$BIN" --db "$URL" units import data/brvt-units.csv >/dev/null
PARINDEX_LOG=warn "$BIN" --db "$URL" procedures import "$DIR/procedures.csv" >/dev/null
now() { date +%s.%N; }
# report START END MEMFILE FORMAT: rows/s of parindex between START and END against the
# \copy baseline (t0, t1), in a Python format naming rows, base, ours, ratio and mib.
report() {
  python3 - "$ROWS" "$t0" "$t1" "$1" "$2" "$(cat "$3")" "$4" <<'PY'
import sys
rows, t0, t1, a, b, kb = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
base, ours = rows / (t1 - t0), rows / (b - a)
print(sys.argv[7].format(rows=rows, base=base, ours=ours, ratio=ours / base, mib=kb / 1024))
PY
}
# The bare table: one text column per column of the file.
cols=$(head -1 "$DIR/dossiers.csv" | tr -d '\r\357\273\277' | sed 's/,/ text, /g; s/$/ text/')
psql "$URL" -qc "CREATE TABLE raw ($cols)" >/dev/null
psql "$URL" -qc "CHECKPOINT" >/dev/null
t0=$(now)
psql "$URL" -qc "\\copy raw FROM '$DIR/dossiers.csv' WITH (FORMAT csv, HEADER true)" >/dev/null
t1=$(now)
psql "$URL" -qc "CHECKPOINT" >/dev/null
t2=$(now)
PARINDEX_LOG=warn /usr/bin/time -f "%M" -o "$DIR/mem" "$BIN" --db "$URL" dossiers import "$DIR/dossiers.csv" >/dev/null
t3=$(now)
report "$t2" "$t3" "$DIR/mem" "PostgreSQL import {rows} rows: psql \\copy into a bare table {base:,.0f} rows/s; parindex {ours:,.0f} rows/s; ratio {ratio:.2f} (target >= 0.50); peak memory {mib:.1f} MiB"
psql "$URL" -qc "ANALYZE" >/dev/null
target/release/parindex-bench dossier-stats "$URL"
q="SELECT count(*), count(*) FILTER (WHERE finished_at <> ''), count(*) FILTER (WHERE channel = 'online') FROM raw WHERE unit_code = 'SKHDT' AND received_at BETWEEN '2021-01-01 00:00' AND '2021-12-31 23:59'"
printf '\\timing on\n%s;\n' "$q" | psql "$URL" -q 2>&1 | awk '/Time:/ {printf "psql counting the raw table (unit SKHDT, no index): %s ms\n", $2}'
# The same file again: every dossier of a stored year is looked up (the staging path: COPY
# into a temporary table, the codes grouped, the check for codes moved between years, one
# upsert that writes only the dossiers that changed, every
# unit's rollups rebuilt). Reported against the same \copy baseline.
psql "$URL" -qc "CHECKPOINT" >/dev/null
t4=$(now)
PARINDEX_LOG=warn /usr/bin/time -f "%M" -o "$DIR/mem2" "$BIN" --db "$URL" dossiers import "$DIR/dossiers.csv" >/dev/null
t5=$(now)
report "$t4" "$t5" "$DIR/mem2" "PostgreSQL re-import of the same {rows} rows (none changed: each looked up, none written again): parindex {ours:,.0f} rows/s; ratio to \\copy {ratio:.2f}; peak memory {mib:.1f} MiB"
