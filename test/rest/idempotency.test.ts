// Idempotency-Key on POST (REST and GraphQL): replay, mismatch, concurrency, per organisation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { purgeExpiredIdempotencyKeys } from "../../src/rest/idempotency.js";
import { bearer, createKey, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, rest } from "../records/fixtures.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createRecordsOrg(t.prisma, "Acme");
  globex = await createRecordsOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

const count = (org: TestOrg, name: string) =>
  t.prisma.moduleRecord.count({ where: { organizationId: org.id, displayName: name } });

describe("REST", () => {
  it("replays the first response to a repeat with the same body; one record exists", async () => {
    const api = rest(t.app, acme.key);
    const body = { displayName: "Idem One", fields: { name: "Idem One", email: "idem1@acme.example" } };
    const first = await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "k-1" });
    expect(first.status).toBe(201);
    const second = await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "k-1" });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(await count(acme, "Idem One")).toBe(1);
  });

  it("answers 422 for the same key with a different body, creating nothing", async () => {
    const api = rest(t.app, acme.key);
    await api.post(
      "/v1/modules/contacts/records",
      { displayName: "Idem Two", fields: { name: "Idem Two" } },
      { "idempotency-key": "k-2" },
    );
    const other = await api.post(
      "/v1/modules/contacts/records",
      { displayName: "Idem Two changed", fields: { name: "Idem Two" } },
      { "idempotency-key": "k-2" },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    expect(await count(acme, "Idem Two changed")).toBe(0);
  });

  it("has exactly one effect for concurrent requests with one key", async () => {
    const api = rest(t.app, acme.key);
    const body = { displayName: "Idem Race", fields: { name: "Idem Race" } };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post("/v1/modules/contacts/records", body, { "idempotency-key": "k-race" }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => r.body.record.id));
    expect(ids.size).toBe(1);
    expect(await count(acme, "Idem Race")).toBe(1);
    const conflict = responses.find((r) => r.status === 409);
    if (conflict) expect(conflict.body.error.code).toBe("conflict");
  });

  it("scopes keys to the organisation", async () => {
    const a = await rest(t.app, acme.key).post(
      "/v1/modules/contacts/records",
      { displayName: "Idem Shared", fields: { name: "Idem Shared" } },
      { "idempotency-key": "k-org" },
    );
    const b = await rest(t.app, globex.key).post(
      "/v1/modules/contacts/records",
      { displayName: "Idem Shared", fields: { name: "Idem Shared" } },
      { "idempotency-key": "k-org" },
    );
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers["idempotent-replayed"]).toBeUndefined();
    expect(a.body.record.id).not.toBe(b.body.record.id);
    expect(await count(globex, "Idem Shared")).toBe(1);
  });

  it("binds a key to its credential: another key of the organisation cannot replay the response", async () => {
    const body = { displayName: "Idem Cred", fields: { name: "Idem Cred" } };
    const first = await rest(t.app, acme.key).post("/v1/modules/contacts/records", body, {
      "idempotency-key": "k-cred",
    });
    expect(first.status).toBe(201);
    // A key that may not even read records guesses the key: no replay, no record id, nothing created.
    const other = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    const replay = await rest(t.app, other).post("/v1/modules/contacts/records", body, {
      "idempotency-key": "k-cred",
    });
    expect(replay.status).toBe(422);
    expect(replay.headers["idempotent-replayed"]).toBeUndefined();
    expect(JSON.stringify(replay.body)).not.toContain(first.body.record.id);
    expect(await count(acme, "Idem Cred")).toBe(1);
  });

  it("stores failed validations too, and replays them", async () => {
    const api = rest(t.app, acme.key);
    const bad = { displayName: "Idem Bad", fields: { name: "Idem Bad", email: "not an email" } };
    const first = await api.post("/v1/modules/contacts/records", bad, { "idempotency-key": "k-bad" });
    expect(first.status).toBe(400);
    const again = await api.post("/v1/modules/contacts/records", bad, { "idempotency-key": "k-bad" });
    expect(again.status).toBe(400);
    expect(again.body).toEqual(first.body);
  });

  it("rejects a malformed key with 400", async () => {
    const response = await rest(t.app, acme.key).post(
      "/v1/modules/contacts/records",
      { displayName: "x" },
      { "idempotency-key": "bad key with spaces" },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details.fields[0].field).toBe("Idempotency-Key");
    expect(await count(acme, "x")).toBe(0);
  });

  it("forgets keys after their time-to-live", async () => {
    await t.prisma.idempotencyKey.updateMany({
      where: { key: "k-1" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await purgeExpiredIdempotencyKeys(t.prisma)).toBeGreaterThanOrEqual(1);
    const body = { displayName: "Idem One", fields: { name: "Idem One", email: "idem1@acme.example" } };
    const fresh = await rest(t.app, acme.key).post("/v1/modules/contacts/records", body, {
      "idempotency-key": "k-1",
    });
    expect(fresh.headers["idempotent-replayed"]).toBeUndefined();
    expect(await count(acme, "Idem One")).toBe(2);
  });
});

