#!/usr/bin/env bash
# Private PostgreSQL 15 + Redis for tests, on loopback only.
#
#   scripts/ci/services.sh start    start both (idempotent; installs redis-server if missing)
#   scripts/ci/services.sh stop     stop both and delete their state (idempotent)
#   scripts/ci/services.sh status   say what is running
#   scripts/ci/services.sh env      print `export DATABASE_URL=...` / `export REDIS_URL=...`
#
# Typical use:
#   scripts/ci/services.sh start && eval "$(scripts/ci/services.sh env)" && npm test
#
# Settings (environment):
#   JETSTACK_SERVICES_DIR  state dir (default /tmp/jetstack-services)
#   JETSTACK_PG_PORT       PostgreSQL port (default 55432)
#   JETSTACK_REDIS_PORT    Redis port (default 56379)
#   JETSTACK_PG_USER       system user that owns the cluster when run as root (default jetstack-pg)
#   PG_BIN                 directory holding initdb/pg_ctl (default: PostgreSQL 15's, else any found)
#   JETSTACK_WAIT_SECONDS  bound on every readiness/shutdown wait (default 30)
#
# The cluster: trust auth from loopback and its private Unix socket only, listens on
# 127.0.0.1 only, fsync off, C collation, UTC; superuser role `jetstack`, database
# `jetstack`. Redis: 127.0.0.1 only, no RDB/AOF persistence.
set -euo pipefail

