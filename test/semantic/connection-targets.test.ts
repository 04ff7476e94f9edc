// Data connections cannot point at the platform (issue 11): createDataConnection refuses the
// platform's own database, loopback, private and link-local addresses with one message whatever
// the reason; names are resolved before the check; stored connections that point there anyway
// (made before this rule, or by a name that now resolves elsewhere) answer one generic 502 at
// execution, so an open port and a closed one look the same.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { parseAllowedHost, TargetPolicy, TargetRefusedError } from "../../src/exec/connection-targets.js";
import { execEnvironment } from "../../src/exec/exec-environment.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

type Json = { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

let t: TestApp;
let org: TestOrg;
let runner: string;

beforeAll(async () => {
  t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: "9".repeat(64) });
  org = await createOrg(t.prisma);
  runner = await createKey(t.prisma, org, { scopes: ["sql:execute"] });
});

afterAll(() => t.close());

const REFUSAL = "url: must point at a PostgreSQL server this platform may reach (see EXEC_ALLOWED_HOSTS)";

const create = (name: string, url: string) =>
  gql<Json>(
    t.app,
    org.key,
    `mutation($input: CreateDataConnectionInput!) { createDataConnection(input: $input) { name } }`,
    { input: { name, url } },
  );

describe("createDataConnection", () => {
  it("refuses the platform's database, loopback, private, link-local and unresolvable hosts alike", async () => {
    const platform = new URL(t.db.url);
    const targets = [
      t.db.url,
      `postgresql://postgres@localhost:${platform.port || 5432}${platform.pathname}`,
      "postgresql://u:p@127.0.0.1:1/x",
      "postgresql://u:p@127.0.0.1:5432/postgres",
      "postgresql://u@[::1]:5432/x",
      "postgresql://u@[::ffff:127.0.0.1]:5432/x",
      "postgresql://u@0.0.0.0:5432/x",
      "postgresql://u@10.0.0.8/x",
      "postgresql://u@172.16.3.4/x",
      "postgresql://u@192.168.1.1/x",
      "postgresql://u@169.254.169.254/x",
      "postgresql://u@100.64.0.1/x",
      "postgresql://u@[fd00::1]/x",
      "postgresql://u@[fe80::1]/x",
      "postgresql://u@localhost/x",
      "postgresql://u@does-not-exist.invalid/x",
      "postgresql://u@localhost/x?host=/var/run/postgresql",
    ];
    for (const [i, url] of targets.entries()) {
      const response = await create(`Probe ${i}`, url);
      expect(response.body.errors?.[0], url).toMatchObject({
        message: REFUSAL,
        extensions: { code: "VALIDATION_ERROR" },
      });
    }
    expect(await t.prisma.dataConnection.count({ where: { organizationId: org.id } })).toBe(0);
  });

  it("updateDataConnection refuses them too and keeps the stored URL", async () => {
    const sealed = execEnvironment(t.prisma).secrets().seal("postgresql://u@8.8.8.8/x");
    await t.prisma.dataConnection.create({
      data: { organizationId: org.id, name: "Public", platform: "postgres", encryptedUrl: sealed },
    });
    const response = await gql<Json>(
      t.app,
      org.key,
      `mutation($input: UpdateDataConnectionInput!) { updateDataConnection(input: $input) { name } }`,
      { input: { name: "Public", url: "postgresql://u@127.0.0.1/x" } },
    );
    expect(response.body.errors?.[0]?.message).toBe(REFUSAL);
    const stored = await t.prisma.dataConnection.findFirstOrThrow({ where: { name: "Public" } });
    expect(stored.encryptedUrl).toBe(sealed);
    await t.prisma.dataConnection.delete({ where: { id: stored.id } });
  });
});

describe("executing a connection that points at this machine anyway", () => {
  it("answers the same 502 for the platform's open database port and a closed port", async () => {
    const secrets = execEnvironment(t.prisma).secrets();
    const platformPort = new URL(t.db.url).port || "5432";
    const bodies: string[] = [];
    for (const [name, url] of [
      ["Open", `postgresql://postgres@127.0.0.1:${platformPort}/postgres`],
      ["Closed", "postgresql://postgres@127.0.0.1:1/postgres"],
      ["Platform", t.db.url],
    ] as const) {
      await t.prisma.dataConnection.create({
        data: { organizationId: org.id, name, platform: "postgres", encryptedUrl: secrets.seal(url) },
      });
      const response = await t.app.inject({
        method: "POST",
        url: "/api/v1/exec/sql",
        headers: { ...bearer(runner), "content-type": "application/json" },
        payload: JSON.stringify({ sql: "SELECT 1", connection: { name } }),
      });
      expect(response.statusCode).toBe(502);
      bodies.push(response.body.replaceAll(name, "<name>"));
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).detail).toBe("Could not connect to connection: <name>");
  });
});

describe("EXEC_ALLOWED_HOSTS", () => {
  it("parses names, addresses and ranges, and names a bad entry", () => {
    expect(
      loadConfig({ EXEC_ALLOWED_HOSTS: "db.internal, 10.0.0.0/8,127.0.0.1,::1" }).exec.allowedHosts,
    ).toHaveLength(4);
    expect(() => loadConfig({ EXEC_ALLOWED_HOSTS: "10.0.0.0/8,not a host" })).toThrow(
      /EXEC_ALLOWED_HOSTS: not a host name, IP address or CIDR range: not a host/,
    );
  });

  const policy = (allowed: string[], resolved: Record<string, string[]> = {}) =>
    new TargetPolicy({
      allowedHosts: allowed.map((entry) => parseAllowedHost(entry)!),
      platformDatabaseUrl: "postgresql://app@127.0.0.1:5432/platform",
      resolve: async (host) => resolved[host] ?? [],
    });

  it("lets the operator's hosts through, but never the platform's database", async () => {
    const allowLoopback = policy(["127.0.0.0/8"]);
    await expect(
      allowLoopback.clientConfig("postgresql://u@127.0.0.1:5432/warehouse"),
    ).resolves.toMatchObject({
      host: "127.0.0.1",
      database: "warehouse",
    });
    await expect(allowLoopback.clientConfig("postgresql://u@127.0.0.1:5432/platform")).rejects.toThrow(
      TargetRefusedError,
    );
    // A database override onto the platform's database is the same thing.
    await expect(
      allowLoopback.clientConfig("postgresql://u@127.0.0.1:5432/warehouse", "platform"),
    ).rejects.toThrow(TargetRefusedError);
    const byName = policy(["db.internal"], { "db.internal": ["10.1.2.3"] });
    await expect(byName.clientConfig("postgresql://u@db.internal/x")).resolves.toMatchObject({
      host: "10.1.2.3",
    });
  });

  it("judges every address a name resolves to, and connects to the one it checked", async () => {
    const p = policy([], { "mixed.example": ["8.8.8.8", "10.0.0.1"], "public.example": ["8.8.4.4"] });
    await expect(p.clientConfig("postgresql://u@mixed.example/x")).rejects.toThrow(TargetRefusedError);
    await expect(p.clientConfig("postgresql://u@public.example/x?sslmode=require")).resolves.toMatchObject({
      host: "8.8.4.4",
      ssl: expect.objectContaining({ servername: "public.example" }),
    });
  });
});
