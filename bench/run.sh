#!/usr/bin/env bash
# Benchmark of bellatrix-migrate against `psql \copy`, in one run, on one machine, against one
# throwaway PostgreSQL cluster (started here, stopped at the end).
#
#   bench/run.sh [--rows N] [--seed S] [--append M] [--scale K] [--work DIR] [--markdown FILE]
#
#   --rows N         rows of the generated raw_metrics.csv (default 1000000)
#   --seed S         seed of the generated drop (default 1); the appended rows of (e2) use S+1
#   --append M       rows appended for (e2) (default N/10: 100,000 at 1M rows)
#   --scale K        also run (b) on K times the rows, for the scaling figures (default: off)
#   --work DIR       where the drop, the cluster and the results go, kept (default: a new temp
#                    dir, removed at the end)
#   --markdown FILE  append the results (table, ratios, timings of (b)) to FILE
#
# Steps: build the release binary; generate a synthetic legacy drop of N rows; then time, each with
# wall time, peak RSS and client CPU (/usr/bin/time) and the cluster's server CPU (/proc):
#   (a) psql \copy of data/runs/raw_metrics.csv into an UNLOGGED all-text table (the reference);
#   (b) bellatrix-migrate import of the same file into a fresh, initialised database (parse, stage,
#       transform into the indexed schema with its foreign keys, dedupe, all integrity checks);
#   (c) the stage phase alone (read + parse + binary COPY), as the import's report times it;
#   (d) re-importing the same file (its bytes are in the ledger: hashed, not read again);
#   (e) re-importing it after one appended row (one new record, the rest a known prefix);
#   (e2) re-importing it after M appended rows that are new records (from a drop generated with
#       seed S+1), on the database of (b) like (d) and (e);
#   (h) `revert` of (e2)'s import, first as a dry run (everything and the whole-database checks,
#       then rolled back), then for real: the database of (b) and (e) again;
#   (f) pgloader loading the same CSV into a typed table, when pgloader is installed;
#   (g) importing the whole generated drop (backup, R15r file with union rows, prompt CSV, Bedrock
#       log, models.yaml versions) into a fresh database;
#   (b×K) with --scale K: (b) again on a fresh database with K*N generated rows.
# Prints every figure, its ratio to (a), the ratio (b)/(f), the scaling ratios, and where (b)'s time
# went (the import report's timings, largest first). Client CPU is the user+sys time of the measured
# process and its children; server CPU is what the cluster's processes spent during the step.
# Timings are measurements, not tests: nothing here fails on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ROWS=1000000
SEED=1
APPEND=""
SCALE=""
WORK=""
MARKDOWN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --append) APPEND=$2; shift 2 ;;
        --scale) SCALE=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --markdown) MARKDOWN=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
# The issue's case is 100,000 rows appended to 1M; proportional by default so that small runs
# (the CI smoke) stay small and their ratios mean the same.
if [ -z "$APPEND" ]; then
    APPEND=$(( ROWS / 10 > 0 ? ROWS / 10 : 1 ))
fi
# A work directory the script made is removed at the end (a million rows leave about 12 GB: the
# drops and the cluster); one given with --work is kept, to look at.
OWN_WORK=""
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d /tmp/bellatrix-bench.XXXXXX)
    OWN_WORK=1
fi
mkdir -p "$WORK"
# As root the cluster runs as the postgres user, who must be able to reach the work directory
# (mktemp makes it private).
chmod 755 "$WORK"
WORK=$(cd "$WORK" && pwd)

cargo build --release --locked --quiet
BIN="$ROOT/target/release/bellatrix-migrate"
PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
export PATH="$PG_BIN:$PATH"

