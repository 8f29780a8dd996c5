#!/usr/bin/env bash
# Benchmark of bellatrix-migrate against `psql \copy`, in one run, on one machine, against one
# throwaway PostgreSQL cluster (started here, stopped at the end).
#
#   bench/run.sh [--rows N] [--seed S] [--work DIR] [--markdown FILE]
#
# Steps: build the release binary; generate a synthetic legacy drop of N rows; then time, each with
# wall time and peak RSS (/usr/bin/time -v):
#   (a) psql \copy of data/runs/raw_metrics.csv into an UNLOGGED all-text table (the reference);
#   (b) bellatrix-migrate import of the same file into a fresh, initialised database (parse, stage,
#       transform into the indexed schema with its foreign keys, dedupe, all integrity checks);
#   (c) the stage phase alone (read + parse + binary COPY), as the import's report times it;
#   (d) re-importing the same file (its bytes are in the ledger: hashed, not read again);
#   (e) re-importing it after one appended row (every row read again, all but one duplicates);
#   (f) pgloader loading the same CSV into a typed table, when pgloader is installed;
#   (g) importing the whole generated drop (backup, R15r file with union rows, prompt CSV, Bedrock
#       log, models.yaml versions) into a fresh database.
# Prints every figure and its ratio to (a). Timings are measurements, not tests: nothing here fails
# on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ROWS=1000000
SEED=1
WORK=""
MARKDOWN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --markdown) MARKDOWN=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d /tmp/bellatrix-bench.XXXXXX)
fi
mkdir -p "$WORK"
# As root the cluster runs as the postgres user, who must be able to reach the work directory
# (mktemp makes it private).
chmod 755 "$WORK"
WORK=$(cd "$WORK" && pwd)

cargo build --release --locked --quiet
BIN="$ROOT/target/release/bellatrix-migrate"
PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
export PATH="$PG_BIN:$PATH"

# The throwaway cluster: the tool's own local cluster, created in the work dir.
cd "$WORK"
"$BIN" --quiet init >/dev/null
PORT=$(cat "$WORK/.bellatrix/port")
# The local cluster requires its password: psql and the tool both find it in the password file.
export PGPASSFILE="$WORK/.bellatrix/pgpass"
URL="postgresql://postgres@127.0.0.1:$PORT"
stop_cluster() {
    (cd "$WORK" && "$BIN" local stop >/dev/null 2>&1) || true
}
trap stop_cluster EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
    psql_q "$URL/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
}

echo "generating $ROWS rows (seed $SEED) into $WORK/drop"
rm -rf "$WORK/drop"
gen_start=$(date +%s.%N)
"$BIN" generate --out "$WORK/drop" --rows "$ROWS" --seed "$SEED" >/dev/null
gen_end=$(date +%s.%N)
CSV="$WORK/drop/data/runs/raw_metrics.csv"
CSV_BYTES=$(stat -c %s "$CSV")

HAVE_TIME=0
if [ -x /usr/bin/time ]; then HAVE_TIME=1; fi
# measure NAME CMD...: runs CMD, records wall seconds and peak RSS (KB) in $WORK/NAME.time
measure() {
    local name=$1; shift
    if [ "$HAVE_TIME" = 1 ]; then
        /usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@"
    else
        local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N)
        echo "$(echo "$e - $s" | bc) 0" > "$WORK/$name.time"
    fi
}
wall() { cut -d' ' -f1 "$WORK/$1.time"; }
rss_mb() { awk '{printf "%.0f", $2/1024}' "$WORK/$1.time"; }

# (a) the reference
fresh_db bench_copy
COLUMNS=$(head -n 1 "$CSV" | tr -d '"\r' | sed 's/,/ text, /g')
psql_q "$URL/bench_copy" -c "CREATE UNLOGGED TABLE raw_text ($COLUMNS text)"
measure copy psql -X -q -v ON_ERROR_STOP=1 "$URL/bench_copy" -c "\\copy raw_text FROM '$CSV' WITH (FORMAT csv, HEADER true)"
COPY_ROWS=$(psql -X -A -t "$URL/bench_copy" -c "SELECT count(*) FROM raw_text")

# (b) + (c) full import of the same file
fresh_db bench_import
export DATABASE_URL="$URL/bench_import"
"$BIN" --quiet init >/dev/null
measure import "$BIN" --quiet import --report "$WORK/import.json" "$CSV" >/dev/null
read -r STAGE TRANSFORM CHECKS_ROWS < <(python3 - "$WORK/import.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%.2f %.2f %d" % (r["timings"]["read_and_stage"], r["timings"]["transform"], r["accounted"]["inserted"]))
PY
)

