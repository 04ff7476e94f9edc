// The database goes away while the app runs: a TCP proxy between the app and its database (the
// embedded PGlite socket or the PostgreSQL of TEST_DATABASE_URL) is cut, every surface answers
// 503 with Retry-After in its own shape and /readyz says not ready; the proxy comes back and the
// same app answers again, without a restart.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { isDatabaseUnavailable } from "../../src/db/unavailable.js";
import { seedRecordsDemo } from "../../src/records/records.seed.js";
import { bearer, createOrg, type TestOrg } from "../helpers/app.js";
import { openTestDatabase } from "../helpers/database.js";

/** A TCP proxy that can be cut (open sockets destroyed, new ones refused) and restored. */
class CuttableProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  private accept(client: net.Socket) {
    const upstream = net.connect(this.targetPort, this.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Refuses new connections (the port is closed) and destroys the open ones. */
  cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  restore(): Promise<void> {
    return this.listen(this.port);
  }
}

const quiet = { info() {}, warn() {} };
let base: Database;
let proxy: CuttableProxy;
let proxied: Database;
let app: FastifyInstance;
let acme: TestOrg;
let dataDir: string;

beforeAll(async () => {
  base = await openTestDatabase();
  const target = new URL(base.url);
  proxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
  await proxy.listen();
  const viaProxy = new URL(base.url);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  proxied = await openDatabase({ url: viaProxy.toString(), logger: quiet, poolSize: 2 });
  acme = await createOrg(proxied.prisma, "Acme");
  await seedRecordsDemo(proxied.prisma, acme.id, acme.ownerId);
  dataDir = mkdtempSync(path.join(tmpdir(), "gw-outage-"));
  const config = loadConfig({ DEMO_DATA: "false", LOG_LEVEL: "silent", DATA_DIR: dataDir });
  app = await buildApp({ config, db: proxied, logger: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await proxied?.close();
  await proxy?.cut().catch(() => {});
  await base?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Probe = {
  name: string;
  method: "GET" | "POST";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** What the surface's documented error body looks like for a 503. */
  shape(body: Record<string, unknown>, contentType: string): void;
};

const asError = (body: Record<string, unknown>) => body.error as Record<string, unknown>;
const envelope = (body: Record<string, unknown>) => {
  expect(asError(body).code).toBe("service_unavailable");
  expect(String(asError(body).message)).toMatch(/database/i);
};
const coginiti = (body: Record<string, unknown>) => {
  expect(body).toEqual({ message: "The service is unavailable", detail: expect.stringMatching(/database/i) });
};
const publicApi = (body: Record<string, unknown>) => {
  expect(body).toMatchObject({ message: "The service is unavailable", code: "service_unavailable" });
};
const scim = (body: Record<string, unknown>, contentType: string) => {
  expect(contentType).toMatch(/^application\/scim\+json/);
  expect(body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
};
const graphql = (body: Record<string, unknown>) => {
  const errors = body.errors as Array<{ message: string; extensions: { code: string } }>;
  expect(errors[0]?.extensions.code).toBe("SERVICE_UNAVAILABLE");
  expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|prisma/i);
};

const record = { displayName: "Outage", fields: { name: "Outage" } };
const PROBES = (): Probe[] => [
  { name: "records list", method: "GET", url: "/v1/modules/contacts/records", shape: envelope },
  {
    name: "records create",
    method: "POST",
    url: "/v1/modules/contacts/records",
    body: record,
    shape: envelope,
  },
  {
    name: "records create with an Idempotency-Key",
    method: "POST",
    url: "/v1/modules/contacts/records",
    body: record,
    headers: { "idempotency-key": "outage-1" },
    shape: envelope,
  },
  {
    name: "entities list",
    method: "GET",
    url: "/v1/entities",
    shape: (body) => {
      envelope(body);
      expect(typeof asError(body).request_id).toBe("string");
    },
  },
  {
    name: "entities create",
    method: "POST",
    url: "/v1/entities",
    body: { type: "supplier", name: "Outage Supplies", attributes: { country: "DE" } },
    shape: envelope,
  },
  { name: "projects list", method: "GET", url: "/v1/projects", shape: envelope },
  { name: "projects create", method: "POST", url: "/v1/projects", body: { name: "Outage" }, shape: envelope },
  { name: "users (seed 002)", method: "GET", url: "/v1/users", shape: envelope },
  { name: "catalog read", method: "GET", url: "/api/v1/catalog/by-path/@Personal", shape: coginiti },
  {
    name: "catalog create",
    method: "POST",
    url: "/api/v1/catalog/folders",
    body: { parent_path: "@Personal", name: "Outage" },
    shape: coginiti,
  },
  { name: "SCIM list", method: "GET", url: "/api/v1/scim/v2/Users", shape: scim },
  {
    name: "SCIM create",
    method: "POST",
    url: "/api/v1/scim/v2/Users",
    body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "outage@acme.example" },
    shape: scim,
  },
  {
    name: "exec",
    method: "POST",
    url: "/api/v1/exec/sql",
    body: { sql: "SELECT 1", connection: { name: "demo" } },
    shape: coginiti,
  },
  {
    name: "token renewal (authenticated by its body)",
    method: "POST",
    url: "/api/v2/tokens/renewtokens",
    body: { refreshToken: `grt_${"a".repeat(43)}` },
    headers: { authorization: "" },
    shape: publicApi,
  },
  { name: "v2 users", method: "GET", url: "/api/v2/users", shape: publicApi },
  {
    name: "GraphQL query",
    method: "POST",
    url: "/graphql",
    body: { query: "{ viewer { organization { id } } }" },
    shape: graphql,
  },
  {
    name: "GraphQL mutation with an Idempotency-Key",
    method: "POST",
    url: "/graphql",
    body: { query: `mutation { createGroup(input: { displayName: "outage" }) { groupId } }` },
    headers: { "idempotency-key": "outage-g" },
    shape: graphql,
  },
];

function send(probe: Probe) {
  return app.inject({
    method: probe.method,
    url: probe.url,
    headers: {
      ...bearer(acme.key),
      ...(probe.body !== undefined ? { "content-type": "application/json" } : {}),
      ...probe.headers,
    },
    ...(probe.body !== undefined ? { payload: JSON.stringify(probe.body) } : {}),
  });
}

describe("a database outage", () => {
  it("every surface answers before the outage (the probes are sound)", async () => {
    for (const probe of PROBES()) {
      const response = await send({
        ...probe,
        headers: { ...probe.headers, "idempotency-key": `before-${probe.name}` },
      });
      expect(response.statusCode, `${probe.name}: ${response.body}`).toBeLessThan(500);
    }
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });

  it("answers 503 with Retry-After in each surface's shape while the database is unreachable", async () => {
    await proxy.cut();
    const statuses: Record<string, number> = {};
    for (const probe of PROBES()) {
      const response = await send(probe);
      statuses[probe.name] = response.statusCode;
      expect(response.statusCode, `${probe.name}: ${response.body}`).toBe(503);
      expect(response.headers["retry-after"], probe.name).toMatch(/^[1-9]\d*$/);
      expect(response.body, probe.name).not.toMatch(/ECONNREFUSED|Can't reach|prisma/i);
      probe.shape(response.json(), String(response.headers["content-type"]));
    }
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "unavailable" });
    expect(Object.values(statuses).filter((s) => s >= 500 && s !== 503)).toEqual([]);
  });

  it("recovers once the database is back, without a restart", async () => {
    await proxy.restore();
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await app.inject({ method: "GET", url: "/readyz" })).statusCode;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready).toBe(200);
    for (const probe of PROBES()) {
      const response = await send({
        ...probe,
        headers: { ...probe.headers, "idempotency-key": `after-${probe.name}` },
      });
      expect(response.statusCode, `${probe.name}: ${response.body}`).toBeLessThan(500);
    }
    // The keys of requests refused during the outage were released: they run now.
    const retried = await send(PROBES().find((p) => p.name === "records create with an Idempotency-Key")!);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("isDatabaseUnavailable on real failures", () => {
  const query = () => proxied.prisma.$queryRaw`SELECT 1`;
  const failure = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      await run();
    } catch (error) {
      return error;
    }
    throw new Error("expected a failure");
  };

  it("recognises a refused connection, through Prisma and through pg", async () => {
    await proxy.cut();
    try {
      expect(isDatabaseUnavailable(await failure(query))).toBe(true);
      expect(isDatabaseUnavailable(await failure(() => proxied.prisma.user.findFirst()))).toBe(true);
      const client = new pg.Client({ host: "127.0.0.1", port: proxy.port, user: "postgres" });
      expect(isDatabaseUnavailable(await failure(() => client.connect()))).toBe(true);
    } finally {
      await proxy.restore();
    }
  });

  it("recognises a connection that was cut while idle", async () => {
    const client = new pg.Client({ connectionString: base.url.replace(/:\d+\//, `:${proxy.port}/`) });
    client.on("error", () => {});
    await client.connect();
    await proxy.cut();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const error = await failure(() => client.query("SELECT 1"));
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
    } finally {
      await proxy.restore();
      await client.end().catch(() => {});
    }
  });

  // PGlite runs pg_sleep on the event loop's thread, so a cut during it is only seen afterwards.
  it.runIf(Boolean(process.env.TEST_DATABASE_URL))(
    "recognises a connection cut in the middle of a query",
    async () => {
      const client = new pg.Client({ connectionString: base.url.replace(/:\d+\//, `:${proxy.port}/`) });
      client.on("error", () => {});
      await client.connect();
      const running = failure(() => client.query("SELECT pg_sleep(5)"));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await proxy.cut();
      try {
        const error = await running;
        expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      } finally {
        await proxy.restore();
        await client.end().catch(() => {});
      }
    },
  );

  it("recognises connection and pool timeouts (a server that accepts and never answers)", async () => {
    const silent = net.createServer(() => {});
    const held: net.Socket[] = [];
    silent.on("connection", (socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const pool = new pg.Pool({
      host: "127.0.0.1",
      port,
      user: "postgres",
      max: 1,
      connectionTimeoutMillis: 200,
    });
    pool.on("error", () => {});
    try {
      const first = failure(() => pool.query("SELECT 1"));
      const second = failure(() => pool.query("SELECT 1")); // waits for the pool's only slot
      for (const error of await Promise.all([first, second])) {
        expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      }
    } finally {
      await pool.end().catch(() => {});
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("does not take other database errors for an outage", async () => {
    const error = await failure(() => proxied.prisma.$queryRawUnsafe("SELECT * FROM no_such_table"));
    expect(isDatabaseUnavailable(error)).toBe(false);
    const unique = await failure(() =>
      proxied.prisma.organization.create({ data: { id: acme.id, name: "duplicate" } }),
    );
    expect(isDatabaseUnavailable(unique)).toBe(false);
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
  });

  it.runIf(Boolean(process.env.TEST_DATABASE_URL))(
    "recognises a backend terminated by the server (SQLSTATE 57P01)",
    async () => {
      const client = new pg.Client({ connectionString: base.url });
      client.on("error", () => {});
      await client.connect();
      const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      const admin = new pg.Client({ connectionString: base.url });
      await admin.connect();
      const running = failure(() => client.query("SELECT pg_sleep(5)"));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await admin.end();
      const error = await running;
      expect((error as { code?: string }).code).toBe("57P01");
      expect(isDatabaseUnavailable(error)).toBe(true);
      await client.end().catch(() => {});
    },
  );
});