STATE_DIR=${JETSTACK_SERVICES_DIR:-/tmp/jetstack-services}
case $STATE_DIR in /*) ;; *) STATE_DIR="$PWD/$STATE_DIR" ;; esac
PG_PORT=${JETSTACK_PG_PORT:-55432}
REDIS_PORT=${JETSTACK_REDIS_PORT:-56379}
PG_OS_USER=${JETSTACK_PG_USER:-jetstack-pg}
WAIT=${JETSTACK_WAIT_SECONDS:-30}
HOST=127.0.0.1
DB_ROLE=jetstack
DB_NAME=jetstack

PG_DIR="$STATE_DIR/pg"
PGDATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"
REDIS_DIR="$STATE_DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

DATABASE_URL="postgresql://$DB_ROLE@$HOST:$PG_PORT/$DB_NAME"
REDIS_URL="redis://$HOST:$REDIS_PORT"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

show_log() { # file
  if [ -f "$1" ]; then
    log "last lines of $1:"
    tail -n 25 "$1" >&2 || true
  fi
}

# ---------------------------------------------------------------- PostgreSQL

find_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || die "PG_BIN=$PG_BIN has no initdb"
    return
  fi
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then PG_BIN=$d; return; fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    if [ -x "$d/initdb" ]; then PG_BIN=$d; return; fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    PG_BIN=$(dirname "$(command -v initdb)"); return
  fi
  if is_root && command -v apt-get >/dev/null 2>&1; then
    apt_install postgresql-15
    PG_BIN=/usr/lib/postgresql/15/bin
    [ -x "$PG_BIN/initdb" ] || die "postgresql-15 installed but $PG_BIN/initdb is missing"
    return
  fi
  die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install PostgreSQL 15
  (Debian: sudo apt-get install -y postgresql-15) or set PG_BIN to their directory."
}

# Run a command as the cluster owner (a non-root user when we are root), from a
# directory that user can enter.
as_pg() {
  if is_root; then
    if command -v runuser >/dev/null 2>&1; then
      (cd "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$@")
    else
      local q; printf -v q '%q ' "$@"
      (cd "$PG_DIR" && su -s /bin/sh "$PG_OS_USER" -c "$q")
    fi
  else
    (cd "$PG_DIR" && "$@")
  fi
}

ensure_pg_user() {
  is_root || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user $PG_OS_USER (initdb refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$PG_OS_USER" \
      || id -u "$PG_OS_USER" >/dev/null 2>&1 \
      || die "could not create user $PG_OS_USER"
  fi
}

pg_running() { [ -f "$PGDATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

pg_init() {
  log "initdb: new cluster in $PGDATA"
  rm -rf "$PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$DB_ROLE" --auth=trust --encoding=UTF8 \
    --no-locale --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
    || { show_log "$PG_DIR/initdb.log"; die "initdb failed"; }
  cat >"$PGDATA/pg_hba.conf" <<EOF
# jetstack test cluster: trust, loopback and the private socket only
local all all              trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128      trust
EOF
  cat >>"$PGDATA/postgresql.conf" <<EOF

# --- jetstack test cluster (scripts/ci/services.sh) ---
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  if is_root; then chown "$PG_OS_USER:" "$PGDATA/pg_hba.conf"; fi
  touch "$PGDATA/.jetstack-configured"
}

pg_start() {
  find_pg_bin
  ensure_pg_user
  mkdir -p "$PG_DIR" "$PG_SOCK"
  if is_root; then
    chown "$PG_OS_USER:" "$PG_DIR" "$PG_SOCK"
    as_pg test -w "$PG_DIR" \
      || die "user $PG_OS_USER cannot write $PG_DIR: choose a JETSTACK_SERVICES_DIR every user can reach (e.g. under /tmp)"
  fi
  chmod 700 "$PG_DIR" "$PG_SOCK"

  if pg_running; then
    log "PostgreSQL already running on $HOST:$PG_PORT"
  else
    if port_open "$PG_PORT"; then
      die "port $PG_PORT is taken by another process (not this state dir's cluster): stop it or set JETSTACK_PG_PORT"
    fi
    if [ ! -f "$PGDATA/.jetstack-configured" ]; then pg_init; fi
    rm -f "$PGDATA/postmaster.pid" # pg_ctl says no server runs: any pid file is stale
    log "starting PostgreSQL ($PG_BIN) on $HOST:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t "$WAIT" start >/dev/null \
      || { show_log "$PG_LOG"; die "PostgreSQL did not start within ${WAIT}s"; }
  fi

  local i=0
  until "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 1; do
    i=$((i + 1))
    if [ "$i" -ge "$WAIT" ]; then show_log "$PG_LOG"; die "PostgreSQL not ready on $HOST:$PG_PORT after ${WAIT}s"; fi
    sleep 1
  done

  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U "$DB_ROLE" -d postgres)
  if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE $DB_NAME OWNER $DB_ROLE" >/dev/null \
      || die "could not create database $DB_NAME"
  fi
  log "PostgreSQL ready: $DATABASE_URL"
}

pg_stop() {
  [ -f "$PGDATA/PG_VERSION" ] || return 0
  find_pg_bin
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1 && is_root; then return 0; fi
  if pg_running; then
    log "stopping PostgreSQL"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t "$WAIT" stop >/dev/null 2>&1; then
      log "fast shutdown timed out; immediate shutdown"
      as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
  fi
  if pg_running; then
    local pid; pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
      log "killing postmaster $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  if pg_running; then die "PostgreSQL in $PGDATA is still running"; fi
}

# --------------------------------------------------------------------- Redis

apt_install() { # package...
  local env=(env DEBIAN_FRONTEND=noninteractive)
  log "apt-get update && apt-get install -y $*"
  timeout 600 "${env[@]}" apt-get update -qq </dev/null >&2 || die "apt-get update failed"
  timeout 600 "${env[@]}" apt-get install -y -qq --no-install-recommends "$@" </dev/null >&2 \
    || die "apt-get install $* failed"
}

ensure_redis_installed() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then return; fi
  if is_root && command -v apt-get >/dev/null 2>&1; then
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
  else
    die "redis-server is not installed. Install it first, e.g.
  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y redis-server
  macOS:         brew install redis
then run this again."
  fi
}

redis_pid() { # prints the pid of our redis-server, if running
  [ -f "$REDIS_PID" ] || return 1
  local pid; pid=$(cat "$REDIS_PID" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  case "$(cat "/proc/$pid/comm" 2>/dev/null || ps -p "$pid" -o comm= 2>/dev/null)" in
    redis-server*|redis-ser*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

redis_ping() { [ "$(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_start() {
  ensure_redis_installed
  mkdir -p "$REDIS_DIR"
  if redis_pid >/dev/null; then
    log "Redis already running on $HOST:$REDIS_PORT"
  else
    if port_open "$REDIS_PORT"; then
      die "port $REDIS_PORT is taken by another process (not this state dir's Redis): stop it or set JETSTACK_REDIS_PORT"
    fi
    rm -f "$REDIS_PID"
    log "starting Redis ($(command -v redis-server)) on $HOST:$REDIS_PORT"
    redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
      --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$REDIS_DIR" \
      --save '' --appendonly no </dev/null >/dev/null 2>&1 \
      || { show_log "$REDIS_LOG"; die "redis-server failed to start"; }
  fi
  local i=0
  until redis_ping; do
    i=$((i + 1))
    if [ "$i" -ge "$WAIT" ]; then show_log "$REDIS_LOG"; die "Redis not answering PING on $HOST:$REDIS_PORT after ${WAIT}s"; fi
    sleep 1
  done
  log "Redis ready: $REDIS_URL"
}

redis_stop() {
  local pid
  pid=$(redis_pid) || return 0
  log "stopping Redis (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge $((WAIT * 5)) ]; then
      log "Redis did not exit in ${WAIT}s; killing"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

# ------------------------------------------------------------------ commands

cmd_start() {
  if [ -e "$STATE_DIR" ] && [ ! -O "$STATE_DIR" ]; then
    die "$STATE_DIR belongs to another user: set JETSTACK_SERVICES_DIR"
  fi
  mkdir -p "$STATE_DIR"
  chmod 755 "$STATE_DIR"
  redis_start
  pg_start
}

cmd_stop() {
  [ -d "$STATE_DIR" ] || { log "nothing to stop ($STATE_DIR absent)"; return 0; }
  local rc=0
  redis_stop || rc=1
  pg_stop || rc=1
  [ "$rc" -eq 0 ] || die "could not stop everything; state left in $STATE_DIR"
  rm -rf "$STATE_DIR"
  log "stopped; removed $STATE_DIR"
}

cmd_status() {
  local rc=0
  if redis_pid >/dev/null && redis_ping; then echo "redis:      running  $REDIS_URL"; else echo "redis:      stopped"; rc=1; fi
  if [ -f "$PGDATA/PG_VERSION" ] && find_pg_bin && pg_running; then
    echo "postgresql: running  $DATABASE_URL"
  else
    echo "postgresql: stopped"; rc=1
  fi
  return "$rc"
}

cmd_env() {
  printf 'export DATABASE_URL=%s\n' "$DATABASE_URL"
  printf 'export REDIS_URL=%s\n' "$REDIS_URL"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
