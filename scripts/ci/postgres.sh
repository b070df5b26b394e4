# Sourced by .ci/run: a throwaway PostgreSQL on 127.0.0.1 for the multi-instance tests.
# initdb refuses to run as root, so the server runs as the `postgres` system user.
PG_PORT="${PG_PORT:-54329}"
PG_DIR="${PG_DIR:-/tmp/persona-relay-ci-pg}"

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  # A server left running in this directory by an earlier run would hold the port.
  [ -f "$PG_DIR/data/postmaster.pid" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR" && chown postgres "$PG_DIR"
  runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust >/dev/null || return 1
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200" start >/dev/null || return 1
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres persona_relay_test || return 1
  export RELAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/persona_relay_test"
  PG_BIN="$bin"
}

stop_postgres() {
  [ -n "${PG_BIN:-}" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  return 0
}
