// One workload against one surface: autocannon, 10 connections, a short unrecorded warm-up (JIT,
// pools, plan caches), then a bounded measured run. Load only ever targets 127.0.0.1.
import os from "node:os";
import autocannon from "autocannon";

export type Figures = {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Socket errors, timeouts and non-2xx answers together. */
  failures: number;
  /** The 1-minute load average before → after the measured run. */
  load: string;
};

export type Request = {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** A new body per request (e.g. a fresh primary key for a peer without id defaults). */
  body$?: () => string;
};

async function cannon(request: Request, seconds: number, connections: number) {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(request.url)) throw new Error("benchmarks only target 127.0.0.1");
  const fresh = request.body$;
  return autocannon({
    url: request.url,
    method: request.method ?? "GET",
    headers: request.headers,
    body: request.body,
    duration: seconds,
    connections,
    ...(fresh ? { requests: [{ setupRequest: (r) => ({ ...r, body: fresh() }) }] } : {}),
  });
}

export async function measure(
  request: Request,
  options: { seconds: number; warmupSeconds: number; connections: number },
): Promise<Figures> {
  if (options.warmupSeconds > 0) await cannon(request, options.warmupSeconds, options.connections);
  const before = os.loadavg()[0]!;
  const result = await cannon(request, options.seconds, options.connections);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
    load: `${before.toFixed(1)}→${os.loadavg()[0]!.toFixed(1)}`,
  };
}
