#!/usr/bin/env bash
# Starts the server once on a fresh DATA_DIR, waits for its "server ready" log line, checks
# /readyz and that every stdout line is JSON, measures the start-up time and the RSS at idle,
# then stops it with SIGTERM and expects exit code 0. Used by .ci/run (the compiled build on
# Node 22) and for docs/benchmarks.md.
#
#   scripts/smoke-start.sh [compiled|tsx]      # default compiled: node dist/server.js (build it first)
#
# The node on PATH runs it. DATABASE_URL, when set, selects PostgreSQL (a scratch database is the
# caller's business). Prints one line: `mode=... node=... ready_ms=... wall_ms=... rss_idle_mb=...`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
mode="${1:-compiled}"
case "$mode" in
  compiled) cmd=(node dist/server.js) ;;
  tsx) cmd=(node --import tsx src/server.ts) ;;
  *)
    echo "usage: $0 [compiled|tsx]" >&2
    exit 64
    ;;
esac
[[ "$mode" == compiled && ! -f dist/server.js ]] && {
  echo "smoke-start: dist/server.js is missing: npm run build first" >&2
  exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/gw-smoke.XXXXXX")"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

t0=$(date +%s%N)
DATA_DIR="$work/data" PORT=0 HOST=127.0.0.1 LOG_LEVEL=info DEMO_DATA="${DEMO_DATA:-true}" \
  "${cmd[@]}" >"$work/stdout" 2>"$work/stderr" &
pid=$!

address=""
for _ in $(seq 1 "${SMOKE_TIMEOUT_SECONDS:-240}"); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "smoke-start: the server exited before it was ready" >&2
    cat "$work/stdout" "$work/stderr" >&2
    exit 1
  fi
  address="$(node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n");
    for (const line of lines) {
      try { const j = JSON.parse(line); if (j.msg === "server ready") { console.log(j.address + " " + j.startupMs); break; } } catch {}
    }' "$work/stdout")"
  [[ -n "$address" ]] && break
  sleep 1
done
[[ -n "$address" ]] || {
  echo "smoke-start: no \"server ready\" line" >&2
  cat "$work/stdout" "$work/stderr" >&2
  exit 1
}
wall_ms=$((($(date +%s%N) - t0) / 1000000))
origin="${address% *}"
ready_ms="${address#* }"

node -e '
  const [origin, file] = process.argv.slice(1);
  const lines = require("node:fs").readFileSync(file, "utf8").split("\n").filter(Boolean);
  for (const line of lines) JSON.parse(line); // throws on a line that is not JSON
  fetch(origin + "/readyz").then(async (r) => {
    const body = await r.json();
    if (r.status !== 200 || body.status !== "ready") throw new Error(`readyz: ${r.status} ${JSON.stringify(body)}`);
  }).catch((e) => { console.error("smoke-start:", e.message); process.exit(1); });
' "$origin" "$work/stdout"

# Idle: let the demo warehouse finish preparing, then read the resident set.
sleep "${SMOKE_IDLE_SECONDS:-20}"
rss_kb="$(ps -o rss= -p "$pid" | tr -d ' ')"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
if [[ $rc -ne 0 ]]; then
  echo "smoke-start: exit code $rc after SIGTERM" >&2
  tail -n 20 "$work/stdout" "$work/stderr" >&2
  exit 1
fi
echo "mode=$mode node=$(node --version) database=${DATABASE_URL:+postgresql}${DATABASE_URL:-embedded} ready_ms=$ready_ms wall_ms=$wall_ms rss_idle_mb=$((rss_kb / 1024))" \
  | sed -E 's#postgresql(postgres(ql)?://[^ ]*)#postgresql#'
