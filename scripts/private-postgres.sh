#!/usr/bin/env bash
# A private, throw-away PostgreSQL server for tests (initdb + pg_ctl in a temporary directory,
# trust auth, loopback only, on a free port). Works as root (runs the server as `postgres`).
#
#   scripts/private-postgres.sh start   # prints postgresql://postgres@127.0.0.1:<port>/postgres
#   scripts/private-postgres.sh stop    # stops it and removes its directory
#   scripts/private-postgres.sh status
#
# State (directory, port, URL) is kept in $PRIVATE_PG_STATE (default: .tmp/private-postgres.env
# in the repository), so start and stop may run from different shells. Everything except the
# URL goes to stderr, so `export TEST_DATABASE_URL=$(scripts/private-postgres.sh start)` works.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_file="${PRIVATE_PG_STATE:-$repo_root/.tmp/private-postgres.env}"

log() { echo "private-postgres: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

find_bin_dir() {
  local dir
  if [[ -n "${PG_BIN_DIR:-}" ]]; then
    echo "$PG_BIN_DIR"
    return
  fi
  # Highest installed major version first.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      echo "$dir"
      return
    fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  die "no initdb/pg_ctl found (looked in /usr/lib/postgresql/*/bin and PATH; set PG_BIN_DIR)"
}

# The OS user the server runs as: ourselves, or (as root, which initdb refuses) `postgres`,
# created as a system user when it does not exist.
server_user() {
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

# Runs a command as the server user.
as_server_user() {
  if [[ $(id -u) -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u "$PG_USER" -- "$@"
  else
    local quoted
    quoted="$(printf '%q ' "$@")"
    su "$PG_USER" -s /bin/sh -c "$quoted"
  fi
}

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

cmd_start() {
  if [[ -f "$state_file" ]]; then
    # shellcheck disable=SC1090
    source "$state_file"
    if [[ -n "${PGDIR:-}" && -f "$PGDIR/data/postmaster.pid" ]] \
      && "$(find_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
      log "already running in $PGDIR"
      echo "$URL"
      return
    fi
    log "stale state file $state_file: starting afresh"
    rm -f "$state_file"
  fi

  local bin_dir parent dir port url attempt
  bin_dir="$(find_bin_dir)"
  PG_USER="$(server_user)"
  parent="${PRIVATE_PG_PARENT:-/tmp}"
  dir="$(mktemp -d "$parent/private-pg.XXXXXX")"
  chmod 700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown "$PG_USER" "$dir"

  log "initdb in $dir/data (as $PG_USER, $("$bin_dir/initdb" --version))"
  if ! as_server_user "$bin_dir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    die "initdb failed"
  fi

  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if as_server_user "$bin_dir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      >&2; then
      url="postgresql://postgres@127.0.0.1:$port/postgres"
      mkdir -p "$(dirname "$state_file")"
      printf 'PGDIR=%q\nPGPORT=%q\nURL=%q\nPG_USER=%q\n' "$dir" "$port" "$url" "$PG_USER" >"$state_file"
      log "running on port $port (directory $dir, state $state_file)"
      echo "$url"
      return
    fi
    log "start on port $port failed (attempt $attempt); server log:"
    tail -n 5 "$dir/server.log" >&2 || true
  done
  rm -rf "$dir"
  die "could not start PostgreSQL"
}

cmd_stop() {
  if [[ ! -f "$state_file" ]]; then
    log "not running (no $state_file)"
    return
  fi
  # shellcheck disable=SC1090
  source "$state_file"
  if [[ -n "${PGDIR:-}" && -d "$PGDIR/data" ]]; then
    as_server_user "$(find_bin_dir)/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >&2 \
      || log "pg_ctl stop failed (already stopped?)"
  fi
  [[ -n "${PGDIR:-}" && "$PGDIR" == */private-pg.* ]] && rm -rf "$PGDIR"
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
  "$(find_bin_dir)/pg_isready" -h 127.0.0.1 -p "$PGPORT" >&2
  echo "$URL"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 64
    ;;
esac