# The throwaway cluster: the tool's own local cluster, created in the work dir.
cd "$WORK"
"$BIN" --quiet init >/dev/null
PORT=$(cat "$WORK/.bellatrix/port")
POSTMASTER_PID_FILE="$WORK/.bellatrix/data/postmaster.pid"
# The local cluster requires its password: psql and the tool both find it in the password file.
export PGPASSFILE="$WORK/.bellatrix/pgpass"
URL="postgresql://postgres@127.0.0.1:$PORT"
stop_cluster() {
    (cd "$WORK" && "$BIN" local stop >/dev/null 2>&1) || true
    if [ -n "$OWN_WORK" ]; then
        rm -rf "$WORK"
    fi
}
trap stop_cluster EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
    psql_q "$URL/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
}

# generate_drop DIR ROWS SEED: a synthetic drop; prints the seconds it took.
generate_drop() {
    rm -rf "$1"
    local s e
    s=$(date +%s.%N)
    "$BIN" generate --out "$1" --rows "$2" --seed "$3" >/dev/null
    e=$(date +%s.%N)
    python3 -c "print(f'{$e - $s:.1f}')"
}

echo "generating $ROWS rows (seed $SEED) into $WORK/drop"
GEN_SECONDS=$(generate_drop "$WORK/drop" "$ROWS" "$SEED")
CSV="$WORK/drop/data/runs/raw_metrics.csv"
CSV_BYTES=$(stat -c %s "$CSV")