describe("GraphQL mutations", () => {
  it("replays a mutation sent with an Idempotency-Key header", async () => {
    const mutation = `mutation { createGroup(input: { displayName: "idem" }) { groupId } }`;
    const first = await gql<{ createGroup: { groupId: string } }>(t.app, acme.key, mutation, undefined, {
      "idempotency-key": "g-1",
    });
    const second = await gql<{ createGroup: { groupId: string } }>(t.app, acme.key, mutation, undefined, {
      "idempotency-key": "g-1",
    });
    expect(first.body.errors).toBeUndefined();
    expect(second.body).toEqual(first.body);
    expect(second.response.headers["idempotent-replayed"]).toBe("true");
    expect(await t.prisma.group.count({ where: { organizationId: acme.id, displayName: "idem" } })).toBe(1);
  });

  it("never stores a response that reveals a secret: marked no-store, the key released", async () => {
    const mutation = `mutation { createApiKey(input: { name: "secret-idem", scopes: [USERS_READ] }) { secret } }`;
    const first = await gql<{ createApiKey: { secret: string } }>(t.app, acme.key, mutation, undefined, {
      "idempotency-key": "g-secret",
    });
    expect(first.response.headers["cache-control"]).toBe("no-store");
    const secret = first.body.data?.createApiKey.secret as string;
    expect(secret).toMatch(/^gwk_/);
    const stored = await t.prisma.idempotencyKey.findMany({
      where: { organizationId: acme.id, key: "g-secret" },
    });
    expect(stored).toEqual([]);
    // Nothing anywhere in the idempotency store holds the secret.
    const rows = await t.prisma.idempotencyKey.findMany({ where: { organizationId: acme.id } });
    expect(rows.some((row) => (row.body ?? "").includes(secret))).toBe(false);
    // A repeat therefore runs again (and makes a second key): documented in docs/architecture.md.
    const second = await gql<{ createApiKey: { secret: string } }>(t.app, acme.key, mutation, undefined, {
      "idempotency-key": "g-secret",
    });
    expect(second.response.headers["idempotent-replayed"]).toBeUndefined();
    expect(second.body.data?.createApiKey.secret).not.toBe(secret);
    // A mutation without a secret in its payload is not marked.
    const plain = await gql(
      t.app,
      acme.key,
      `mutation { createGroup(input: { displayName: "plain" }) { groupId } }`,
    );
    expect(plain.response.headers["cache-control"]).toBeUndefined();
  });
});

