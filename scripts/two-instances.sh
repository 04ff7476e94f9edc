#!/usr/bin/env bash
# The two-instance run of docs/deployment.md: a fresh database on the PostgreSQL at
# $SERVER_URL (default postgresql://postgres@127.0.0.1:5432/postgres), a PgBouncer in
# transaction mode in front of it (scripts/pgbouncer.sh), a private redis-server, two compiled
# instances (dist/, npm run build first) on them, and autocannon against both at once for
# $DURATION seconds (default 10, 10 connections each) on GET /v1/users (page of 25). Loopback only.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
server_url="${SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
duration="${DURATION:-10}"
work="$(mktemp -d /tmp/gw-two.XXXXXX)"
db="gw_two_$(date +%s)"
pids=()
export PGBOUNCER_STATE="$work/pgbouncer.env"
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pgbouncer.sh stop 2>/dev/null || true
  node --import tsx -e "
    const { dropPostgresWarehouse } = await import('./src/exec/demo-warehouse.ts');
    await dropPostgresWarehouse('$server_url', '$db');
    const pg = (await import('pg')).default; const c = new pg.Client('$server_url'); await c.connect();
    await c.query('DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'); await c.end();" || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

node -e "const pg=require('pg');const c=new pg.Client('$server_url');c.connect().then(()=>c.query('CREATE DATABASE \"$db\"')).then(()=>c.end())"
direct="${server_url%/*}/$db"
pgb="$(scripts/pgbouncer.sh start "$server_url")"
pooled="${pgb%%/postgres\?*}/$db?pgbouncer=true"
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
key="gwk_$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')"
ports=()
for i in 1 2; do
  port="$(free_port)"
  ports+=("$port")
  DATABASE_URL="$pooled" DATABASE_LISTEN_URL="$direct" REDIS_URL="redis://127.0.0.1:$redis_port" \
    PORT="$port" DATA_DIR="$work/data$i" BOOTSTRAP_API_KEY="$key" RATE_LIMIT_PER_MINUTE=100000000 \
    LOG_LEVEL=warn CONNECTIONS_ENCRYPTION_KEY="$(printf '0%.0s' {1..64})" \
    node dist/server.js >"$work/server$i.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 1
  done
done
echo "ready: ports ${ports[*]}, pgbouncer $pgb, redis $redis_port, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
loaders=()
for port in "${ports[@]}"; do
  node_modules/.bin/autocannon -j -c 10 -d "$duration" -H "authorization=Bearer $key" \
    "http://127.0.0.1:$port/v1/users?page=1&page_size=25" >"$work/ac$port.json" 2>/dev/null &
  loaders+=($!)
done
wait "${loaders[@]}"
node -e '
  const fs = require("fs");
  const runs = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  let total = 0;
  for (const r of runs) {
    total += r.requests.average;
    console.log(`instance: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
  }
  console.log(`both: ${Math.round(total)} req/s`);
' "$work"/ac*.json
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
