#!/usr/bin/env bash
# A private PostgreSQL cluster for peacewatch's server store and its tests, on 127.0.0.1 only.
#   scripts/postgres.sh start   initdb (once) and start; prints the store URL
#   scripts/postgres.sh stop    stop it
#   scripts/postgres.sh url     print the URL
# Settings: PEACEWATCH_PG_DIR (default /tmp/peacewatch-pg), PEACEWATCH_PG_PORT (54329).
# Never touches the system's own clusters. initdb refuses root, so as root it runs as postgres.
set -euo pipefail
PGBIN="${PEACEWATCH_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
DIR="${PEACEWATCH_PG_DIR:-/tmp/peacewatch-pg}"
PORT="${PEACEWATCH_PG_PORT:-54329}"
DB=peacewatch
URL="postgresql://postgres@127.0.0.1:${PORT}/${DB}"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "peacewatch: PostgreSQL not installed (apt-get install postgresql-15)" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
      as_owner "$PGBIN/initdb" -D "$DIR" -A trust -U postgres --no-instructions >/dev/null
    fi
    if ! as_owner "$PGBIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      as_owner "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" \
        start >/dev/null
    fi
    if ! "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
      "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
    fi
    echo "$URL"
    ;;
  stop)
    as_owner "$PGBIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: scripts/postgres.sh start|stop|url" >&2
    exit 2
    ;;
esac
