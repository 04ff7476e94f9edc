// The HTTP side of the metrics (docs/operations.md): one onResponse hook records every request by
// surface, route pattern, method and status; /metrics serves the exposition, protected:
// - METRICS_PORT set: on a listener of its own (on HOST), started when the app is ready, and not
//   on the main port; METRICS_TOKEN, when also set, is required there too;
// - only METRICS_TOKEN set: on the main port, with `Authorization: Bearer <METRICS_TOKEN>`;
// - neither: not served (404), since the metrics describe the traffic of every organisation.
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { AuthCache } from "../identity/auth-cache.js";
import { surfaceFor } from "../rest/surfaces.js";
import { type Metrics, metrics as processMetrics, statementOperation } from "./metrics.js";
import { tracingState } from "./tracing-state.js";

/** Requests that matched no route: their URLs are never labels. */
const UNMATCHED = "(unmatched)";
const STATUS_TEXT = Array.from({ length: 600 }, (_, status) => String(status));
/** One source for every app of the process (the counts are the process's): added once. */
const authCacheStats = () => AuthCache.stats;

export class MetricsTokenError extends AppError {
  constructor() {
    super("unauthorized", 401, "A metrics token is required: send Authorization: Bearer <METRICS_TOKEN>");
  }
}

export function installObservability(
  app: FastifyInstance,
  config: Config,
  db: Database,
  metrics: Metrics = processMetrics,
): void {
  // Route patterns are few and fixed: each one's surface is computed once.
  const surfaces = new Map<string, string>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    let surface: string;
    if (route === undefined) {
      surface = surfaceFor(request.url).name;
    } else {
      surface = surfaces.get(route) ?? surfaceFor(route).name;
      if (surfaces.size < 10_000) surfaces.set(route, surface);
    }
    const status = reply.statusCode;
    metrics.httpRequests
      .series(surface, route ?? UNMATCHED, request.method, STATUS_TEXT[status] ?? "other")
      .observe(reply.elapsedTime / 1000);
    if (status === 429) metrics.rateLimitRejections.series(surface).inc();
    if (request.replayed) metrics.idempotencyReplays.series(surface).inc();
    done();
  });

  const removePool = metrics.addPool(db.poolStats);
  const stopTimings = db.observeStatementTimings((text, seconds, failed) => {
    metrics.statements.series(statementOperation(text), failed ? "error" : "ok").observe(seconds);
  });
  metrics.addCache("auth", authCacheStats);

  let listener: http.Server | undefined;
  if (config.metrics.port !== undefined) {
    // onReady rather than onListen: Fastify only logs an onListen hook's error, and a metrics port
    // that cannot be had must stop the start-up instead.
    app.addHook("onReady", async () => {
      listener = await startMetricsListener(config, metrics);
      app.log.info({ address: listenerAddress(listener) }, "metrics listening");
    });
  } else if (config.metrics.token) {
    const token = config.metrics.token;
    app.get("/metrics", { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, token)) {
        reply.header("www-authenticate", 'Bearer realm="metrics"');
        throw new MetricsTokenError();
      }
      const body = await metrics.exposition();
      return reply.type(metrics.contentType).header("cache-control", "no-store").send(body);
    });
  }

  app.addHook("onClose", async () => {
    removePool();
    stopTimings();
    if (listener) await closeListener(listener);
    // Spans still buffered are exported before the process ends.
    await tracingState.flush();
  });
}

/** Whether `Authorization` is `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header || !/^bearer /i.test(header)) return false;
  const given = createHash("sha256").update(header.slice(7).trim()).digest();
  return timingSafeEqual(given, createHash("sha256").update(token).digest());
}

/** The listener of METRICS_PORT: GET /metrics only, with the token when one is set. */
async function startMetricsListener(config: Config, metrics: Metrics): Promise<http.Server> {
  const token = config.metrics.token;
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics") return answer(response, 404, "not found\n");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return answer(response, 405, "method not allowed\n");
    }
    if (token && !bearerMatches(request.headers.authorization, token)) {
      response.setHeader("www-authenticate", 'Bearer realm="metrics"');
      return answer(response, 401, "a metrics token is required: Authorization: Bearer <METRICS_TOKEN>\n");
    }
    metrics.exposition().then(
      (body) => {
        response.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
        response.end(request.method === "HEAD" ? undefined : body);
      },
      () => answer(response, 500, "the metrics could not be collected\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    // Without the error's code: the start-up's own report of EADDRINUSE names the main port.
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`METRICS_PORT ${config.metrics.port} on ${config.host}: ${error.code ?? error.message}`),
      ),
    );
    server.listen(config.metrics.port, config.host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  return server;
}

function answer(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  response.end(text);
}

function listenerAddress(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/metrics`;
}

function closeListener(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
