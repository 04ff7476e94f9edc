#!/usr/bin/env bash
# A private PgBouncer in transaction-pooling mode in front of a PostgreSQL server, for the test
# suite and benchmarks (Debian's `pgbouncer`, own ini file, trust auth, loopback only, a free
# port). Runs as a non-root user (as root: as `postgres`, created when missing).
#
#   scripts/pgbouncer.sh start [SERVER_URL]   # prints postgresql://postgres@127.0.0.1:<port>/postgres?pgbouncer=true
#   scripts/pgbouncer.sh stop                 # stops it and removes its directory
#   scripts/pgbouncer.sh status
#
# SERVER_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is the PostgreSQL server
# every database name is forwarded to (`* = host=... port=...`). The printed URL carries
# `?pgbouncer=true`, which tells the application a transaction pooler is in between
# (src/db/database.ts, docs/deployment.md). State is kept in $PGBOUNCER_STATE (default:
# .tmp/pgbouncer.env); everything but the URL goes to stderr.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_file="${PGBOUNCER_STATE:-$repo_root/.tmp/pgbouncer.env}"

log() { echo "pgbouncer.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

find_bin() {
  if [[ -n "${PGBOUNCER_BIN:-}" ]]; then
    echo "$PGBOUNCER_BIN"
  elif command -v pgbouncer >/dev/null; then
    command -v pgbouncer
  elif [[ -x /usr/sbin/pgbouncer ]]; then
    echo /usr/sbin/pgbouncer
  else
    die "pgbouncer is not installed (Debian: apt-get install -y pgbouncer)"
  fi
}

run_user() {
  if [[ $(id -u) -ne 0 ]]; then
    id -un
    return
  fi
  if ! id postgres >/dev/null 2>&1; then
    log "creating system user postgres"
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres >&2
  fi
  echo postgres
}

as_run_user() {
  if [[ $(id -u) -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u "$RUN_USER" -- "$@"
  else
    su "$RUN_USER" -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# host and port of a postgresql:// URL
url_part() {
  node -e 'const u = new URL(process.argv[1]); console.log(process.argv[2] === "host" ? (u.hostname || "127.0.0.1") : (u.port || "5432"))' "$1" "$2"
}

cmd_start() {
  local server_url="${1:-${PGBOUNCER_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}}"
  if [[ -f "$state_file" ]]; then
    # shellcheck disable=SC1090
    source "$state_file"
    if [[ -n "${PID:-}" ]] && kill -0 "$PID" 2>/dev/null; then
      log "already running (pid $PID)"
      echo "$URL"
      return
    fi
    rm -f "$state_file"
  fi
  local bin dir port host server_port url attempt pid
  bin="$(find_bin)"
  RUN_USER="$(run_user)"
  host="$(url_part "$server_url" host)"
  server_port="$(url_part "$server_url" port)"
  dir="$(mktemp -d "${PGBOUNCER_PARENT:-/tmp}/pgbouncer.XXXXXX")"
  chmod 700 "$dir"
  # With auth_type = trust the user names must still be listed.
  printf '"postgres" ""\n' >"$dir/userlist.txt"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
# Roles not in auth_file (the demo warehouse's reader, created at run time) are looked up on
# the server as this user (auth_query), then trusted like the others.
auth_user = postgres
admin_users = postgres
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
max_db_connections = 40
server_idle_timeout = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    [[ $(id -u) -eq 0 ]] && chown -R "$RUN_USER" "$dir"
    if as_run_user "$bin" -d "$dir/pgbouncer.ini" >&2; then
      for _ in $(seq 1 50); do
        [[ -s "$dir/pgbouncer.pid" ]] && break
        sleep 0.1
      done
      pid="$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)"
      if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        url="postgresql://postgres@127.0.0.1:$port/postgres?pgbouncer=true"
        mkdir -p "$(dirname "$state_file")"
        printf 'DIR=%q\nPORT=%q\nPID=%q\nURL=%q\n' "$dir" "$port" "$pid" "$url" >"$state_file"
        log "running on port $port (pid $pid, $("$bin" --version | head -n 1), pool_mode=transaction, to $host:$server_port)"
        echo "$url"
        return
      fi
    fi
    log "start on port $port failed (attempt $attempt):"
    tail -n 5 "$dir/pgbouncer.log" >&2 2>/dev/null || true
  done
  rm -rf "$dir"
  die "could not start pgbouncer"
}

cmd_stop() {
  if [[ ! -f "$state_file" ]]; then
    log "not running (no $state_file)"
    return
  fi
  # shellcheck disable=SC1090
  source "$state_file"
  if [[ -n "${PID:-}" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -INT "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
  fi
  [[ -n "${DIR:-}" && "$DIR" == */pgbouncer.* ]] && rm -rf "$DIR"
  rm -f "$state_file"
  log "stopped"
}

cmd_status() {
  if [[ ! -f "$state_file" ]]; then
    log "not running"
    return 1
  fi
  # shellcheck disable=SC1090
  source "$state_file"
  kill -0 "$PID" 2>/dev/null || {
    log "pid $PID is not running"
    return 1
  }
  echo "$URL"
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start [SERVER_URL]|stop|status" >&2
    exit 64
    ;;
esac
