#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the engine tests: Debian's packages, a
# temporary data directory, loopback only, C collation (text order = code point
# order, as Python compares strings; lower() still knows Cyrillic).  The server refuses to run as root, so it
# runs as the "postgres" system user.  Prints the URL to export as
# XLB2B_TEST_PG_URL; "stop DIR" stops it and removes DIR.
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
    dir=$2
    runuser -u postgres -- "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 0
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
dir=$(mktemp -d /tmp/xlb2b-pg.XXXXXX)
echo "$bindir" > "$dir/bin"
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$bindir/initdb" -D "$dir/data" -A trust -U xlb2b --locale=C.UTF-8 --lc-collate=C -E UTF8 >/dev/null
runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
echo "$dir postgres://xlb2b@127.0.0.1:$port/postgres"
