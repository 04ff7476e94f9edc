// Every request authenticates with Authorization: Bearer <key>, on REST and GraphQL alike.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

async function restStatus(headers: Record<string, string>) {
  const response = await t.app.inject({ method: "GET", url: "/v1/users", headers });
  return { status: response.statusCode, body: response.json() };
}

describe("API keys on REST", () => {
  it("accepts a valid key", async () => {
    expect((await restStatus(bearer(acme.key))).status).toBe(200);
  });

  it("accepts the scheme case-insensitively", async () => {
    expect((await restStatus({ authorization: `bearer ${acme.key}` })).status).toBe(200);
  });

  it.each([
    ["missing", {}, "api_key_missing"],
    ["blank", { authorization: "   " }, "api_key_missing"],
    ["unknown key", { authorization: "Bearer gwk_not-a-real-key" }, "api_key_invalid"],
    ["wrong scheme", { authorization: "Basic dXNlcjpwYXNz" }, "api_key_invalid"],
    ["scheme only", { authorization: "Bearer" }, "api_key_invalid"],
  ])("answers 401 for a %s key with the surface's code", async (_label, headers, code) => {
    const { status, body } = await restStatus(headers as Record<string, string>);
    expect(status).toBe(401);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
  });

  it("answers 401 api_key_expired for an expired key", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["*"], expiresAt: new Date(Date.now() + 1000) });
    expect((await restStatus(bearer(key))).status).toBe(200);
    await t.prisma.apiKey.update({
      where: { secretHash: hashApiKeySecret(key) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const { status, body } = await restStatus(bearer(key));
    expect(status).toBe(401);
    expect(body.error.code).toBe("api_key_expired");
  });

  it("answers 401 for a revoked key", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["*"] });
    await t.prisma.apiKey.update({
      where: { secretHash: hashApiKeySecret(key) },
      data: { revokedAt: new Date() },
    });
    const { status, body } = await restStatus(bearer(key));
    expect(status).toBe(401);
    expect(body.error.code).toBe("api_key_invalid");
    expect(body.error.message).toMatch(/revoked/);
  });

  it("answers 401 when the key's user was deactivated", async () => {
    const user = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "gone@acme.example", displayName: "Gone" },
    });
    const key = await createKey(t.prisma, acme, { scopes: ["*"], userId: user.id });
    await t.prisma.user.update({ where: { id: user.id }, data: { active: false } });
    expect((await restStatus(bearer(key))).status).toBe(401);
  });

  it("answers 403 forbidden when the key lacks the route's scope", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    const { status, body } = await restStatus(bearer(key));
    expect(status).toBe(403);
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toContain("users:read");
  });

  it("stores only a hash of the key", async () => {
    const stored = await t.prisma.apiKey.findMany({ where: { organizationId: acme.id } });
    for (const key of stored) {
      expect(key.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(key)).not.toContain(acme.key);
    }
    expect(stored.some((k) => k.secretHash === hashApiKeySecret(acme.key))).toBe(true);
  });

  it("records when a key was last used", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["*"] });
    await restStatus(bearer(key));
    await expect
      .poll(
        async () =>
          (await t.prisma.apiKey.findUnique({ where: { secretHash: hashApiKeySecret(key) } }))?.lastUsedAt,
      )
      .toBeInstanceOf(Date);
  });
});

describe("API keys on GraphQL", () => {
  const query = "{ viewer { user { displayName } } }";

  it("answers 401 UNAUTHENTICATED without a key, with nothing executed", async () => {
    const { status, body } = await gql(t.app, null, query);
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("answers 401 for an unknown key", async () => {
    const { status, body } = await gql(t.app, "gwk_nope", query);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toBe("API key not found or incorrect");
  });

  it("answers 403-coded FORBIDDEN for a missing scope, other fields still resolve", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    const { body } = await gql(t.app, key, "{ viewer { scopes } apiKeys { id } }");
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(body.errors?.[0]?.message).toContain("org:admin");
  });
});

describe("X-Forwarded-User", () => {
  it("attributes the request to a matching user when the key may act for users", async () => {
    const mike = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "mike@acme.example", displayName: "Mike" },
    });
    const key = await createKey(t.prisma, acme, { scopes: ["*"], canActForUsers: true });
    for (const forwarded of ["mike@acme.example", "MIKE@acme.example", mike.id]) {
      const { body } = await gql<{ viewer: { user: { displayName: string } } }>(
        t.app,
        key,
        "{ viewer { user { displayName } } }",
        undefined,
        {
          "x-forwarded-user": forwarded,
        },
      );
      expect(body.data?.viewer.user.displayName).toBe("Mike");
    }
  });

  it("keeps the key's user when the forwarded user is not one of ours", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["*"], canActForUsers: true });
    const { body } = await gql<{ viewer: { user: { displayName: string } } }>(
      t.app,
      key,
      "{ viewer { user { displayName } } }",
      undefined,
      {
        "x-forwarded-user": "external-user-42",
      },
    );
    expect(body.data?.viewer.user.displayName).toBe("Acme Owner");
  });

  it("is refused with 403 for a key that may not act for users", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["*"] });
    const response = await t.app.inject({
      method: "GET",
      url: "/v1/users",
      headers: { ...bearer(key), "x-forwarded-user": "mike@acme.example" },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.message).toMatch(/X-Forwarded-User/);
  });
});
