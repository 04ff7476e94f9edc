// Errors in each REST surface's documented shape; X-Request-Id on every response.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { bearer, createOrg, createTestApp, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { openTestDatabase } from "../helpers/database.js";

let t: TestApp;
let acme: TestOrg;

beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: "4096" });
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

describe("unknown routes answer 404 in the surface's shape", () => {
  it.each([
    [
      "/v1/entities/nope/deeper",
      (b: Json) =>
        expect(b).toEqual({
          error: {
            code: "not_found",
            message: "No route for GET /v1/entities/nope/deeper",
            details: [],
            request_id: expect.stringMatching(/^req_/),
          },
        }),
    ],
    [
      "/v1/modules/contacts/nope/deeper/still",
      (b: Json) =>
        expect(b).toEqual({
          error: { code: "not_found", message: expect.stringContaining("No route"), details: {} },
        }),
    ],
    [
      "/v1/projects/x/y/z/w",
      (b: Json) =>
        expect(b).toEqual({
          error: { code: "not_found", message: expect.stringContaining("No route"), details: {} },
        }),
    ],
    [
      "/api/v1/nothing-here",
      (b: Json) =>
        expect(b).toEqual({
          message: "The requested resource doesn't exist",
          detail: "No route for GET /api/v1/nothing-here",
        }),
    ],
    [
      "/api/v2/nothing-here",
      (b: Json) =>
        expect(b).toEqual({
          message: "The requested resource doesn't exist",
          detail: "No route for GET /api/v2/nothing-here",
          code: "not_found",
        }),
    ],
    [
      "/api/v1/scim/v2/Nothing",
      (b: Json) =>
        expect(b).toEqual({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
          status: "404",
          detail: "No route for GET /api/v1/scim/v2/Nothing",
        }),
    ],
    [
      "/no/such/thing",
      (b: Json) => expect(b.error).toMatchObject({ code: "not_found", request_id: expect.any(String) }),
    ],
  ])("GET %s", async (url, check) => {
    const response = await t.app.inject({ method: "GET", url, headers: bearer(acme.key) });
    expect(response.statusCode).toBe(404);
    expect(response.headers["x-request-id"]).toEqual(expect.any(String));
    check(response.json());
  });

  it("SCIM errors are application/scim+json", async () => {
    const response = await t.app.inject({ method: "GET", url: "/api/v1/scim/v2/Nothing" });
    expect(response.headers["content-type"]).toMatch(/^application\/scim\+json/);
  });
});

describe("wrong method", () => {
  it("answers 405 with Allow in the surface's shape", async () => {
    const response = await t.app.inject({ method: "DELETE", url: "/v1/users", headers: bearer(acme.key) });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("GET");
    expect(response.json()).toEqual({
      error: {
        code: "method_not_allowed",
        message: "Method DELETE is not allowed here; allowed: GET",
        details: { allowed: ["GET"] },
      },
    });
  });

  it("knows parameterised routes", async () => {
    const response = await t.app.inject({
      method: "GET",
      url: `/v1/users/${acme.ownerId}`,
      headers: bearer(acme.key),
    });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("PATCH");
  });
});

