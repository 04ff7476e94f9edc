// The /api/v2 surface (seed 004): cursor paging on GET /api/v2/users while users are added,
// case-insensitive paths, its error shape, and the Swagger UI at /api-swagger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
const base = Date.parse("2030-01-01T00:00:00.000Z");
let tie: Array<{ id: string; displayName: string }> = [];

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
  // The owner was created now; these come after it, one second apart, two of them in the same
  // millisecond (the id breaks the tie).
  for (const [i, offset] of [0, 1000, 2000, 3000, 3000, 4000].entries()) {
    tie.push(await addUser(acme, `u${i}`, new Date(base + offset)));
  }
  // u3 and u4 share a millisecond: their ids order them.
  tie = tie.slice(3, 5).sort((a, b) => (a.id < b.id ? -1 : 1));
  await addUser(globex, "foreign", new Date(base + 500));
});
afterAll(() => t.close());

async function addUser(org: TestOrg, name: string, createdAt: Date) {
  return t.prisma.user.create({
    data: {
      organizationId: org.id,
      email: `${name}@${org.name.toLowerCase()}.example`,
      displayName: name,
      createdAt,
    },
  });
}

async function get(url: string, key = acme.key) {
  return t.app.inject({ method: "GET", url, headers: bearer(key) });
}

async function page(query: string): Promise<Json> {
  const response = await get(`/api/v2/users${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const names = (p: Json) => p.data.map((u: { displayName: string }) => u.displayName);

describe("GET /api/v2/users: cursor paging", () => {
  it("pages forward and backward, stable while users are added", async () => {
    const first = await page("?limit=3");
    expect(names(first)).toEqual(["Acme Owner", "u0", "u1"]);
    expect(first.data[0]).toEqual({
      id: acme.ownerId,
      email: "owner@acme.example",
      displayName: "Acme Owner",
      role: "owner",
      externalId: null,
      active: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(first.metadata).toEqual({
      hasNext: true,
      hasPrevious: false,
      next: expect.stringMatching(/^after=[A-Za-z0-9_-]+$/),
      previous: null,
    });

    // Users arrive between requests: one at the end, one before everything seen so far.
    await addUser(acme, "late", new Date(base + 9000));
    await addUser(acme, "early", new Date("2000-01-01T00:00:00.000Z"));

    const second = await page(`?limit=3&${first.metadata.next}`);
    const middle = ["u2", ...tie.map((u) => u.displayName)];
    expect(names(second)).toEqual(middle);
    expect(second.metadata).toMatchObject({ hasNext: true, hasPrevious: true });
    const third = await page(`?limit=3&${second.metadata.next}`);
    expect(names(third)).toEqual(["u5", "late"]);
    expect(third.metadata).toMatchObject({ hasNext: false, hasPrevious: true, next: null });

    const back = await page(`?limit=3&${third.metadata.previous}`);
    expect(names(back)).toEqual(middle);
    const start = await page(`?limit=3&${back.metadata.previous}`);
    // The page before u2 is the first one seen, and "early" is now before it.
    expect(names(start)).toEqual(["Acme Owner", "u0", "u1"]);
    expect(start.metadata.hasPrevious).toBe(true);
    const before = await page(`?limit=3&${start.metadata.previous}`);
    expect(names(before)).toEqual(["early"]);
    expect(before.metadata).toMatchObject({ hasPrevious: false, previous: null, hasNext: true });
  });

  it("a page emptied by deletions still links back", async () => {
    const count = (await page("?limit=100")).data.length;
    const tmp = await addUser(acme, "tmp", new Date(base + 99_000));
    // A page ending with the last real user, which links to "tmp" after it.
    const head = await page(`?limit=${count}`);
    expect(names(head).at(-1)).toBe("late");
    await t.prisma.user.delete({ where: { id: tmp.id } });
    const empty = await page(`?limit=2&${head.metadata.next}`);
    expect(empty).toEqual({
      data: [],
      metadata: {
        hasNext: false,
        hasPrevious: true,
        next: null,
        previous: expect.stringMatching(/^before=/),
      },
    });
    const back = await page(`?limit=2&${empty.metadata.previous}`);
    expect(names(back)).toEqual(names(head).slice(-2));
    expect(back.metadata).toMatchObject({ hasNext: false, hasPrevious: true });
  });

  it("shows only the organisation's users", async () => {
    expect(names(await page("?limit=100"))).not.toContain("foreign");
    expect(names((await get("/api/v2/users", globex.key)).json())).toEqual(["Globex Owner", "foreign"]);
  });

  it.each([
    ["?after=not-a-cursor", "after: is not a cursor this endpoint returned"],
    [
      `?before=${Buffer.from('{"k":["x","y"]}').toString("base64url")}`,
      "before: is not a cursor this endpoint returned",
    ],
    [
      `?after=${Buffer.from('{"k":"users"}').toString("base64url")}`,
      "after: is not a cursor this endpoint returned",
    ],
    ["?limit=0", expect.stringContaining("limit")],
    ["?limit=101", expect.stringContaining("limit")],
    ["?after=a&before=b", expect.stringContaining("give after or before, not both")],
  ])("answers 400 for %s", async (query, detail) => {
    const response = await get(`/api/v2/users${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: "Bad Request", detail, code: "validation_error" });
  });

  it("leaves out users deleted over SCIM, as SCIM does; a new user with their address is listed", async () => {
    const org = await createOrg(t.prisma, "Initech");
    const scimKey = await createKey(t.prisma, org, { scopes: ["scim"] });
    const scim = (method: "POST" | "DELETE", url: string, body?: unknown) =>
      t.app.inject({
        method,
        url: `/api/v1/scim/v2${url}`,
        headers: { ...bearer(scimKey), ...(body ? { "content-type": "application/scim+json" } : {}) },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
    const body = { userName: "leaver@initech.example", displayName: "Leaver" };
    const leaver = (await scim("POST", "/Users", body)).json();
    expect(names((await get("/api/v2/users?limit=100", org.key)).json())).toEqual([
      "Initech Owner",
      "Leaver",
    ]);
    expect((await scim("DELETE", `/Users/${leaver.id}`)).statusCode).toBe(200);
    const listed = (await get("/api/v2/users?limit=100", org.key)).json();
    expect(listed.data.map((u: Json) => u.id)).toEqual([org.ownerId]);
    expect(JSON.stringify(listed)).not.toContain("deleted.scim.invalid");
    // Paging around the hidden row: one user per page, no empty page in between.
    const again = (await scim("POST", "/Users", { ...body, displayName: "Returner" })).json();
    const first = (await get("/api/v2/users?limit=1", org.key)).json();
    expect(names(first)).toEqual(["Initech Owner"]);
    const second = (await get(`/api/v2/users?limit=1&${first.metadata.next}`, org.key)).json();
    expect(second.data.map((u: Json) => u.id)).toEqual([again.id]);
    expect(second.metadata).toMatchObject({ hasNext: false, hasPrevious: true });
  });

  it("needs users:read", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["usage:read"] });
    const response = await get("/api/v2/users", key);
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe("forbidden");
  });
});