# (d) same bytes again
measure reimport "$BIN" --quiet import --report "$WORK/reimport.json" "$CSV" >/dev/null
# (e) grown by one row: read again, all old rows duplicates
cp "$CSV" "$WORK/grown.csv"
python3 - "$WORK/grown.csv" <<'PY'
import sys
with open(sys.argv[1], "ab") as f:
    f.write(b'"2025-12-31T23:59:59.000001Z","run_20260101_052959","Nova Pro","us.amazon.nova-pro-v1:0","1","10","5","900","True","","success","2e-05","3e-05","5e-05","Summarise pump log 1 as JSON.","{}"\n')
PY
measure reimport_grown "$BIN" --quiet import --report "$WORK/grown.json" "$WORK/grown.csv" >/dev/null

# (f) pgloader, when installed
PGLOADER=""
if command -v pgloader >/dev/null 2>&1; then
    fresh_db bench_pgloader
    psql_q "$URL/bench_pgloader" -c "CREATE TABLE raw_typed (ts timestamptz, run_id text, model_name text, model_id text, prompt_id text, input_tokens text, output_tokens text, latency_ms numeric, json_valid text, error text, status text, cost_usd_input double precision, cost_usd_output double precision, cost_usd_total double precision, input_prompt text, response text)"
    (umask 077 && cat > "$WORK/load.pgl") <<PGL
LOAD CSV FROM '$CSV' INTO $URL/bench_pgloader?tablename=raw_typed
WITH skip header = 1, fields optionally enclosed by '"', fields terminated by ','
SET work_mem to '64MB';
PGL
    measure pgloader pgloader --quiet "$WORK/load.pgl" >/dev/null 2>&1 && PGLOADER=yes
fi

# (g) the whole drop
fresh_db bench_drop
export DATABASE_URL="$URL/bench_drop"
"$BIN" --quiet init >/dev/null
measure drop "$BIN" --quiet import --report "$WORK/drop.json" "$WORK/drop" >/dev/null
DROP_RECORDS=$(python3 -c "import json; print(json.load(open('$WORK/drop.json'))['source_records'])")

ratio() { python3 -c "print(f'{$1 / $(wall copy):.2f}')"; }
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
PGV=$(postgres --version 2>/dev/null || "$PG_BIN/postgres" --version)
{
echo "## Benchmark: $ROWS rows, $(python3 -c "print(f'{$CSV_BYTES/1e9:.2f}')") GB raw_metrics.csv ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) cores ($CPU), $(free -g | awk '/Mem:/{print $2}') GiB RAM; $PGV; generated in $(python3 -c "print(f'{$gen_end-$gen_start:.1f}')") s."
echo
echo "| step | wall s | ratio to (a) | peak RSS MB |"
echo "|---|---:|---:|---:|"
echo "| (a) psql \\copy into UNLOGGED all-text table ($COPY_ROWS rows) | $(wall copy) | 1.00 | $(rss_mb copy) |"
echo "| (b) full import of the same file ($CHECKS_ROWS rows inserted, checks included) | $(wall import) | $(ratio "$(wall import)") | $(rss_mb import) |"
echo "| (c) stage phase of (b): read, parse, binary COPY | $STAGE | $(ratio "$STAGE") | (in b) |"
echo "| &nbsp;&nbsp;&nbsp; transform + checks phase of (b) | $TRANSFORM | $(ratio "$TRANSFORM") | (in b) |"
echo "| (d) re-import, same bytes (already imported, hashed only) | $(wall reimport) | $(ratio "$(wall reimport)") | $(rss_mb reimport) |"
echo "| (e) re-import after one appended row (all read, all duplicates but one) | $(wall reimport_grown) | $(ratio "$(wall reimport_grown)") | $(rss_mb reimport_grown) |"
if [ -n "$PGLOADER" ]; then
echo "| (f) pgloader into a typed table | $(wall pgloader) | $(ratio "$(wall pgloader)") | $(rss_mb pgloader) |"
else
echo "| (f) pgloader | not installed | | |"
fi
echo "| (g) whole generated drop ($DROP_RECORDS source records, all kinds) | $(wall drop) | $(ratio "$(wall drop)") | $(rss_mb drop) |"
} | tee "$WORK/results.md"
if [ -n "$MARKDOWN" ]; then
    cat "$WORK/results.md" >> "$MARKDOWN"
fi