describe("bad bodies", () => {
  const patch = (payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: "PATCH",
      url: `/v1/users/${acme.ownerId}`,
      headers: { ...bearer(acme.key), "content-type": "application/json", ...headers },
      payload,
    });

  it("malformed JSON → 400 validation_error, nothing changed", async () => {
    const response = await patch('{"role": "member"');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("validation_error");
    expect(response.json().error.message).toBe("The body is not valid JSON");
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: acme.ownerId } })).role).toBe("owner");
  });

  it("empty JSON body → 400", async () => {
    const response = await patch("");
    expect(response.statusCode).toBe(400);
  });

  it("oversized body → 413 payload_too_large, nothing changed", async () => {
    const response = await patch(JSON.stringify({ role: "member", padding: "x".repeat(8192) }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: "payload_too_large", details: { limitBytes: 4096 } });
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: acme.ownerId } })).role).toBe("owner");
  });

  it("unsupported media type → 415", async () => {
    const response = await patch("role=member", { "content-type": "application/x-www-form-urlencoded" });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe("unsupported_media_type");
    expect(response.json().error.message).toBe(
      "Content-Type application/x-www-form-urlencoded is not supported; send application/json",
    );
  });

  it("a body without any Content-Type → 415 saying so", async () => {
    const response = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${acme.ownerId}`,
      headers: { ...bearer(acme.key), "content-type": "" },
      payload: "role=member",
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.message).toBe("A request body needs a Content-Type; send application/json");
  });

  it("a schema violation names the field (422 on the projects/users surface)", async () => {
    const response = await patch(JSON.stringify({ role: "emperor" }));
    expect(response.statusCode).toBe(422);
    const error = response.json().error;
    expect(error.code).toBe("validation_error");
    expect(error.details.fields).toEqual([{ field: "body.role", message: expect.any(String) }]);
  });

  it("a malformed URL → 400 in the surface's shape, with a request id", async () => {
    const response = await t.app.inject({
      method: "GET",
      url: "/api/v1/catalog/by-path/%E0%A4%A",
      headers: bearer(acme.key),
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers["x-request-id"]).toMatch(/^req_/);
    expect(response.json()).toEqual({
      message: "The request was unacceptable, since it didn't pass validation",
      detail: expect.stringContaining("(url)"),
    });
  });

  it("malformed JSON on /graphql → 400 in GraphQL's shape", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { ...bearer(acme.key), "content-type": "application/json" },
      payload: "{nope",
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: "The body is not valid JSON", extensions: { code: "VALIDATION_ERROR" } }],
    });
  });
});

describe("X-Request-Id", () => {
  it("is on successes, client errors and auth failures", async () => {
    const responses = await Promise.all([
      t.app.inject({ method: "GET", url: "/healthz" }),
      t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(acme.key) }),
      t.app.inject({ method: "GET", url: "/v1/users" }),
      t.app.inject({ method: "DELETE", url: "/v1/users" }),
      t.app.inject({ method: "POST", url: "/graphql", payload: { query: "{ viewer { scopes } }" } }),
    ]);
    const ids = responses.map((r) => r.headers["x-request-id"]);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a caller's safe request id and replaces an unsafe one", async () => {
    const kept = await t.app.inject({
      method: "GET",
      url: "/healthz",
      headers: { "x-request-id": "trace-abc.123" },
    });
    expect(kept.headers["x-request-id"]).toBe("trace-abc.123");
    const replaced = await t.app.inject({
      method: "GET",
      url: "/healthz",
      headers: { "x-request-id": "bad id <script>" },
    });
    expect(replaced.headers["x-request-id"]).toMatch(/^req_/);
  });
});

describe("unexpected errors", () => {
  it("answer 500 without internals and are logged with the request id", async () => {
    const lines: string[] = [];
    const db = await openTestDatabase();
    const org = await createOrg(db.prisma, "Doomed");
    const config = loadConfig({ DEMO_DATA: "false" });
    const app = await buildApp({
      config,
      db,
      logger: { level: "error", stream: { write: (line: string) => lines.push(line) } },
    });
    await app.ready();
    // Break the database under the running app: the next query fails inside Prisma.
    await db.prisma.$executeRawUnsafe(`ALTER TABLE users RENAME TO users_gone`);
    try {
      const response = await app.inject({ method: "GET", url: "/v1/users", headers: bearer(org.key) });
      expect(response.statusCode).toBe(500);
      const body = response.json();
      expect(body).toEqual({
        error: {
          code: "internal_error",
          message: "An unexpected error occurred; quote the request id when reporting it",
          details: {},
        },
      });
      expect(response.body).not.toMatch(/users_gone|prisma|SELECT|at \w+ \(/i);
      const requestId = response.headers["x-request-id"] as string;
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "unhandled error");
      expect(logged).toMatchObject({ reqId: requestId, requestId, level: 50 });
      expect(JSON.stringify(logged.err)).toMatch(/users/);

      const graphql = await app.inject({
        method: "POST",
        url: "/graphql",
        headers: { ...bearer(org.key), "content-type": "application/json" },
        payload: { query: "{ viewer { user { displayName } } }" },
      });
      expect(graphql.json().errors[0]).toEqual(
        expect.objectContaining({
          message: "Unexpected error.",
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        }),
      );
      expect(graphql.body).not.toMatch(/users|prisma/i);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