describe("replayed headers", () => {
  it("repeats the first 201's Location and ETag (catalog folder)", async () => {
    const api = rest(t.app, acme.key);
    const body = { parent_path: "@Personal", name: "Idem Folder" };
    const first = await api.post("/api/v1/catalog/folders", body, { "idempotency-key": "h-folder" });
    expect(first.status).toBe(201);
    expect(first.headers.location).toMatch(/\/api\/v1\/catalog\/by-path\//);
    expect(first.headers.etag).toBeTruthy();
    const again = await api.post("/api/v1/catalog/folders", body, { "idempotency-key": "h-folder" });
    expect(again.status).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.body).toEqual(first.body);
  });

  it("repeats a record's ETag and an entity's Location", async () => {
    const api = rest(t.app, acme.key);
    const record = { displayName: "Idem Etag", fields: { name: "Idem Etag" } };
    const r1 = await api.post("/v1/modules/contacts/records", record, { "idempotency-key": "h-rec" });
    const r2 = await api.post("/v1/modules/contacts/records", record, { "idempotency-key": "h-rec" });
    expect(r1.headers.etag).toBe('"1"');
    expect(r2.headers.etag).toBe(r1.headers.etag);

    const entity = { type: "supplier", name: "Idem Supplies", attributes: { country: "DE" } };
    const e1 = await api.post("/v1/entities", entity, { "idempotency-key": "h-ent" });
    expect(e1.status, JSON.stringify(e1.body)).toBe(201);
    const e2 = await api.post("/v1/entities", entity, { "idempotency-key": "h-ent" });
    expect(e2.headers["idempotent-replayed"]).toBe("true");
    expect(e2.headers.location).toBe(e1.headers.location);
    // Per-request headers are the replay's own, not the first response's.
    expect(e2.headers["x-request-id"]).not.toBe(e1.headers["x-request-id"]);
  });
});

