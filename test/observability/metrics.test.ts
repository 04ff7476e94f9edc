// /metrics (issue 13, item 1): scraped after REST and GraphQL traffic, the named series move by
// what the traffic did; label values stay bounded (route patterns, capped operation names); the
// endpoint is protected (401 without the token, 404 when not configured, its own port).
import { createServer } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { issueApiKey } from "../../src/identity/api-keys.service.js";
import { bearer, createOrg, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";

const TOKEN = "metrics-token-0123456789abcdef";

/** Prometheus text → value by series (`name{label="value",...}` exactly as exposed). */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** The value of the series whose name is `name` and whose labels include `labels`; 0 if none. */
function value(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, v] of series) {
    const brace = key.indexOf("{");
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) total += v;
  }
  return total;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("scraped after traffic", () => {
  let t: TestApp;
  let acme: TestOrg;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN });
    acme = await createOrg(t.prisma);
  });
  afterAll(() => t.close());

  async function scrape(): Promise<{ text: string; series: Map<string, number> }> {
    const response = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(TOKEN) });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: response.body, series: parse(response.body) };
  }

  it("requests, GraphQL operations, statements, caches, replays and rejections move their series", async () => {
    const before = (await scrape()).series;

    // REST: two reads, a create, its replay, a read of one entity, an unknown path.
    for (let i = 0; i < 2; i++) {
      const list = await t.app.inject({ method: "GET", url: "/v1/entities", headers: bearer(acme.key) });
      expect(list.statusCode).toBe(200);
    }
    const create = () =>
      t.app.inject({
        method: "POST",
        url: "/v1/entities",
        headers: { ...bearer(acme.key), "idempotency-key": "metrics-create-1" },
        payload: { type: "supplier", name: "Metered", attributes: { country: "DE" } },
      });
    const created = await create();
    expect(created.statusCode, created.body).toBe(201);
    const replayed = await create();
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    const id: string = created.json().data.id;
    expect(
      (await t.app.inject({ method: "GET", url: `/v1/entities/${id}`, headers: bearer(acme.key) }))
        .statusCode,
    ).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/no/such/path/12345" })).statusCode).toBe(404);

    // Rate limit: a key allowed one request a minute; its second is refused.
    const limited = await issueApiKey(t.prisma, {
      organizationId: acme.id,
      userId: acme.ownerId,
      name: "limited",
      scopes: ["entities:read"],
      rateLimitPerMinute: 1,
    });
    await t.app.inject({ method: "GET", url: "/v1/entities", headers: bearer(limited.secret) });
    const refused = await t.app.inject({
      method: "GET",
      url: "/v1/entities",
      headers: bearer(limited.secret),
    });
    expect(refused.statusCode).toBe(429);

    // GraphQL: the same named query twice (parsed once), an invalid one, a syntax error, and a
    // name far longer than the cap.
    const query = "query MeteredProjects { projects(first: 5) { totalCount } }";
    for (let i = 0; i < 2; i++) {
      const result = await gql(t.app, acme.key, query);
      expect(result.body.errors, JSON.stringify(result.body)).toBeUndefined();
    }
    const invalid = await gql(t.app, acme.key, "query MeteredInvalid { noSuchField }");
    expect(invalid.body.errors?.length).toBeGreaterThan(0);
    // Twice: the second time yoga's cache answers with the remembered error, without parsing.
    for (let i = 0; i < 2; i++) {
      const syntax = await gql(t.app, acme.key, "query { projects(");
      expect(syntax.body.errors?.length).toBeGreaterThan(0);
    }
    const unauthenticated = await gql(
      t.app,
      "gwk_not_a_key",
      "query MeteredAnonymous { projects(first: 1) { totalCount } }",
    );
    expect(unauthenticated.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const longName = `Q${"x".repeat(200)}`;
    expect(
      (await gql(t.app, acme.key, `query ${longName} { projects(first: 1) { totalCount } }`)).status,
    ).toBe(200);

    const { text, series: after } = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);

    // HTTP, by surface, route pattern, method and status.
    const requests = "gateway_http_request_duration_seconds_count";
    // The two reads and the limited key's first.
    expect(
      delta(requests, { surface: "entities", route: "/v1/entities", method: "GET", status: "200" }),
    ).toBe(3);
    expect(
      delta(requests, { surface: "entities", route: "/v1/entities", method: "POST", status: "201" }),
    ).toBe(2);
    expect(
      delta(requests, { surface: "entities", route: "/v1/entities/:id", method: "GET", status: "200" }),
    ).toBe(1);
    expect(delta(requests, { surface: "entities", route: "/v1/entities", status: "429" })).toBe(1);
    expect(delta(requests, { route: "(unmatched)", status: "404" })).toBe(1);
    expect(delta(requests, { surface: "graphql", route: "/graphql", method: "POST" })).toBe(7);
    expect(
      delta("gateway_http_request_duration_seconds_bucket", {
        route: "/v1/entities",
        method: "GET",
        le: "+Inf",
      }),
    ).toBe(4);
    expect(delta("gateway_http_request_duration_seconds_sum", { route: "/v1/entities" })).toBeGreaterThan(0);
    // No raw URL, no id is a label value.
    expect(text).not.toContain(id.slice(4));
    expect(text).not.toContain("/no/such/path");

    // Rate-limit rejections and idempotency replays, by surface.
    expect(delta("gateway_rate_limit_rejections_total", { surface: "entities" })).toBe(1);
    expect(delta("gateway_idempotency_replays_total", { surface: "entities" })).toBe(1);

    // GraphQL operations by name and outcome, with their phases.
    const operations = "gateway_graphql_operations_total";
    expect(delta(operations, { operation: "MeteredProjects", type: "query", outcome: "success" })).toBe(2);
    expect(delta(operations, { operation: "MeteredInvalid", type: "query", outcome: "rejected" })).toBe(1);
    expect(delta(operations, { operation: "(unparsed)", outcome: "rejected" })).toBe(2);
    expect(delta(operations, { operation: "MeteredAnonymous", type: "query", outcome: "rejected" })).toBe(1);
    expect(delta(operations, { operation: "MeteredAnonymous", outcome: "success" })).toBe(0);
    for (const phase of ["parse", "validate", "execute"]) {
      expect(
        delta("gateway_graphql_phase_duration_seconds_count", { phase, operation: "MeteredProjects" }),
      ).toBe(2);
    }
    expect(delta("gateway_graphql_phase_duration_seconds_sum", { phase: "execute" })).toBeGreaterThan(0);
    // The long name is cut to 64 characters.
    expect(delta(operations, { operation: longName.slice(0, 64), outcome: "success" })).toBe(1);
    expect(text).not.toContain(longName.slice(0, 65));

    // Caches: the repeated documents were hits (the query and the syntax error); the others,
    // misses; credentials were found in the auth cache.
    expect(delta("gateway_cache_requests_total", { cache: "graphql_document", result: "hit" })).toBe(2);
    expect(delta("gateway_cache_requests_total", { cache: "graphql_document", result: "miss" })).toBe(5);
    expect(delta("gateway_cache_requests_total", { cache: "auth", result: "hit" })).toBeGreaterThanOrEqual(1);

    // The database: statements by keyword, and the pool.
    expect(
      delta("gateway_db_statement_duration_seconds_count", { operation: "SELECT", outcome: "ok" }),
    ).toBeGreaterThan(0);
    expect(
      delta("gateway_db_statement_duration_seconds_count", { operation: "INSERT", outcome: "ok" }),
    ).toBeGreaterThan(0);
    expect(value(after, "gateway_db_pool_max_connections")).toBe(t.db.poolStats().max);
    expect(value(after, "gateway_db_pool_connections", { state: "idle" })).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^gateway_db_pool_connections\{state="in_use"\} \d+$/m);
    expect(text).toMatch(/^gateway_db_pool_waiting_requests \d+$/m);
    // And the process's own.
    expect(value(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("operation names stop adding label values after 100 distinct ones", async () => {
    for (let i = 0; i < 105; i++) {
      await gql(t.app, acme.key, `query Distinct${i} { __typename }`);
    }
    const { text } = await scrape();
    const names = new Set(
      [...text.matchAll(/^gateway_graphql_operations_total\{operation="([^"]*)"/gm)].map((m) => m[1]),
    );
    expect(names.size).toBeLessThanOrEqual(100 + 4);
    expect(names.has("(other)")).toBe(true);
  });
});

describe("protection", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t.close());

  /** Another app on the same database, with these variables. */
  async function appWith(env: Record<string, string>): Promise<FastifyInstance> {
    const config = loadConfig({
      DEMO_DATA: "false",
      LOG_LEVEL: "silent",
      DATA_DIR: t.config.dataDir,
      ...env,
    });
    const app = await buildApp({ config, db: t.db, logger: false });
    await app.ready();
    return app;
  }

  it("with METRICS_TOKEN: 401 without it or with another, in the default surface's error shape", async () => {
    const missing = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="metrics"');
    expect(missing.json().error).toMatchObject({
      code: "unauthorized",
      request_id: missing.headers["x-request-id"],
    });
    const wrong = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(`${TOKEN}x`) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain("gateway_");
    const scheme = await t.app.inject({ method: "GET", url: "/metrics", headers: { authorization: TOKEN } });
    expect(scheme.statusCode).toBe(401);
    const right = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(TOKEN) });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain("# TYPE gateway_http_request_duration_seconds histogram");
  });

  it("with neither METRICS_TOKEN nor METRICS_PORT: /metrics is not served (404)", async () => {
    const app = await appWith({});
    try {
      const response = await app.inject({ method: "GET", url: "/metrics", headers: bearer(TOKEN) });
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain("gateway_");
    } finally {
      await app.close();
    }
  });

  it("with METRICS_PORT: served on that port only (with the token when set), not on the main one", async () => {
    const port = await freePort();
    const app = await appWith({ METRICS_PORT: String(port), METRICS_TOKEN: TOKEN });
    try {
      const main = await app.listen({ port: 0, host: "127.0.0.1" });
      expect((await fetch(`${main}/metrics`, { headers: bearer(TOKEN) })).status).toBe(404);
      const url = `http://127.0.0.1:${port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const scraped = await fetch(url, { headers: bearer(TOKEN) });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await scraped.text()).toContain("gateway_http_request_duration_seconds_count");
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect((await fetch(url, { method: "POST", headers: bearer(TOKEN) })).status).toBe(405);
    } finally {
      await app.close();
    }
    // Closed with the app.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it("METRICS_PORT without a token: open on its own port (a network only the scraper reaches)", async () => {
    const port = await freePort();
    const app = await appWith({ METRICS_PORT: String(port) });
    try {
      await app.listen({ port: 0, host: "127.0.0.1" });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("a METRICS_PORT in use stops the start-up, naming METRICS_PORT", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    const config = loadConfig({
      DEMO_DATA: "false",
      LOG_LEVEL: "silent",
      DATA_DIR: t.config.dataDir,
      METRICS_PORT: String(port),
    });
    const app = await buildApp({ config, db: t.db, logger: false });
    try {
      await expect(app.ready()).rejects.toThrow(`METRICS_PORT ${port} on 127.0.0.1: EADDRINUSE`);
    } finally {
      await app.close().catch(() => {});
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it("a second app in the process does not count the process-wide auth cache twice", async () => {
    const org = await createOrg(t.prisma, "Twice");
    const other = await appWith({});
    try {
      const read = () => t.app.inject({ method: "GET", url: "/v1/entities", headers: bearer(org.key) });
      const hits = async () => {
        const scraped = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(TOKEN) });
        return value(parse(scraped.body), "gateway_cache_requests_total", { cache: "auth", result: "hit" });
      };
      expect((await read()).statusCode).toBe(200);
      const before = await hits();
      expect((await read()).statusCode).toBe(200);
      expect((await hits()) - before).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("METRICS_PORT may not be PORT, and a short METRICS_TOKEN is refused without being shown", () => {
    expect(() => loadConfig({ PORT: "4100", METRICS_PORT: "4100" })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
    expect(() => loadConfig({ METRICS_TOKEN: "short-secret" })).toThrow(/METRICS_TOKEN: must be at least 16/);
  });
});
