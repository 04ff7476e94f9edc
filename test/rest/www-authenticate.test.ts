// RFC 9110 §11.6.1: every 401 carries WWW-Authenticate with a challenge for each scheme the
// route accepts: `Bearer` (API keys) everywhere, `PublicApi` on /api/v1 and `PublicApiV2` on
// /api/v2 (access tokens), all three on /graphql; the token renewal, whose credential is the
// refresh token in its body, names that (`RefreshToken`). Other statuses carry none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let org: TestOrg;
let expired: string;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Challenged");
  expired = await createKey(t.prisma, org, { scopes: ["*"], expiresAt: new Date(Date.now() - 60_000) });
});
afterAll(() => t.close());

const KEY_ONLY = "Bearer";
const V1 = "Bearer, PublicApi";
const V2 = "Bearer, PublicApiV2";
const GRAPHQL = "Bearer, PublicApi, PublicApiV2";

const ROUTES: Array<{ surface: string; method: "GET" | "POST"; url: string; challenge: string }> = [
  { surface: "entities (seed 000)", method: "GET", url: "/v1/entities", challenge: KEY_ONLY },
  { surface: "records (seed 001)", method: "GET", url: "/v1/modules", challenge: KEY_ONLY },
  { surface: "users (seed 002)", method: "GET", url: "/v1/users", challenge: KEY_ONLY },
  { surface: "projects (seed 002)", method: "GET", url: "/v1/projects", challenge: KEY_ONLY },
  { surface: "catalog (seed 003)", method: "GET", url: "/api/v1/catalog/list/@Personal", challenge: V1 },
  {
    surface: "semantic layer (seed 003)",
    method: "GET",
    url: "/api/v1/semantic-layer/metadata/Demo%20Warehouse",
    challenge: V1,
  },
  { surface: "SCIM Users (seed 003)", method: "GET", url: "/api/v1/scim/v2/Users", challenge: V1 },
  { surface: "SCIM Groups (seed 003)", method: "GET", url: "/api/v1/scim/v2/Groups", challenge: V1 },
  { surface: "v2 users (seed 004)", method: "GET", url: "/api/v2/users", challenge: V2 },
  { surface: "v2 users, other case", method: "GET", url: "/API/V2/Users", challenge: V2 },
  { surface: "v2 database usages (seed 004)", method: "GET", url: "/api/v2/databaseusages", challenge: V2 },
];

function send(route: (typeof ROUTES)[number], headers: Record<string, string>) {
  return t.app.inject({ method: route.method, url: route.url, headers });
}

describe("401 responses carry WWW-Authenticate with the route's schemes", () => {
  it.each(ROUTES)("$surface: $url without credentials", async (route) => {
    const response = await send(route, {});
    expect(response.statusCode, response.body).toBe(401);
    expect(response.headers["www-authenticate"]).toBe(route.challenge);
  });

  it.each(ROUTES)("$surface: $url with an unknown key, an expired key, a foreign scheme", async (route) => {
    for (const authorization of [
      "Bearer gwk_not-a-key",
      `Bearer ${expired}`,
      "Basic dXNlcjpwYXNz",
      "PublicApiV3 token",
      route.challenge.includes("PublicApiV2") ? "PublicApi some-token" : "PublicApiV2 some-token",
    ]) {
      const response = await send(route, { authorization });
      expect(response.statusCode, `${authorization}: ${response.body}`).toBe(401);
      expect(response.headers["www-authenticate"], authorization).toBe(route.challenge);
    }
  });

  it("an access token that is not one on its own scheme's surface: the surface's schemes", async () => {
    const v1 = await t.app.inject({
      method: "GET",
      url: "/api/v1/scim/v2/Users",
      headers: { authorization: "PublicApi not-a-token" },
    });
    expect(v1.statusCode).toBe(401);
    expect(v1.headers["www-authenticate"]).toBe(V1);
    const v2 = await t.app.inject({
      method: "GET",
      url: "/api/v2/users",
      headers: { authorization: "PublicApiV2 not-a-token" },
    });
    expect(v2.statusCode).toBe(401);
    expect(v2.headers["www-authenticate"]).toBe(V2);
  });

  it("GraphQL: API keys and access tokens of both versions", async () => {
    for (const headers of [{}, { authorization: "Bearer gwk_nope" }, { authorization: "PublicApiV2 nope" }]) {
      const response = await t.app.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", ...headers },
        payload: JSON.stringify({ query: "{ viewer { scopes } }" }),
      });
      expect(response.statusCode, response.body).toBe(401);
      expect(response.json().errors[0].extensions.code).toBe("UNAUTHENTICATED");
      expect(response.headers["www-authenticate"]).toBe(GRAPHQL);
    }
  });

  it("the token renewal names its body credential: RefreshToken", async () => {
    for (const version of [1, 2]) {
      const response = await t.app.inject({
        method: "POST",
        url: `/api/v${version}/tokens/renewtokens`,
        payload: { refreshToken: "not-a-refresh-token-0123456789" },
      });
      expect(response.statusCode, response.body).toBe(401);
      expect(response.headers["www-authenticate"]).toBe("RefreshToken");
    }
  });

  it("no challenge on 200, 403 or 404", async () => {
    const ok = await t.app.inject({ method: "GET", url: "/v1/entities", headers: bearer(org.key) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["www-authenticate"]).toBeUndefined();
    const reader = await createKey(t.prisma, org, { scopes: ["entities:read"] });
    const forbidden = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(reader) });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers["www-authenticate"]).toBeUndefined();
    const missing = await t.app.inject({ method: "GET", url: "/v1/nothing-here" });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["www-authenticate"]).toBeUndefined();
    const healthy = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(healthy.headers["www-authenticate"]).toBeUndefined();
  });
});
