// SCIM discovery endpoints (RFC 7644 §4), authentication and scopes, media types and the error
// shape of requests that never reach a service.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import {
  ABSOLUTE_BASE,
  BASE,
  ENTERPRISE,
  expectScimError,
  GROUP,
  LIST,
  type ScimClient,
  scimClient,
  USER,
  user,
} from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let scim: ScimClient;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  scim = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
});
afterAll(() => t.close());

describe("ServiceProviderConfig", () => {
  it("describes what is supported", async () => {
    const response = await scim.get("/ServiceProviderConfig");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(response.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: "oauthbearertoken", primary: true }],
      meta: { resourceType: "ServiceProviderConfig", location: `${ABSOLUTE_BASE}/ServiceProviderConfig` },
    });
  });
});

describe("ResourceTypes", () => {
  it("lists User (with the enterprise extension) and Group", async () => {
    const response = await scim.get("/ResourceTypes");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ schemas: [LIST], totalResults: 2, startIndex: 1, itemsPerPage: 2 });
    expect(response.body.Resources).toEqual([
      {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        id: "User",
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        schema: USER,
        schemaExtensions: [{ schema: ENTERPRISE, required: false }],
        meta: { resourceType: "ResourceType", location: `${ABSOLUTE_BASE}/ResourceTypes/User` },
      },
      {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        id: "Group",
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        schema: GROUP,
        meta: { resourceType: "ResourceType", location: `${ABSOLUTE_BASE}/ResourceTypes/Group` },
      },
    ]);
  });

  it("reads one by id, and 404s an unknown one", async () => {
    const group = await scim.get("/ResourceTypes/Group");
    expect(group.status).toBe(200);
    expect(group.body.endpoint).toBe("/Groups");
    expectScimError(await scim.get("/ResourceTypes/Printer"), 404);
  });
});

describe("Schemas", () => {
  it("lists the User, EnterpriseUser and Group schemas with their attributes", async () => {
    const response = await scim.get("/Schemas");
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(3);
    expect(response.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER, ENTERPRISE, GROUP]);
    const userSchema = response.body.Resources[0];
    const userName = userSchema.attributes.find((a: { name: string }) => a.name === "userName");
    expect(userName).toMatchObject({
      type: "string",
      required: true,
      caseExact: false,
      uniqueness: "server",
    });
    const groups = userSchema.attributes.find((a: { name: string }) => a.name === "groups");
    expect(groups).toMatchObject({ multiValued: true, mutability: "readOnly" });
    const password = userSchema.attributes.find((a: { name: string }) => a.name === "password");
    expect(password).toMatchObject({ mutability: "writeOnly", returned: "never" });
    expect(userSchema.meta).toEqual({ resourceType: "Schema", location: `${ABSOLUTE_BASE}/Schemas/${USER}` });
  });

  it("reads one by URN (case-insensitively), and 404s an unknown one", async () => {
    const group = await scim.get(`/Schemas/${GROUP.toUpperCase()}`);
    expect(group.status).toBe(200);
    expect(group.body.id).toBe(GROUP);
    expect(group.body.attributes.map((a: { name: string }) => a.name)).toEqual([
      "displayName",
      "members",
      "description",
      "external",
    ]);
    expectScimError(await scim.get("/Schemas/urn:example:nothing"), 404);
  });
});

describe("authentication and the scim scope", () => {
  const endpoints: Array<[string, string, unknown?]> = [
    ["GET", "/ServiceProviderConfig"],
    ["GET", "/ResourceTypes"],
    ["GET", "/ResourceTypes/User"],
    ["GET", "/Schemas"],
    ["GET", `/Schemas/${USER}`],
    ["GET", "/Users"],
    ["POST", "/Users", user("nobody@example.com")],
    ["POST", "/Users/.search", { filter: 'userName eq "x"' }],
    ["GET", "/Users/00000000-0000-4000-8000-000000000000"],
    ["PUT", "/Users/00000000-0000-4000-8000-000000000000", user("nobody@example.com")],
    ["PATCH", "/Users/00000000-0000-4000-8000-000000000000", { Operations: [] }],
    ["DELETE", "/Users/00000000-0000-4000-8000-000000000000"],
    ["GET", "/Groups"],
    ["POST", "/Groups", { displayName: "x" }],
    ["POST", "/Groups/.search", {}],
    ["GET", "/Groups/00000000-0000-4000-8000-000000000000"],
    ["PUT", "/Groups/00000000-0000-4000-8000-000000000000", { displayName: "x" }],
    ["PATCH", "/Groups/00000000-0000-4000-8000-000000000000", { Operations: [] }],
    ["DELETE", "/Groups/00000000-0000-4000-8000-000000000000"],
  ];

  it.each(endpoints)("%s %s: 401 without a key, 401 with a wrong one", async (method, path, body) => {
    const anonymous = scimClient(t.app, null);
    const missing = await anonymous.call(method as "GET", path, body);
    expectScimError(missing, 401);
    const wrong = await scimClient(t.app, "gwk_not-a-real-key").call(method as "GET", path, body);
    expectScimError(wrong, 401);
  });

  it.each(endpoints)("%s %s: 403 for a key without the scim scope", async (method, path, body) => {
    const reader = scimClient(
      t.app,
      await createKey(t.prisma, acme, { scopes: ["users:read", "org:admin"] }),
    );
    const response = await reader.call(method as "GET", path, body);
    expectScimError(response, 403);
    expect(response.body.detail).toContain("scim");
  });

  it("accepts owner keys (scope *)", async () => {
    expect((await scimClient(t.app, acme.key).get("/Users")).status).toBe(200);
  });
});

describe("media types and malformed requests", () => {
  it("accepts application/json as well as application/scim+json bodies", async () => {
    const json = await scim.post("/Users", user("json@example.com"), { "content-type": "application/json" });
    expect(json.status).toBe(201);
    const scimJson = await scim.post("/Users", user("scim-json@example.com"), {
      "content-type": "application/scim+json; charset=utf-8",
    });
    expect(scimJson.status).toBe(201);
    expect(scimJson.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
  });

  it("refuses other media types with 415", async () => {
    expectScimError(await scim.post("/Users", "userName=x", { "content-type": "text/csv" }), 415);
  });

  it("answers a body that is not JSON with 400 invalidSyntax", async () => {
    expectScimError(await scim.post("/Users", "{not json"), 400, "invalidSyntax");
    expectScimError(await scim.post("/Groups", ""), 400, "invalidSyntax");
    expectScimError(
      await scim.call("PATCH", "/Users/00000000-0000-4000-8000-000000000000", '{"Operations": ['),
      400,
      "invalidSyntax",
    );
  });

  it("answers unknown paths with a SCIM 404, other methods with a SCIM 405", async () => {
    expectScimError(await scim.post("/Bulk", { Operations: [] }), 404);
    const notAllowed = await scim.call("DELETE", "/Users");
    expectScimError(notAllowed, 405);
    expect(notAllowed.headers.allow).toContain("GET");
  });

  it("serves the routes in the OpenAPI document", async () => {
    const response = await t.app.inject({ method: "GET", url: "/openapi.json" });
    const paths = Object.keys(response.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        `${BASE}/Users`,
        `${BASE}/Users/{id}`,
        `${BASE}/Groups/{id}`,
        `${BASE}/Schemas`,
      ]),
    );
  });
});
