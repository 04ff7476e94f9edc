// GraphQL over HTTP as clients such as Apollo Client and urql read it (issue 15, item 4): a
// response with `data` is a 200 whatever field errors it carries, each error names where it
// happened (`path`, `locations`) and what it is (`extensions.code`); requests that fail before
// execution keep their 4xx. Both executors: graphql-jit (GRAPHQL_JIT=true) and graphql-js.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

const JSON_ACCEPT = { accept: "application/json" };
const GRAPHQL_RESPONSE = { accept: "application/graphql-response+json" };

/** A GraphQL POST whose body is read loosely, as a client library would. */
async function call(
  ...args: Parameters<typeof gql>
): Promise<{ status: number; body: Json; response: Json }> {
  const { status, body, response } = await gql(...args);
  return { status, body: body as Json, response };
}

/** The 1-based line and column of the first `needle` in `document`, as GraphQL reports them. */
function locationOf(document: string, needle: string): { line: number; column: number } {
  const offset = document.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} is not in the document`);
  const before = document.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe.each(["true", "false"])("GRAPHQL_JIT=%s", (jit) => {
  let t: TestApp;
  let org: TestOrg;
  let usersOnly: string;

  beforeAll(async () => {
    t = await createTestApp({ GRAPHQL_JIT: jit, GRAPHQL_MAX_DOCUMENT_BYTES: "2048" });
    org = await createOrg(t.prisma, "Http Org");
    usersOnly = await createKey(t.prisma, org, { scopes: ["users:read"] });
  });
  afterAll(() => t.close());

  describe("responses with data are 200", () => {
    // catalogItem is nullable: the FORBIDDEN error nulls it alone, viewer is answered.
    const PARTIAL = `query Partial {
  viewer { scopes }
  catalogItem(path: "@Shared/Reports") { path }
}`;

    it.each([
      ["application/json", JSON_ACCEPT],
      ["application/graphql-response+json", GRAPHQL_RESPONSE],
    ])("partial data and a resolver error (%s): 200, the data, the error's path, locations and code", async (_name, accept) => {
      const { status, body, response } = await call(t.app, usersOnly, PARTIAL, undefined, accept);
      expect(status).toBe(200);
      expect(response.headers["content-type"]).toContain(accept.accept);
      expect(body.data).toEqual({ viewer: { scopes: ["users:read"] }, catalogItem: null });
      expect(body.errors).toEqual([
        {
          message: expect.any(String),
          path: ["catalogItem"],
          locations: [locationOf(PARTIAL, "catalogItem")],
          extensions: { code: "FORBIDDEN", details: { requiredScope: "catalog:read" } },
        },
      ]);
    });

    it('node(id: "garbage"): 200, node null, VALIDATION_ERROR at ["node"]', async () => {
      const query = `{
  viewer { scopes }
  node(id: "garbage") { id }
}`;
      const { status, body } = await call(t.app, usersOnly, query);
      expect(status).toBe(200);
      expect(body.data).toEqual({ viewer: { scopes: ["users:read"] }, node: null });
      expect(body.errors).toEqual([
        {
          message: "Invalid global ID: garbage",
          path: ["node"],
          locations: [locationOf(query, "node(")],
          extensions: { code: "VALIDATION_ERROR" },
        },
      ]);
    });

    it("an error nulling the whole response (data: null) is still 200, for both media types", async () => {
      const query = "query Big {\n  users(first: 1000) { totalCount }\n}";
      for (const accept of [JSON_ACCEPT, GRAPHQL_RESPONSE]) {
        const { status, body } = await call(t.app, usersOnly, query, undefined, accept);
        expect(status).toBe(200);
        expect(body.data).toBeNull();
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0]).toMatchObject({
          path: ["users"],
          locations: [locationOf(query, "users")],
          extensions: { code: "VALIDATION_ERROR", issues: [{ field: "first" }] },
        });
      }
    });

    it("an error below a nullable field: its whole path, the nearest nullable parent null", async () => {
      const query = `query Owner($id: ID!) {
  node(id: $id) {
    ... on User { email projects { name } }
  }
}`;
      const { status, body } = await call(t.app, usersOnly, query, {
        id: globalId("User", org.ownerId),
      });
      expect(status).toBe(200);
      expect(body.data).toEqual({ node: null });
      expect(body.errors).toEqual([
        {
          message: expect.stringContaining("projects:read"),
          path: ["node", "projects"],
          locations: [locationOf(query, "projects")],
          extensions: { code: "FORBIDDEN", details: { requiredScope: "projects:read" } },
        },
      ]);
    });
  });

  describe("requests that fail before execution keep their 4xx", () => {
    it("no key: 401 UNAUTHENTICATED, no data", async () => {
      const { status, body } = await call(t.app, null, "{ viewer { scopes } }", undefined, GRAPHQL_RESPONSE);
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    });

    it("a parse error: 400 for application/graphql-response+json", async () => {
      const { status, body } = await call(t.app, org.key, "{ viewer { ", undefined, GRAPHQL_RESPONSE);
      expect(status).toBe(400);
      expect(body.data).toBeUndefined();
      expect(body.errors[0].locations).toEqual([{ line: 1, column: 12 }]);
    });

    it("a validation error: 400 for application/graphql-response+json, 200 for application/json", async () => {
      const query = "{ viewer { scopez } }";
      const strict = await call(t.app, org.key, query, undefined, GRAPHQL_RESPONSE);
      expect(strict.status).toBe(400);
      expect(strict.body.data).toBeUndefined();
      expect(strict.body.errors[0]).toMatchObject({
        locations: [locationOf(query, "scopez")],
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      });
      const legacy = await call(t.app, org.key, query, undefined, JSON_ACCEPT);
      expect(legacy.status).toBe(200);
      expect(legacy.body.data).toBeUndefined();
    });

    it("a variable that is missing or does not coerce: 400, located at its definition", async () => {
      const query = "query Node($id: ID!) { node(id: $id) { id } }";
      const missing = await call(t.app, org.key, query, {}, GRAPHQL_RESPONSE);
      expect(missing.status).toBe(400);
      expect(missing.body.data).toBeUndefined();
      expect(missing.body.errors).toEqual([
        { message: expect.stringContaining('"$id"'), locations: [locationOf(query, "$id")] },
      ]);
      const wrong = await call(t.app, org.key, query, { id: { not: "an id" } }, JSON_ACCEPT);
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors).toEqual([
        {
          message: expect.stringMatching(/^Variable "\$id" got invalid value/),
          locations: [locationOf(query, "$id")],
        },
      ]);
    });

    it("a document over GRAPHQL_MAX_DOCUMENT_BYTES: 413 DOCUMENT_TOO_LARGE", async () => {
      const { status, body } = await call(t.app, org.key, `{ viewer { scopes } } #${"x".repeat(3000)}`);
      expect(status).toBe(413);
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe("DOCUMENT_TOO_LARGE");
    });
  });
});