# server_cpu: prints "POSTMASTER_PID TICKS", the CPU clock ticks the cluster has spent so far. The
# postmaster's own utime+stime, plus cutime+cstime (every child it has reaped, so backends that
# exited during a step are counted), plus utime+stime of every live descendant (backends still
# running, the checkpointer, walwriter, autovacuum workers). A sample is retried when a process
# exits while it is taken: reaped between the reads, it would be counted twice or not at all.
server_cpu() {
    python3 - "$POSTMASTER_PID_FILE" <<'PY'
import os, sys

def fields(pid):
    # Fields after "(comm)", which may contain spaces: [0] is field 3 (state), so field n is [n - 3].
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()

def descendants(root):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(int(fields(name)[1]), []).append(int(name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass  # exited while listed
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found

with open(sys.argv[1]) as f:
    postmaster = int(f.readline())
while True:
    live = descendants(postmaster)
    try:
        pm = fields(postmaster)
        ticks = sum(int(x) for x in pm[11:15])  # utime stime cutime cstime
        for pid in live:
            ticks += sum(int(x) for x in fields(pid)[11:13])  # utime stime
    except (FileNotFoundError, ProcessLookupError):
        continue
    if descendants(postmaster) == live:
        print(postmaster, ticks)
        break
PY
}
CLK_TCK=$(getconf CLK_TCK)

HAVE_TIME=0
if [ -x /usr/bin/time ]; then HAVE_TIME=1; fi
# measure NAME CMD...: runs CMD and records "wall peak_rss_KB user sys" in $WORK/NAME.time (a "-"
# where /usr/bin/time is missing) and the server's CPU seconds over the run in $WORK/NAME.server.
# Returns CMD's exit status.
measure() {
    local name=$1; shift
    local before after rc=0
    before=$(server_cpu)
    if [ "$HAVE_TIME" = 1 ]; then
        /usr/bin/time -f "%e %M %U %S" -o "$WORK/$name.time" "$@" || rc=$?
    else
        local s e; s=$(date +%s.%N); "$@" || rc=$?; e=$(date +%s.%N)
        echo "$(python3 -c "print(f'{$e - $s:.2f}')") - - -" > "$WORK/$name.time"
    fi
    after=$(server_cpu)
    # A postmaster that changed (the cluster restarted) makes the difference meaningless.
    python3 -c "
b, a = '$before'.split(), '$after'.split()
print(f'{(int(a[1]) - int(b[1])) / $CLK_TCK:.2f}' if a[0] == b[0] else '-')" > "$WORK/$name.server"
    return $rc
}
# The last line of the time file: /usr/bin/time puts "Command exited with non-zero status" first.
time_field() { tail -n 1 "$WORK/$1.time" | cut -d' ' -f"$2"; }
wall() { time_field "$1" 1; }
rss_mb() { tail -n 1 "$WORK/$1.time" | awk '$2 == "-" { print "-"; next } { printf "%.0f", $2 / 1024 }'; }
client_cpu() { tail -n 1 "$WORK/$1.time" | awk '$3 == "-" { print "-"; next } { printf "%.2f", $3 + $4 }'; }
server_s() { cat "$WORK/$1.server"; }
# report_field FILE EXPR: one value of an import's JSON report (r is the parsed report).
report_field() { python3 -c "import json; r = json.load(open('$1')); print($2)"; }
# counts FILE: what an import did with its records, for the table
counts() { report_field "$1" "'%d inserted, %d duplicates' % (r['accounted']['inserted'], r['accounted']['duplicate'])"; }

# (a) the reference: psql is the client, the COPY the server's work
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
STAGE=$(report_field "$WORK/import.json" "f\"{r['timings']['read_and_stage']:.2f}\"")
TRANSFORM=$(report_field "$WORK/import.json" "f\"{r['timings']['transform']:.2f}\"")
INSERTED=$(report_field "$WORK/import.json" "r['accounted']['inserted']")

# The grown files keep the name raw_metrics.csv (in their own directories), as a file growing in
# place would, and are the imported bytes with rows appended: nothing before the end changes.
# grow NAME APPENDED_FILE: $WORK/NAME/raw_metrics.csv = the file of (b), then APPENDED_FILE.
grow() {
    mkdir -p "$WORK/$1"
    cat "$CSV" "$2" > "$WORK/$1/raw_metrics.csv"
    if [ "$(stat -c %s "$WORK/$1/raw_metrics.csv")" != $(( CSV_BYTES + $(stat -c %s "$2") )) ]; then
        echo "bench: $WORK/$1/raw_metrics.csv is not the imported file plus the appended rows" >&2
        exit 1
    fi
}

# (d) same bytes again
measure reimport "$BIN" --quiet import --report "$WORK/reimport.json" "$CSV" >/dev/null

# (e) grown by one row, a new record
python3 - "$WORK/one-row.csv" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b'"2025-12-31T23:59:59.000001Z","run_20260101_052959","Nova Pro","us.amazon.nova-pro-v1:0","1","10","5","900","True","","success","2e-05","3e-05","5e-05","Summarise pump log 1 as JSON.","{}"\n')
PY
grow grown-1 "$WORK/one-row.csv"
measure reimport_grown "$BIN" --quiet import --report "$WORK/grown.json" "$WORK/grown-1/raw_metrics.csv" >/dev/null

# (e2) grown by M rows. They come from a drop of another seed: other records (their timestamps are
# random to the microsecond, so natural keys do not collide) in the same weeks as (b)'s, and about
# 40% of them in runs (b) already holds, whose counters and aggregates the import must update: a
# harder case than rows that all come after the file's last one.
echo "generating $APPEND rows to append (seed $((SEED + 1)))"
generate_drop "$WORK/append-drop" "$APPEND" "$((SEED + 1))" >/dev/null
tail -n +2 "$WORK/append-drop/data/runs/raw_metrics.csv" > "$WORK/appended.csv"  # without the header
rm -rf "$WORK/append-drop"
grow grown-append "$WORK/appended.csv"
measure reimport_append "$BIN" --quiet import --report "$WORK/append.json" "$WORK/grown-append/raw_metrics.csv" >/dev/null
# All M are new records when all M are inserted: a collision on a natural key would count one as
# a duplicate instead (the duplicates also count the imported rows when they are read again).
APPEND_INSERTED=$(report_field "$WORK/append.json" "r['accounted']['inserted']")
if [ "$APPEND_INSERTED" != "$APPEND" ]; then
    echo "bench: warning: (e2) appended $APPEND new records, the import inserted $APPEND_INSERTED" >&2
fi

# (h) taking (e2)'s import back: a dry run (everything, checks over the whole database included,
# then rolled back), then the revert itself; the database is then (b)'s and (e)'s again.
APPEND_ID=$(report_field "$WORK/append.json" "r['import_id']")
measure revert_dry "$BIN" --quiet revert --json "$APPEND_ID" --dry-run > "$WORK/revert-dry.json"
measure revert "$BIN" --quiet revert --json "$APPEND_ID" > "$WORK/revert.json"
# revert_counts FILE: what a revert did, for the table
revert_counts() { report_field "$1" "'%d rows deleted, %d put back' % (sum(s['rows'] for s in r['steps'] if s['step'] == 'deleted'), sum(s['rows'] for s in r['steps'] if s['step'] != 'deleted'))"; }

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
    if measure pgloader pgloader --quiet "$WORK/load.pgl" >/dev/null 2>&1; then
        PGLOADER=yes
        # pgloader exits 0 even when it rejects rows: the count says what it loaded.
        PGLOADER_ROWS=$(psql -X -A -t "$URL/bench_pgloader" -c "SELECT count(*) FROM raw_typed")
    fi
fi

# (g) the whole drop
fresh_db bench_drop
export DATABASE_URL="$URL/bench_drop"
"$BIN" --quiet init >/dev/null
measure drop "$BIN" --quiet import --report "$WORK/drop.json" "$WORK/drop" >/dev/null
DROP_RECORDS=$(report_field "$WORK/drop.json" "r['source_records']")

# (b×K) the scaling case, last so that its drop (K times the disk) is made only after the rest
if [ -n "$SCALE" ]; then
    SCALED_ROWS=$(( ROWS * SCALE ))
    echo "generating $SCALED_ROWS rows (seed $SEED) into $WORK/drop-scaled"
    generate_drop "$WORK/drop-scaled" "$SCALED_ROWS" "$SEED" >/dev/null
    fresh_db bench_scaled
    export DATABASE_URL="$URL/bench_scaled"
    "$BIN" --quiet init >/dev/null
    measure scaled "$BIN" --quiet import --report "$WORK/scaled.json" "$WORK/drop-scaled/data/runs/raw_metrics.csv" >/dev/null
    rm -rf "$WORK/drop-scaled"
fi

ratio() { python3 -c "print(f'{$1 / $(wall copy):.2f}')"; }
# row LABEL NAME: one table row of a measured step
row() { echo "| $1 | $(wall "$2") | $(ratio "$(wall "$2")") | $(client_cpu "$2") | $(server_s "$2") | $(rss_mb "$2") |"; }
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
PGV=$(postgres --version 2>/dev/null || "$PG_BIN/postgres" --version)
{
echo "## Benchmark: $ROWS rows, $(python3 -c "print(f'{$CSV_BYTES/1e9:.2f}')") GB raw_metrics.csv ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) cores ($CPU), $(free -g | awk '/Mem:/{print $2}') GiB RAM; $PGV; generated in $GEN_SECONDS s."
echo "Client CPU: user+sys of the measured process (psql for (a)); server CPU: the cluster's processes over the step."
echo
echo "| step | wall s | ratio to (a) | client CPU s | server CPU s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|"
row "(a) psql \\copy into UNLOGGED all-text table ($COPY_ROWS rows)" copy
row "(b) full import of the same file ($INSERTED rows inserted, checks included)" import
echo "| (c) stage phase of (b): read, parse, binary COPY | $STAGE | $(ratio "$STAGE") | (in b) | (in b) | (in b) |"
echo "| &nbsp;&nbsp;&nbsp; transform + checks phase of (b) | $TRANSFORM | $(ratio "$TRANSFORM") | (in b) | (in b) | (in b) |"
row "(d) re-import, same bytes (already imported, hashed only)" reimport
row "(e) re-import after one appended row ($(counts "$WORK/grown.json"))" reimport_grown
row "(e2) re-import after $APPEND appended rows ($(counts "$WORK/append.json"))" reimport_append
row "(h) revert --dry-run of (e2)'s import ($(revert_counts "$WORK/revert-dry.json"), rolled back)" revert_dry
row "(h) revert of (e2)'s import ($(revert_counts "$WORK/revert.json"))" revert
if [ -n "$PGLOADER" ]; then
    row "(f) $(pgloader --version 2>/dev/null | head -n 1 | awk '{print $1, $3}' | tr -d '"') into a typed table ($PGLOADER_ROWS rows)" pgloader
else
    echo "| (f) pgloader | not installed | | | | |"
fi
row "(g) whole generated drop ($DROP_RECORDS source records, all kinds)" drop
if [ -n "$SCALE" ]; then
    row "(b×$SCALE) full import of $SCALED_ROWS rows" scaled
fi
echo
if [ -n "$PGLOADER" ]; then
    python3 -c "b, f = $(wall import), $(wall pgloader); print(f'(b)/(f): {b / f:.2f}, the full import {f / b:.2f}× as fast as pgloader\'s raw load of the same file.')"
fi
if [ -n "$SCALE" ]; then
    python3 - "$(wall scaled)" "$(wall import)" "$(tail -n 1 "$WORK/scaled.time" | cut -d' ' -f2)" "$(tail -n 1 "$WORK/import.time" | cut -d' ' -f2)" "$SCALE" <<'PY'
import sys
wall_k, wall_1, rss_k, rss_1, k = sys.argv[1:]
rss = f"{float(rss_k) / float(rss_1):.2f}" if "-" not in (rss_k, rss_1) else "-"
print(f"(b×{k})/(b): wall {float(wall_k) / float(wall_1):.2f}, peak RSS {rss}.")
PY
fi
echo
echo "Where (b)'s $(wall import) s went (the report's timings), largest first:"
echo
# The stage phase, every transform step and check, and what the transform phase spent outside them
# (accounting the records, clearing staging, committing). The two checks that re-read the sources
# share one pass and each reports its whole time: listed once, as one entry.
python3 - "$WORK/import.json" <<'PY'
import json, sys
SHARED = ("text_fidelity", "no_clipped_values")
r = json.load(open(sys.argv[1]))
t = r["timings"]
checks = [(c["name"], c["seconds"]) for c in r["checks"] if not c["skipped"]]
shared = [s for name, s in checks if name in SHARED]
checks = [(f"check: {name}", s) for name, s in checks if name not in SHARED]
if shared:
    checks.append((f"checks: {' + '.join(SHARED)} (one pass re-reading the sources)", max(shared)))
steps = [(f"step: {name}", s) for name, s in t["transform_steps"]]
checks_s = sum(s for _, s in checks)
rest = t["transform"] - sum(s for _, s in steps) - checks_s
parts = [("stage: read, parse, binary COPY", t["read_and_stage"])] + steps + checks
parts.append(("transform phase outside its steps and checks: accounting, clearing staging, commit", rest))
for name, s in sorted(parts, key=lambda p: -p[1]):
    print(f"- {s:.2f} s ({100 * s / t['total']:.1f}%) {name}")
print(f"- (the checks together: {checks_s:.2f} s, {100 * checks_s / t['total']:.1f}%; the report's total {t['total']:.2f} s)")
PY
echo
# The similarity step of (b): its candidates, pairs and time, and that time per million candidates.
python3 - "$WORK/import.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r.get("similarity")
if s:
    per_m = s["seconds"] / s["candidates"] * 1e6 if s["candidates"] else 0.0
    methods = ", ".join(f"{n} {m}" for m, n in sorted(s["by_method"].items())) or "none"
    print(f"Similarity step of (b): {s['candidates']} candidate rows, {s['paired']} paired "
          f"({s['without_master']} without a master row in the window), {s['scored']} scored ({methods}), "
          f"{s['inserted']} score rows, {s['seconds']:.2f} s: {per_m:.2f} s per 1M candidate rows.")
PY
} | tee "$WORK/results.md"
if [ -n "$MARKDOWN" ]; then
    cat "$WORK/results.md" >> "$MARKDOWN"
fi
