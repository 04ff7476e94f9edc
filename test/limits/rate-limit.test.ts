// Per-key rate limits on every surface, GraphQL charged by cost; shared through Redis when set.

import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import { costPoints, estimateCost } from "../../src/limits/graphql-cost.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;

async function limitedKey(perWindow: number): Promise<string> {
  const key = await createKey(t.prisma, acme, { scopes: ["*"] });
  await t.prisma.apiKey.update({
    where: { secretHash: hashApiKeySecret(key) },
    data: { rateLimitPerMinute: perWindow },
  });
  return key;
}

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000", RATE_LIMIT_WINDOW_SECONDS: "2" });
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

describe("REST", () => {
  it("sends RateLimit headers, answers 429 with Retry-After in the surface's shape, and recovers", async () => {
    const key = await limitedKey(3);
    const statuses: number[] = [];
    let last = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
    statuses.push(last.statusCode);
    expect(last.headers["ratelimit-limit"]).toBe("3");
    expect(last.headers["ratelimit-remaining"]).toBe("2");
    for (let i = 0; i < 3; i++) {
      last = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(last.headers["ratelimit-remaining"]).toBe("0");
    expect(last.json()).toEqual({
      error: {
        code: "rate_limit_exceeded",
        message: expect.stringMatching(/^Too many requests/),
        details: { retryAfterSeconds: expect.any(Number) },
      },
    });

    await new Promise((resolve) => setTimeout(resolve, (Number(last.headers["retry-after"]) + 0.2) * 1000));
    const after = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
    expect(after.statusCode).toBe(200);
  });

  it("is counted per key: another key of the same organisation is unaffected", async () => {
    const spent = await limitedKey(1);
    await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(spent) });
    expect((await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(spent) })).statusCode).toBe(
      429,
    );
    expect(
      (await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(acme.key) })).statusCode,
    ).toBe(200);
  });

  it.each([
    ["/v1/modules", (b: Json) => expect(b.error.code).toBe("rate_limited")],
    [
      "/api/v1/catalog/list/@Shared",
      (b: Json) =>
        expect(b).toEqual({
          message: "Too many requests",
          detail: expect.stringMatching(/^Too many requests/),
        }),
    ],
  ])("uses the %s surface's body", async (url, check) => {
    const key = await limitedKey(1);
    await t.app.inject({ method: "GET", url, headers: bearer(key) });
    const response = await t.app.inject({ method: "GET", url, headers: bearer(key) });
    expect(response.statusCode).toBe(429);
    check(response.json());
  });
});

describe("per-key limits", () => {
  it("createApiKey sets a key's own limit, enforced on REST", async () => {
    const created = await gql<{ createApiKey: { secret: string; apiKey: { rateLimitPerMinute: number } } }>(
      t.app,
      acme.key,
      `mutation { createApiKey(input: { name: "slow", scopes: [USERS_READ], rateLimitPerMinute: 2 }) { secret apiKey { rateLimitPerMinute } } }`,
    );
    expect(created.body.data?.createApiKey.apiKey.rateLimitPerMinute).toBe(2);
    const key = created.body.data!.createApiKey.secret;
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) })).statusCode,
      );
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("rejects a limit below 1", async () => {
    const { body } = await gql(
      t.app,
      acme.key,
      `mutation { createApiKey(input: { name: "x", scopes: [ALL], rateLimitPerMinute: 0 }) { secret } }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });
});

describe("GraphQL", () => {
  it("estimates cost from the selection and page sizes", () => {
    expect(estimateCost(parse("{ viewer { scopes } }"))).toBe(2);
    expect(estimateCost(parse("{ auditEvents(first: 50) { edges { node { id action } } } }"))).toBe(
      1 + 50 * 4,
    );
    expect(estimateCost(parse("query ($n: Int) { auditEvents(first: $n) { totalCount } }"), { n: 10 })).toBe(
      11,
    );
    expect(estimateCost(parse("fragment F on Viewer { scopes } { viewer { ...F ...F } }"))).toBe(3);
    expect(costPoints(0)).toBe(1);
    expect(costPoints(201)).toBe(3);
  });

  it("charges each operation its cost and answers 429 RATE_LIMITED over budget", async () => {
    const key = await limitedKey(5);
    const cheap = await gql(t.app, key, "{ viewer { scopes } }");
    expect(cheap.status).toBe(200);
    expect(cheap.response.headers["ratelimit-remaining"]).toBe("4");
    // 1 + 100 × 4 fields → 5 points: more than the 4 left.
    const costly = await gql(
      t.app,
      key,
      "{ auditEvents(first: 100) { edges { node { id action status } } } }",
    );
    expect(costly.status).toBe(429);
    expect(costly.body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(Number(costly.response.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(costly.body.data).toBeUndefined();
  });
});

describe.runIf(process.env.TEST_REDIS_URL)("shared between instances through Redis", () => {
  it("two app instances draw on one budget per key", async () => {
    const env = { REDIS_URL: process.env.TEST_REDIS_URL!, RATE_LIMIT_WINDOW_SECONDS: "30" };
    const one = await createTestApp(env);
    try {
      const org = await createOrg(one.prisma, "Shared");
      const key = await createKey(one.prisma, org, { scopes: ["*"] });
      await one.prisma.apiKey.update({
        where: { secretHash: hashApiKeySecret(key) },
        data: { rateLimitPerMinute: 2 },
      });
      // The second instance shares the first's database through its own app over the same data.
      const { buildApp } = await import("../../src/app.js");
      const two = await buildApp({ config: one.config, db: one.db, logger: false });
      try {
        const a = await one.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
        const b = await two.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
        const c = await one.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
        expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 429]);
      } finally {
        await two.close();
      }
    } finally {
      await one.close();
    }
  });
});
