// Refresh and access tokens (seed 004): creation in GraphQL, renewal over REST, rotation at five
// days, replay detection, expiry, API version schemes, deactivated users, error bodies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import { ROTATE_AFTER_DAYS, renewTokens } from "../../src/tokens/tokens.service.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { accessToken, ageRefreshToken, publicApi, refreshTokenRow, renew, tokenUser } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

const DAY = 86_400_000;

function users(version: 1 | 2, token: string) {
  // /api/v2/users for v2; for v1, a catalog listing (every /api/v1 route takes PublicApi).
  return t.app.inject({
    method: "GET",
    url: version === 2 ? "/api/v2/users" : "/api/v1/catalog/list/@Shared",
    headers: publicApi(version, token),
  });
}

const CREATE = `mutation ($input: CreateRefreshTokenInput!) {
  createRefreshToken(input: $input) { secret refreshToken { id name prefix familyId status expiresAt user { email } } }
}`;

describe("createRefreshToken, refreshTokens, revokeRefreshToken (GraphQL)", () => {
  it("creates a token for a user of the organisation; the secret is shown once and only hashed", async () => {
    const user = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "shop@acme.example", displayName: "Shop app" },
    });
    const { body } = await gql<Json>(t.app, acme.key, CREATE, {
      input: { userId: globalId("User", user.id), name: "Shop App Token", expiresInDays: 10 },
    });
    expect(body.errors).toBeUndefined();
    const created = body.data.createRefreshToken;
    expect(created.secret).toMatch(/^gwr_[A-Za-z0-9_-]{43}$/);
    expect(created.refreshToken).toMatchObject({
      name: "Shop App Token",
      prefix: created.secret.slice(0, 10),
      status: "ACTIVE",
      user: { email: "shop@acme.example" },
    });
    const expiresIn = new Date(created.refreshToken.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(10 * DAY - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * DAY);

    const stored = await t.prisma.refreshToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.secretHash).toBe(hashApiKeySecret(created.secret));
    expect(JSON.stringify(stored)).not.toContain(created.secret);

    const listed = await gql<Json>(
      t.app,
      acme.key,
      `query ($user: ID) { refreshTokens(userId: $user, first: 10) { totalCount edges { node { id name } } } }`,
      { user: globalId("User", user.id) },
    );
    expect(listed.body.data.refreshTokens).toEqual({
      totalCount: 1,
      edges: [{ node: { id: expect.any(String), name: "Shop App Token" } }],
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
  });

  it("defaults to REFRESH_TOKEN_TTL_DAYS", async () => {
    const { body } = await gql<Json>(t.app, acme.key, CREATE, {
      input: { userId: globalId("User", acme.ownerId), name: "default" },
    });
    const expiresIn = new Date(body.data.createRefreshToken.refreshToken.expiresAt).getTime() - Date.now();
    expect(Math.round(expiresIn / DAY)).toBe(t.config.tokens.refreshTokenTtlDays);
  });

  it("needs org:admin, a user of the organisation, an active user", async () => {
    const reader = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    const denied = await gql<Json>(t.app, reader, CREATE, {
      input: { userId: globalId("User", acme.ownerId), name: "x" },
    });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const foreign = await gql<Json>(t.app, acme.key, CREATE, {
      input: { userId: globalId("User", globex.ownerId), name: "x" },
    });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const gone = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "gone@acme.example", displayName: "Gone", active: false },
    });
    const inactive = await gql<Json>(t.app, acme.key, CREATE, {
      input: { userId: globalId("User", gone.id), name: "x" },
    });
    expect(inactive.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");

    const blank = await gql<Json>(t.app, acme.key, CREATE, {
      input: { userId: globalId("User", acme.ownerId), name: " ", expiresInDays: 0 },
    });
    expect(blank.body.errors?.[0]?.extensions?.issues).toEqual([
      { field: "name", message: "must not be blank" },
      { field: "expiresInDays", message: expect.any(String) },
    ]);
  });

  it("revokeRefreshToken revokes the family: renewals and its access tokens get 401", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const access = await accessToken(t.app, 2, holder.refreshToken);
    expect((await users(2, access)).statusCode).toBe(200);
    const row = await refreshTokenRow(t, holder.refreshToken);

    const { body } = await gql<Json>(
      t.app,
      acme.key,
      `mutation ($id: ID!) { revokeRefreshToken(input: { id: $id }) { status revokedAt } }`,
      { id: globalId("RefreshToken", row.id) },
    );
    expect(body.data.revokeRefreshToken).toEqual({ status: "REVOKED", revokedAt: expect.any(String) });

    const renewal = await renew(t.app, 2, holder.refreshToken);
    expect(renewal.statusCode).toBe(401);
    expect(renewal.json()).toMatchObject({ code: "token_revoked" });
    const call = await users(2, access);
    expect(call.statusCode).toBe(401);
    expect(call.json()).toMatchObject({ code: "token_revoked", detail: "Access token has been revoked" });
  });

  it("a token of another organisation is not found by node(id:) nor revocable", async () => {
    const holder = await tokenUser(t, globex, []);
    const row = await refreshTokenRow(t, holder.refreshToken);
    const node = await gql<Json>(t.app, acme.key, `query ($id: ID!) { node(id: $id) { id } }`, {
      id: globalId("RefreshToken", row.id),
    });
    expect(node.body.data).toEqual({ node: null });
    const revoke = await gql<Json>(
      t.app,
      acme.key,
      `mutation ($id: ID!) { revokeRefreshToken(input: { id: $id }) { status } }`,
      { id: globalId("RefreshToken", row.id) },
    );
    expect(revoke.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await refreshTokenRow(t, holder.refreshToken)).revokedAt).toBeNull();
  });
});

