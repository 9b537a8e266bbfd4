#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL 15 on 127.0.0.1 for the test suite.
#   .ci/postgres.sh start DIR PORT   -> prints the URL for DESKUI_TEST_PG_URL
#   .ci/postgres.sh stop DIR
# The server refuses to run as root, so it runs as the `postgres` user.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=$1 dir=$2
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
case "$cmd" in
  start)
    port=${3:-55432}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    # A data folder left by an earlier run is started again, not initialised anew.
    [ -f "$dir/data/PG_VERSION" ] || as_postgres "$PGBIN/initdb -D '$dir/data' -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1 || $PGBIN/initdb -D '$dir/data' -U postgres --auth=trust --no-sync -E UTF8 >'$dir/initdb.log' 2>&1"
    as_postgres "$PGBIN/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-h 127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >&2
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_postgres "$PGBIN/pg_ctl -D '$dir/data' -m fast -w stop" >&2 || true
    ;;
  *) echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