describe("leases: a claim left by a dead process", () => {
  const body = { displayName: "Idem Lease", fields: { name: "Idem Lease" } };
  const where = (key: string) => ({ organizationId: acme.id, key });
  /** Puts a finished key back to what a process killed mid-request leaves: in progress, no response. */
  const orphan = (key: string, leaseExpiresAt: Date) =>
    t.prisma.idempotencyKey.updateMany({
      where: where(key),
      data: { state: "in_progress", statusCode: null, body: null, contentType: null, leaseExpiresAt },
    });

  it("is refused with 409 and Retry-After while its lease runs", async () => {
    const api = rest(t.app, acme.key);
    await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "l-live" });
    await orphan("l-live", new Date(Date.now() + 60_000));
    const retry = await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "l-live" });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("conflict");
    expect(Number(retry.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(retry.headers["retry-after"])).toBeLessThanOrEqual(t.config.idempotencyLeaseSeconds);
  });

  it("is taken over by a retry after its lease: a fresh run, then replays of that run", async () => {
    const api = rest(t.app, acme.key);
    const before = await count(acme, "Idem Lease");
    await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "l-dead" });
    await orphan("l-dead", new Date(Date.now() - 1000));
    const retry = await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "l-dead" });
    expect(retry.status).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    const replay = await api.post("/v1/modules/contacts/records", body, { "idempotency-key": "l-dead" });
    expect(replay.status).toBe(201);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body.record.id).toBe(retry.body.record.id);
    expect(await count(acme, "Idem Lease")).toBe(before + 2);
    const row = await t.prisma.idempotencyKey.findUniqueOrThrow({
      where: { organizationId_key: where("l-dead") },
    });
    expect(row.state).toBe("completed");
  });

  it("is taken over by exactly one of many concurrent retries", async () => {
    const api = rest(t.app, acme.key);
    const race = { displayName: "Idem Lease Race", fields: { name: "Idem Lease Race" } };
    await api.post("/v1/modules/contacts/records", race, { "idempotency-key": "l-race" });
    await orphan("l-race", new Date(Date.now() - 1000));
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.post("/v1/modules/contacts/records", race, { "idempotency-key": "l-race" }),
      ),
    );
    const fresh = responses.filter((r) => r.status === 201 && !r.headers["idempotent-replayed"]);
    expect(fresh).toHaveLength(1);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    for (const r of responses.filter((r) => r.status === 201)) {
      expect(r.body.record.id).toBe(fresh[0]?.body.record.id);
    }
    expect(await count(acme, "Idem Lease Race")).toBe(2);
  });

  it("a request that finishes after losing its lease stores nothing over the new holder's claim", async () => {
    // A second app on the same database, with one route that waits until the test lets it go.
    const app = await buildApp({ config: t.config, db: t.db, logger: false });
    let entered = () => {};
    let finish = () => {};
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    app.post("/v1/slow-test-route", async () => {
      entered();
      await gate;
      return { done: true };
    });
    await app.ready();
    try {
      const pending = app.inject({
        method: "POST",
        url: "/v1/slow-test-route",
        headers: { ...bearer(acme.key), "idempotency-key": "l-lost" },
      });
      await started;
      // Its lease ran out meanwhile and a retry took the claim over (another token).
      const other = "00000000-0000-4000-8000-000000000001";
      await t.prisma.idempotencyKey.updateMany({
        where: where("l-lost"),
        data: { leaseToken: other, leaseExpiresAt: new Date(Date.now() + 60_000) },
      });
      finish();
      expect((await pending).statusCode).toBe(200);
      const row = await t.prisma.idempotencyKey.findUniqueOrThrow({
        where: { organizationId_key: where("l-lost") },
      });
      expect(row).toMatchObject({ leaseToken: other, state: "in_progress", statusCode: null, body: null });
    } finally {
      await app.close();
    }
  });

  it("a request that runs longer than its lease keeps its claim: it is renewed while it runs", async () => {
    const config = { ...t.config, idempotencyLeaseSeconds: 1 };
    const app = await buildApp({ config, db: t.db, logger: false });
    let entered = () => {};
    let finish = () => {};
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    app.post("/v1/slow-test-route", async () => {
      entered();
      await gate;
      return { done: true };
    });
    await app.ready();
    const call = () =>
      app.inject({
        method: "POST",
        url: "/v1/slow-test-route",
        headers: { ...bearer(acme.key), "idempotency-key": "l-renewed" },
      });
    try {
      const pending = call();
      await started;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const retry = await call();
      expect(retry.statusCode).toBe(409);
      finish();
      expect((await pending).statusCode).toBe(200);
      const replay = await call();
      expect(replay.headers["idempotent-replayed"]).toBe("true");
    } finally {
      finish();
      await app.close();
    }
  });
});

describe("GraphQL replays and the rate limit", () => {
  it("charges a replay like any request and sends the RateLimit headers; over budget → 429", async () => {
    const limited = await createKey(t.prisma, acme, { scopes: ["*"] });
    await t.prisma.apiKey.updateMany({
      where: { organizationId: acme.id, name: "test key *" },
      data: { rateLimitPerMinute: 3 },
    });
    const mutation = `mutation { createGroup(input: { displayName: "idem-limited" }) { groupId } }`;
    const send = () => gql(t.app, limited, mutation, undefined, { "idempotency-key": "g-limited" });
    const first = await send();
    expect(first.body.errors).toBeUndefined();
    expect(first.response.headers["ratelimit-limit"]).toBe("3");
    expect(first.response.headers["ratelimit-remaining"]).toBe("2");
    const replay = await send();
    expect(replay.response.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(replay.response.headers["ratelimit-limit"]).toBe("3");
    expect(replay.response.headers["ratelimit-remaining"]).toBe("1");
    expect(replay.response.headers["ratelimit-reset"]).toBeTruthy();
    await send();
    const over = await send();
    expect(over.status).toBe(429);
    expect(over.response.headers["idempotent-replayed"]).toBeUndefined();
    expect(over.response.headers["retry-after"]).toBeTruthy();
    expect(over.body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(
      await t.prisma.group.count({ where: { organizationId: acme.id, displayName: "idem-limited" } }),
    ).toBe(1);
  });
});