describe("POST /api/v{1,2}/tokens/renewtokens", () => {
  it.each([
    1, 2,
  ] as const)("v%i mints an access token of its version; no new refresh token yet", async (version) => {
    const holder = await tokenUser(t, acme, ["users:read", "catalog:read"]);
    const before = Date.now();
    const response = await renew(t.app, version, holder.refreshToken);
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.json();
    const row = await refreshTokenRow(t, holder.refreshToken);
    expect(body).toEqual({
      accessToken: expect.stringMatching(/^gwa_[A-Za-z0-9_-]{43}$/),
      accessTokenExpiresAt: expect.any(String),
      tokenType: version === 2 ? "PublicApiV2" : "PublicApi",
      refreshToken: null,
      refreshTokenExpiresAt: row.expiresAt.toISOString(),
    });
    const ttl = new Date(body.accessTokenExpiresAt).getTime() - before;
    expect(ttl).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(3600_000 + 5000);
    expect(row.lastUsedAt).toBeInstanceOf(Date);

    const stored = await t.prisma.accessToken.findUniqueOrThrow({
      where: { secretHash: hashApiKeySecret(body.accessToken) },
    });
    expect(stored).toMatchObject({ apiVersion: version, familyId: row.familyId, refreshTokenId: row.id });
    expect((await users(version, body.accessToken)).statusCode).toBe(200);
  });

  it("a renewal sent with an API key and an Idempotency-Key is never stored for replay", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v2/tokens/renewtokens",
      headers: { "content-type": "application/json", "idempotency-key": "renew-1", ...bearer(acme.key) },
      payload: JSON.stringify({ refreshToken: holder.refreshToken }),
    });
    expect(response.statusCode).toBe(200);
    expect(await t.prisma.idempotencyKey.count({ where: { key: "renew-1" } })).toBe(0);
    const rows = await t.prisma.idempotencyKey.findMany();
    expect(rows.some((row) => (row.body ?? "").includes(response.json().accessToken))).toBe(false);
  });

  it("only one API version at a time: a v1 token is refused with PublicApiV2 and vice versa", async () => {
    const holder = await tokenUser(t, acme, ["users:read", "catalog:read"]);
    const v1 = await accessToken(t.app, 1, holder.refreshToken);
    const v2 = await accessToken(t.app, 2, holder.refreshToken);

    // The right scheme for the token, on the surface of the other version: the scheme is refused.
    const v1OnV2 = await t.app.inject({ method: "GET", url: "/api/v2/users", headers: publicApi(1, v1) });
    expect(v1OnV2.statusCode).toBe(401);
    expect(v1OnV2.json()).toMatchObject({
      code: "token_invalid",
      detail: expect.stringContaining("PublicApiV2"),
    });
    // The token sent with the other version's scheme: the token is refused.
    const v1AsV2 = await t.app.inject({ method: "GET", url: "/api/v2/users", headers: publicApi(2, v1) });
    expect(v1AsV2.statusCode).toBe(401);
    expect(v1AsV2.json().detail).toMatch(/issued for API version 1.*only one API version can be active/);
    const v2AsV1 = await t.app.inject({
      method: "GET",
      url: "/api/v1/catalog/list/@Shared",
      headers: publicApi(1, v2),
    });
    expect(v2AsV1.statusCode).toBe(401);
    expect(v2AsV1.json()).toEqual({
      message: "No valid API key was provided",
      detail: expect.stringMatching(/issued for API version 2/),
    });
    // Surfaces of other seeds take API keys only.
    const elsewhere = await t.app.inject({ method: "GET", url: "/v1/users", headers: publicApi(2, v2) });
    expect(elsewhere.statusCode).toBe(401);
    // API keys keep working on both versions.
    expect(
      (await t.app.inject({ method: "GET", url: "/api/v2/users", headers: bearer(acme.key) })).statusCode,
    ).toBe(200);
  });

  it("GraphQL, which has no version, takes access tokens of either version", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    for (const version of [1, 2] as const) {
      const token = await accessToken(t.app, version, holder.refreshToken);
      const { status, body } = await gql<Json>(
        t.app,
        null,
        "{ viewer { scopes user { id } } users(first: 1) { totalCount } }",
        undefined,
        publicApi(version, token),
      );
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data.viewer.scopes).toEqual(["users:read"]);
      expect(body.data.viewer.user.id).toBe(globalId("User", holder.userId));
    }
  });

  it("rotates a refresh token once it is 5 days old; the successor is of the same family", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    await ageRefreshToken(t, holder.refreshToken, ROTATE_AFTER_DAYS - 0.01);
    const early = await renew(t.app, 2, holder.refreshToken);
    expect(early.json().refreshToken).toBeNull();

    await ageRefreshToken(t, holder.refreshToken, 0.02);
    const rotated = await renew(t.app, 2, holder.refreshToken);
    expect(rotated.statusCode).toBe(200);
    const successor = rotated.json().refreshToken;
    expect(successor).toMatch(/^gwr_/);
    const [old, fresh] = [await refreshTokenRow(t, holder.refreshToken), await refreshTokenRow(t, successor)];
    expect(old.rotatedAt).toBeInstanceOf(Date);
    expect(fresh).toMatchObject({
      familyId: old.familyId,
      name: old.name,
      userId: old.userId,
      rotatedAt: null,
    });
    // The successor lives as long as its predecessor was given (30 days here).
    expect(fresh.expiresAt.getTime() - fresh.createdAt.getTime()).toBe(
      old.expiresAt.getTime() - old.createdAt.getTime(),
    );
    expect(rotated.json().refreshTokenExpiresAt).toBe(fresh.expiresAt.toISOString());
    expect((await users(2, rotated.json().accessToken)).statusCode).toBe(200);

    // The successor renews, and is not rotated again before it is 5 days old itself.
    const next = await renew(t.app, 2, successor);
    expect(next.statusCode).toBe(200);
    expect(next.json().refreshToken).toBeNull();
  });

  it("rotation happens at exactly 5 days (service clock)", async () => {
    const holder = await tokenUser(t, acme, []);
    const created = (await refreshTokenRow(t, holder.refreshToken)).createdAt.getTime();
    const at = (ms: number) => () => new Date(created + ms);
    const justBefore = await renewTokens(t.prisma, t.config.tokens, holder.refreshToken, 2, at(5 * DAY - 1));
    expect(justBefore.refreshToken).toBeNull();
    const exactly = await renewTokens(t.prisma, t.config.tokens, holder.refreshToken, 2, at(5 * DAY));
    expect(exactly.refreshToken).toMatch(/^gwr_/);
  });

  it("a replayed (already rotated) refresh token revokes the whole family, access tokens too", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const firstAccess = await accessToken(t.app, 2, holder.refreshToken);
    await ageRefreshToken(t, holder.refreshToken, ROTATE_AFTER_DAYS);
    const rotated = (await renew(t.app, 2, holder.refreshToken)).json();
    const successor = rotated.refreshToken as string;
    const successorAccess = await accessToken(t.app, 2, successor);
    expect((await users(2, successorAccess)).statusCode).toBe(200);

    const replay = await renew(t.app, 2, holder.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toEqual({
      message: "Unauthorized: the token is expired, invalid or incorrect",
      detail: expect.stringMatching(/already rotated.*family is now revoked/),
      code: "token_revoked",
    });

    const family = (await refreshTokenRow(t, successor)).familyId;
    const rows = await t.prisma.refreshToken.findMany({ where: { familyId: family } });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
    const accessRows = await t.prisma.accessToken.findMany({ where: { familyId: family } });
    expect(accessRows.length).toBeGreaterThanOrEqual(3);
    expect(accessRows.every((r) => r.revokedAt !== null)).toBe(true);

    for (const token of [firstAccess, rotated.accessToken, successorAccess]) {
      const call = await users(2, token);
      expect(call.statusCode).toBe(401);
      expect(call.json().code).toBe("token_revoked");
    }
    const successorRenewal = await renew(t.app, 2, successor);
    expect(successorRenewal.statusCode).toBe(401);
    expect(successorRenewal.json().code).toBe("token_revoked");
  });

  it("renewals racing with one 5-day-old token rotate it once", async () => {
    const holder = await tokenUser(t, acme, []);
    await ageRefreshToken(t, holder.refreshToken, ROTATE_AFTER_DAYS + 1);
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => renew(t.app, 2, holder.refreshToken)),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401, 401, 401]);
    const winner = responses.find((r) => r.statusCode === 200)!.json();
    expect(winner.refreshToken).toMatch(/^gwr_/);
    const family = (await refreshTokenRow(t, holder.refreshToken)).familyId;
    // The presented token and exactly one successor.
    expect(await t.prisma.refreshToken.count({ where: { familyId: family } })).toBe(2);
    for (const loser of responses.filter((r) => r.statusCode === 401)) {
      expect(loser.json().code).toMatch(/^token_(invalid|revoked)$/);
    }
  });

  it("an expired access token gets 401 token_expired; an expired refresh token cannot renew", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    await t.prisma.accessToken.update({
      where: { secretHash: hashApiKeySecret(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const call = await users(2, token);
    expect(call.statusCode).toBe(401);
    expect(call.json()).toEqual({
      message: "Unauthorized: the token is expired, invalid or incorrect",
      detail: "Access token has expired: renew it with the refresh token",
      code: "token_expired",
    });

    await t.prisma.refreshToken.update({
      where: { secretHash: hashApiKeySecret(holder.refreshToken) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const renewal = await renew(t.app, 1, holder.refreshToken);
    expect(renewal.statusCode).toBe(401);
    expect(renewal.json()).toMatchObject({ code: "token_expired", detail: "Refresh token has expired" });
  });

  it("an access token never outlives the refresh token it was renewed with", async () => {
    const holder = await tokenUser(t, acme, []);
    const soon = new Date(Date.now() + 60_000);
    await t.prisma.refreshToken.update({
      where: { secretHash: hashApiKeySecret(holder.refreshToken) },
      data: { expiresAt: soon },
    });
    const body = (await renew(t.app, 2, holder.refreshToken)).json();
    expect(new Date(body.accessTokenExpiresAt).getTime()).toBe(soon.getTime());
  });

  it("each renewal deletes its family's access tokens that expired over a day ago", async () => {
    const holder = await tokenUser(t, acme, []);
    const old = await accessToken(t.app, 2, holder.refreshToken);
    const recent = await accessToken(t.app, 2, holder.refreshToken);
    await t.prisma.accessToken.update({
      where: { secretHash: hashApiKeySecret(old) },
      data: { expiresAt: new Date(Date.now() - 2 * DAY) },
    });
    await t.prisma.accessToken.update({
      where: { secretHash: hashApiKeySecret(recent) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await accessToken(t.app, 2, holder.refreshToken);
    const family = (await refreshTokenRow(t, holder.refreshToken)).familyId;
    const left = await t.prisma.accessToken.findMany({ where: { familyId: family } });
    expect(left.map((a) => a.secretHash)).not.toContain(hashApiKeySecret(old));
    expect(left.map((a) => a.secretHash)).toContain(hashApiKeySecret(recent));
    expect(left).toHaveLength(2);
  });

  it("a deactivated user can neither renew nor use access tokens", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    await t.prisma.user.update({ where: { id: holder.userId }, data: { active: false } });
    const call = await users(2, token);
    expect(call.statusCode).toBe(401);
    expect(call.json()).toMatchObject({ code: "token_invalid", detail: "The token's user is deactivated" });
    const renewal = await renew(t.app, 2, holder.refreshToken);
    expect(renewal.statusCode).toBe(401);
    expect(renewal.json()).toMatchObject({ code: "token_invalid" });
    const gql401 = await gql(t.app, null, "{ viewer { scopes } }", undefined, publicApi(2, token));
    expect(gql401.status).toBe(401);
  });

  it("a user deactivated over SCIM loses its tokens at once; reactivated, they work again", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    const scimKey = await createKey(t.prisma, acme, { scopes: ["scim"] });
    const patch = (active: boolean) =>
      t.app.inject({
        method: "PATCH",
        url: `/api/v1/scim/v2/Users/${holder.userId}`,
        headers: { ...bearer(scimKey), "content-type": "application/scim+json" },
        payload: JSON.stringify({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [{ op: "replace", value: { active } }],
        }),
      });
    expect((await patch(false)).statusCode).toBe(200);
    expect((await users(2, token)).statusCode).toBe(401);
    expect((await renew(t.app, 2, holder.refreshToken)).statusCode).toBe(401);
    expect((await patch(true)).statusCode).toBe(200);
    expect((await users(2, token)).statusCode).toBe(200);
  });

  it("answers 400 for a malformed body, 401 for an unknown token, in the seed's error shape", async () => {
    const cases: Array<[string | undefined, string | undefined, number, string]> = [
      [undefined, undefined, 400, "validation_error"],
      ["application/json", "{", 400, "validation_error"],
      ["application/json", "{}", 400, "validation_error"],
      ["application/json", JSON.stringify({ refreshToken: 42 }), 400, "validation_error"],
      ["application/json", JSON.stringify({ refreshToken: "" }), 400, "validation_error"],
      ["application/json", JSON.stringify({ refreshToken: "gwr_unknown" }), 401, "token_invalid"],
    ];
    for (const [contentType, payload, status, code] of cases) {
      const response = await t.app.inject({
        method: "POST",
        url: "/api/v2/tokens/renewtokens",
        headers: contentType ? { "content-type": contentType } : {},
        ...(payload === undefined ? {} : { payload }),
      });
      expect(response.statusCode, `${payload}`).toBe(status);
      expect(response.json()).toEqual({
        message: status === 400 ? "Bad Request" : "Unauthorized: the token is expired, invalid or incorrect",
        detail: expect.any(String),
        code,
      });
    }
    const body = (await renew(t.app, 1, 42)).json();
    expect(body.detail).toMatch(/refreshToken/);
  });

  it("an access token is no API key and a refresh token is no access token", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    expect(
      (await t.app.inject({ method: "GET", url: "/api/v2/users", headers: bearer(token) })).statusCode,
    ).toBe(401);
    const refreshAsAccess = await users(2, holder.refreshToken);
    expect(refreshAsAccess.statusCode).toBe(401);
    expect(refreshAsAccess.json().code).toBe("token_invalid");
    const missing = await t.app.inject({ method: "GET", url: "/api/v2/users" });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe("token_missing");
  });

  it("refuses X-Forwarded-User with an access token (403)", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    const response = await t.app.inject({
      method: "GET",
      url: "/api/v2/users",
      headers: { ...publicApi(2, token), "x-forwarded-user": "someone@acme.example" },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      message: "Forbidden: not enough permissions",
      code: "forbidden",
    });
  });

  it("a token family spends one rate-limit budget across its access tokens", async () => {
    const holder = await tokenUser(t, acme, ["users:read"]);
    const first = await accessToken(t.app, 2, holder.refreshToken);
    const second = await accessToken(t.app, 2, holder.refreshToken);
    const a = await users(2, first);
    const b = await users(2, second);
    expect(a.headers["ratelimit-limit"]).toBe("1000");
    expect(Number(b.headers["ratelimit-remaining"])).toBe(Number(a.headers["ratelimit-remaining"]) - 1);
  });

  it("paths of the token endpoints are case-insensitive", async () => {
    const holder = await tokenUser(t, acme, []);
    const response = await t.app.inject({
      method: "POST",
      url: "/API/V2/Tokens/RenewTokens",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ refreshToken: holder.refreshToken }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().tokenType).toBe("PublicApiV2");
    const v1 = await t.app.inject({
      method: "POST",
      url: "/Api/V1/TOKENS/renewTokens",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ refreshToken: holder.refreshToken }),
    });
    expect(v1.json().tokenType).toBe("PublicApi");
  });
});

describe("renewal rate limit", () => {
  it("limits renewals per client address (RENEW_RATE_LIMIT_PER_MINUTE), in the surface's shape", async () => {
    const limited = await createTestApp({ RENEW_RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await renew(limited.app, 2, "gwr_guess")).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const refused = await renew(limited.app, 1, "gwr_guess");
      expect(refused.statusCode).toBe(429);
      expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
      expect(refused.headers["ratelimit-limit"]).toBe("3");
      expect(refused.json()).toMatchObject({ message: "Too many requests" });
    } finally {
      await limited.close();
    }
  });
});
