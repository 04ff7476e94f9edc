// Shared pieces of the benchmarks: an app over a fresh database listening on 127.0.0.1, and an
// autocannon run bounded in time. Load only ever targets loopback.
import autocannon from "autocannon";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";

export type BenchResult = { name: string; value: number; unit: string; note?: string };

export type BenchServer = {
  app: FastifyInstance;
  db: Database;
  url: string;
  close(): Promise<void>;
};

/**
 * The app over a fresh database: embedded PGlite, or a scratch database created on the server of
 * BENCH_DATABASE_URL (never that database itself) and dropped on close.
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  // Throughput, not the limiter, is measured: the per-key budget is lifted.
  const config = loadConfig({
    DEMO_DATA: "false",
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "100000000",
    ...env,
  });
  const serverUrl = process.env.BENCH_DATABASE_URL || undefined;
  const scratch = serverUrl ? await createScratchDatabase(serverUrl, "gw_bench") : null;
  const db = await openDatabase({ url: scratch?.url, logger: { info() {}, warn() {} } });
  const app = await buildApp({ config, db, logger: false });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    db,
    url,
    async close() {
      await app.close();
      await db.close();
      await scratch?.drop();
    },
  };
}

export async function load(options: {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  seconds?: number;
  connections?: number;
  /** Changes the path (with its query) or the body of the i-th request, e.g. to vary a filter. */
  vary?: (i: number) => { path?: string; body?: string };
}): Promise<{ requestsPerSecond: number; p50: number; p99: number; errors: number; non2xx: number }> {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(options.url)) throw new Error("benchmarks only target 127.0.0.1");
  const vary = options.vary;
  let sent = 0;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers,
    body: options.body,
    duration: options.seconds ?? 8,
    connections: options.connections ?? 10,
    ...(vary ? { requests: [{ setupRequest: (request) => ({ ...request, ...vary(sent++) }) }] } : {}),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
