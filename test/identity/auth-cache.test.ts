// Authentication on the warm path sends no statement, and a change that revokes or narrows a
// credential takes effect at once on the instance that made it and within a second on every
// other instance (two apps on one PostgreSQL database), through the change feed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { ChangeFeed } from "../../src/db/change-feed.js";
import { openDatabase } from "../../src/db/database.js";
import { AuthCache } from "../../src/identity/auth-cache.js";
import { bearer, createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Cache");
});
afterAll(() => t?.close());

const VIEWER = "{ viewer { organization { name } } }";

function graphql(app: TestApp["app"], key: string, query = VIEWER) {
  return app.inject({
    method: "POST",
    url: "/graphql",
    headers: { ...bearer(key), "content-type": "application/json" },
    payload: JSON.stringify({ query }),
  });
}

/** The statements one request sends. */
async function statementsOf(send: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const stop = t.db.observeStatements((text) => seen.push(text));
  try {
    await send();
  } finally {
    stop();
  }
  return seen;
}

describe("the warm path", () => {
  it("authenticates from the cache: the second request reads no key", async () => {
    const key = await createKey(t.prisma, org, { scopes: ["*"] });
    const cold = await statementsOf(() => graphql(t.app, key));
    expect(cold.some((s) => /FROM api_keys/.test(s))).toBe(true);
    const warm = await statementsOf(async () => {
      const response = await graphql(t.app, key);
      expect(response.json().data.viewer.organization.name).toBe("Cache");
    });
    expect(warm.filter((s) => /FROM api_keys/.test(s))).toEqual([]);
  });

  it("a revocation takes effect on the next request of the same instance", async () => {
    const key = await createKey(t.prisma, org, { scopes: ["*"] });
    const victim = await createKey(t.prisma, org, { scopes: ["*"] });
    expect((await graphql(t.app, victim)).statusCode).toBe(200);
    const [row] = await t.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1`;
    const revoked = await graphql(
      t.app,
      key,
      `mutation { revokeApiKey(id: "${Buffer.from(`ApiKey:${row!.id}`).toString("base64")}") { revokedAt } }`,
    );
    expect(revoked.json().errors).toBeUndefined();
    const after = await graphql(t.app, victim);
    expect(after.statusCode).toBe(401);
  });

  it("a user's deactivation, made with SQL outside the app, reaches the cache", async () => {
    const user = await t.prisma.user.create({
      data: { organizationId: org.id, email: "leaver@example.com", displayName: "Leaver", role: "member" },
    });
    const key = await createKey(t.prisma, org, { scopes: ["*"], userId: user.id });
    expect((await graphql(t.app, key)).statusCode).toBe(200);
    await t.prisma.$executeRaw`UPDATE users SET active = false WHERE id = ${user.id}::uuid`;
    expect((await graphql(t.app, key)).statusCode).toBe(401);
  });

  it("bookkeeping (last_used_at) notifies nobody: the cache stays warm", async () => {
    const key = await createKey(t.prisma, org, { scopes: ["*"] });
    await graphql(t.app, key);
    await t.prisma.$executeRaw`UPDATE api_keys SET last_used_at = now() - interval '1 hour'`;
    const warm = await statementsOf(() => graphql(t.app, key));
    expect(warm.filter((s) => /FROM api_keys/.test(s))).toEqual([]);
  });
});

describe.skipIf(!testDatabaseServerUrl())("two instances on one PostgreSQL database", () => {
  it("a revocation on one reaches the other within a second", async () => {
    const scratch = await createScratchDatabase(testDatabaseServerUrl()!);
    const quiet = { info() {}, warn() {} };
    const config = loadConfig({ DEMO_DATA: "false", LOG_LEVEL: "silent" });
    const dbA = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 2 });
    const dbB = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 2 });
    const a = await buildApp({ config, db: dbA, logger: false });
    const b = await buildApp({ config, db: dbB, logger: false });
    try {
      const other = await createOrg(dbA.prisma, "Two");
      const victim = await createKey(dbA.prisma, other, { scopes: ["*"] });
      const call = (app: typeof a) =>
        app.inject({
          method: "POST",
          url: "/graphql",
          headers: { ...bearer(victim), "content-type": "application/json" },
          payload: JSON.stringify({ query: VIEWER }),
        });
      expect((await call(b)).statusCode).toBe(200);
      expect((await call(b)).statusCode).toBe(200);
      const revokedAt = Date.now();
      await dbA.prisma.apiKey.updateMany({
        where: { organizationId: other.id },
        data: { revokedAt: new Date() },
      });
      let status = 200;
      while (status === 200 && Date.now() - revokedAt < 5_000) {
        status = (await call(b)).statusCode;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const elapsed = Date.now() - revokedAt;
      expect(status).toBe(401);
      expect(elapsed).toBeLessThan(1_000);
    } finally {
      await a.close();
      await b.close();
      await dbA.close();
      await dbB.close();
      await scratch.drop();
    }
  }, 60_000);
});

describe("AuthCache", () => {
  function feed() {
    let onChange: (channel: string, payload: string) => void = () => {};
    let onLost: () => void = () => {};
    const state = { live: true };
    const f: ChangeFeed = {
      get live() {
        return state.live;
      },
      subscribe(change, lost) {
        onChange = change;
        onLost = lost;
        return () => {};
      },
    };
    return { f, state, notify: () => onChange("gateway_auth", "api_keys"), lose: () => onLost() };
  }

  it("never stores a row read before a change it then heard", () => {
    const { f, notify } = feed();
    const cache = new AuthCache<string>(f);
    const generation = cache.begin();
    notify();
    cache.set("k", "stale", generation);
    expect(cache.get("k")).toBeUndefined();
  });

  it("serves nothing while the feed is not live, and forgets all when it was lost", () => {
    const { f, state, lose } = feed();
    const cache = new AuthCache<string>(f);
    cache.set("k", "v", cache.begin());
    expect(cache.get("k")).toBe("v");
    state.live = false;
    expect(cache.get("k")).toBeUndefined();
    state.live = true;
    lose();
    expect(cache.get("k")).toBeUndefined();
  });
});