describe("case-insensitive paths", () => {
  it("GET /API/V2/DatabaseUsages works", async () => {
    const response = await get("/API/V2/DatabaseUsages");
    expect(response.statusCode).toBe(200);
    expect(response.json().data.length).toBeGreaterThan(0);
  });

  it("keeps query strings as sent: cursors are case-sensitive", async () => {
    const first = await page("?limit=2");
    const cursor = first.metadata.next.slice("after=".length);
    const mixed = await get(`/Api/V2/USERS?limit=2&after=${cursor}`);
    expect(mixed.statusCode).toBe(200);
    expect(mixed.json()).toEqual(await page(`?limit=2&after=${cursor}`));
    const lowered = await get(`/api/v2/users?limit=2&after=${cursor.toLowerCase()}`);
    expect(lowered.statusCode).toBe(400);
  });

  it("unknown /api/v2 paths are 404 in the v2 shape; other surfaces stay case-sensitive", async () => {
    const missing = await get("/api/v2/nothing");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      code: "not_found",
      detail: expect.stringContaining("/api/v2/nothing"),
    });
    expect((await get("/V1/Users")).statusCode).toBe(404);
  });
});

describe("Swagger UI at /api-swagger", () => {
  it("serves the UI and a document of the public API only", async () => {
    for (const url of ["/api-swagger", "/api-swagger/", "/API-Swagger"]) {
      const ui = await t.app.inject({ method: "GET", url });
      expect(ui.statusCode, url).toBe(200);
      expect(ui.headers["content-type"]).toMatch(/text\/html/);
      expect(ui.body).toContain("swagger-ui");
    }
    const document = (await t.app.inject({ method: "GET", url: "/api-swagger/json" })).json();
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v2/databaseusages",
        "/api/v2/users",
        "/api/v1/tokens/renewtokens",
        "/api/v2/tokens/renewtokens",
      ]),
    );
    expect(paths.every((p) => p.startsWith("/api/"))).toBe(true);
    expect(document.components.securitySchemes).toHaveProperty("publicApiV2");
    expect(document.paths["/api/v2/tokens/renewtokens"].post.security).toEqual([]);
    // /api/v1 routes take their version's token too.
    expect(document.paths["/api/v1/exec/sql"].post.security).toEqual([{ bearerAuth: [] }, { publicApi: [] }]);
    expect(document.paths["/api/v2/users"].get.security).toEqual([{ publicApiV2: [] }, { bearerAuth: [] }]);
    // /docs keeps documenting every surface.
    const full = (await t.app.inject({ method: "GET", url: "/docs/json" })).json();
    expect(Object.keys(full.paths)).toContain("/v1/users");
  });
});
