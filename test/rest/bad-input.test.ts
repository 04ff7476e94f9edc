// Input no route can take answers 400 in each surface's documented shape, naming the field,
// never 500 (issue 11, part 4): U+0000 and lone surrogates in JSON bodies, query strings, path
// segments and GraphQL variables or literals; percent-escapes that are not UTF-8; nesting deeper
// than MAX_INPUT_DEPTH (64). Rejected requests change nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_INPUT_DEPTH } from "../../src/input-safety.js";
import { DEMO_CONNECTION_NAME, seedSemanticDemo } from "../../src/semantic/semantic.seed.js";
import { bearer, createTestApp, gql, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg } from "../records/fixtures.js";

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: "4".repeat(64) });
  org = await createRecordsOrg(t.prisma);
  await seedSemanticDemo(t.prisma, org.id, org.ownerId);
});
afterAll(() => t.close());

const NUL = "must not contain the NUL character (U+0000)";
const SURROGATE = "must be valid Unicode: lone surrogate U+D800 at position 1";
const TOO_DEEP = `is nested more than ${MAX_INPUT_DEPTH} levels deep`;
const NOT_UTF8 = "is not valid percent-encoded UTF-8";
const SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const BRIEF_400 = "The request was unacceptable, since it didn't pass validation";

/** A request with a JSON body given as a value, or as text (too deep for JSON.stringify here). */
async function send(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const payload = body === undefined ? undefined : body instanceof Text ? body.text : JSON.stringify(body);
  const response = await t.app.inject({
    method,
    url,
    headers: {
      ...bearer(org.key),
      ...(payload === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: response.statusCode, body: response.json() as Json, headers: response.headers };
}

class Text {
  constructor(readonly text: string) {}
}

/** `{"a":{"a":…leaf…}}` with `levels` objects, as text. */
function nestedText(levels: number, leaf = "1"): string {
  return `${'{"a":'.repeat(levels)}${leaf}${"}".repeat(levels)}`;
}

/** The error body each REST surface documents (docs/rest-errors.md) for a 400 naming `field`. */
const shapes = {
  entities: (field: string, message: string) => ({
    error: {
      code: "validation_error",
      message: `${field}: ${message}`,
      details: [{ field, message }],
      request_id: expect.stringMatching(/^req_/),
    },
  }),
  modules: (field: string, message: string) => ({
    error: {
      code: "validation_error",
      message: `${field}: ${message}`,
      details: { fields: [{ field, message }] },
    },
  }),
  projects: (field: string, message: string) => ({
    error: {
      code: "validation_error",
      message: `${field}: ${message}`,
      details: { fields: [{ field, message }] },
    },
  }),
  coginiti: (field: string, message: string) => ({ message: BRIEF_400, detail: `${field}: ${message}` }),
  publicApi: (field: string, message: string) => ({
    message: "Bad Request",
    detail: `${field}: ${message}`,
    code: "validation_error",
  }),
  scim: (field: string, message: string) => ({
    schemas: [SCIM_ERROR],
    status: "400",
    scimType: "invalidValue",
    detail: `${field}: ${message}`,
  }),
};
type Shape = keyof typeof shapes;

const WRITES: Array<[Shape, "POST" | "PATCH" | "PUT", string, (bad: string) => unknown, string]> = [
  ["entities", "POST", "/v1/entities", (bad) => ({ type: "thing", name: bad }), "body.name"],
  [
    "entities",
    "POST",
    "/v1/entities",
    (bad) => ({ type: "thing", name: "ok", attributes: { country: bad } }),
    "body.attributes.country",
  ],
  [
    "modules",
    "POST",
    "/v1/modules/contacts/records",
    (bad) => ({ fields: { name: bad } }),
    "body.fields.name",
  ],
  ["projects", "POST", "/v1/projects", (bad) => ({ name: bad }), "body.name"],
  [
    "coginiti",
    "POST",
    "/api/v1/catalog/folders",
    (bad) => ({ parent_path: "@Personal", name: bad }),
    "body.name",
  ],
  [
    "coginiti",
    "POST",
    "/api/v1/catalog/assets",
    (bad) => ({ parent_path: "@Personal", name: "q.sql", content: bad }),
    "body.content",
  ],
  [
    "scim",
    "POST",
    "/api/v1/scim/v2/Groups",
    (bad) => ({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: bad }),
    "body.displayName",
  ],
  [
    "scim",
    "POST",
    "/api/v1/scim/v2/Users",
    (bad) => ({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "ann@example.com",
      emails: [{ value: "ann@example.com" }, { value: "x", type: bad }],
    }),
    "body.emails.1.type",
  ],
];

describe("NUL and lone surrogates in JSON bodies", () => {
  for (const [bad, message] of [
    ["a\u0000b", NUL],
    ["a\ud800b", SURROGATE],
  ] as const) {
    it.each(WRITES)(`%s: %s %s with ${JSON.stringify(bad)}`, async (shape, method, url, body, field) => {
      const response = await send(method, url, body(bad));
      expect(response.status).toBe(400);
      expect(response.body).toEqual(shapes[shape](field, message));
    });
  }

  it("names a key holding NUL, and says it is the key", async () => {
    const response = await send("POST", "/v1/entities", {
      type: "thing",
      name: "x",
      attributes: { "k\u0000": 1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: "body.attributes.k\\u0000", message: `(a key) ${NUL}` },
    ]);
  });

  it("SCIM bodies sent as application/scim+json are checked too", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v1/scim/v2/Groups",
      headers: { ...bearer(org.key), "content-type": "application/scim+json" },
      payload: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        displayName: "\u0000",
      }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/scim\+json/);
    expect(response.json()).toEqual(shapes.scim("body.displayName", NUL));
  });

  it("accepts what is valid Unicode: accents, CJK, emoji (surrogate pairs)", async () => {
    const name = "Zoë 日本 🙂";
    const response = await send("POST", "/v1/entities", { type: "thing", name, attributes: { clef: "𝄞" } });
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({ name, attributes: { clef: "𝄞" } });
  });
});

describe("where the guard sits", () => {
  it("after authentication: an anonymous request is 401 whatever its body", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/v1/entities",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ type: "thing", name: "\u0000" }),
    });
    expect(response.statusCode).toBe(401);
  });

  it("before a route's own checks: the catalog's missing If-Match (428) comes after it", async () => {
    const response = await send("PUT", "/api/v1/catalog/folders/%40Personal/nothing", { name: "\u0000" });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(shapes.coginiti("body.name", NUL));
  });
});

describe("NUL and bad escapes in query strings and path segments", () => {
  it.each<[Shape, string, string, string]>([
    ["modules", "/v1/modules/contacts/records?search=%00", "querystring.search", NUL],
    ["modules", "/v1/modules/contacts/records?filter[name]=%00", "querystring.filter[name]", NUL],
    ["modules", "/v1/modules/contacts/records/trash?search=x%00", "querystring.search", NUL],
    ["entities", "/v1/entities?attributes.country=%00", "querystring.attributes.country", NUL],
    ["entities", "/v1/entities/ent_%00", "params.id", NUL],
    ["coginiti", "/api/v1/catalog/by-path/@Personal/%00", "params.*", NUL],
    ["coginiti", "/api/v1/catalog/list/@Personal?page_token=%00", "querystring.page_token", NUL],
    ["projects", "/v1/projects?external_id=%00", "querystring.external_id", NUL],
    ["publicApi", "/api/v2/users?after=%00", "querystring.after", NUL],
    ["scim", "/api/v1/scim/v2/Users?filter=userName%20eq%20%22%00%22", "querystring.filter", NUL],
    // Fastify keeps a query parameter whose escapes are not UTF-8 undecoded; the guard refuses it.
    ["modules", "/v1/modules/contacts/records?search=%ED%A0%80", "querystring.search", NOT_UTF8],
    ["modules", "/v1/modules/contacts/records?search=%E0%A4", "querystring.search", NOT_UTF8],
    ["entities", "/v1/entities?attributes.%FF=1", "querystring.attributes.%FF", `(the name) ${NOT_UTF8}`],
  ])("%s: GET %s", async (shape, url, field, message) => {
    const response = await send("GET", url);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(shapes[shape](field, message));
  });

  it("a path segment that is not UTF-8 is Fastify's own 400, in the surface's shape", async () => {
    const response = await send("GET", "/api/v1/catalog/by-path/@Personal/%ED%A0%80");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      message: BRIEF_400,
      detail: "(url): '/api/v1/catalog/by-path/@Personal/%ED%A0%80' is not a valid url component",
    });
  });

  it("a lone % (no escape) and well-formed multi-byte escapes are kept as they are", async () => {
    expect((await send("GET", "/v1/modules/contacts/records?search=100%")).status).toBe(200);
    expect((await send("GET", "/v1/modules/contacts/records?search=%F0%9F%99%82%20Zo%C3%AB")).status).toBe(
      200,
    );
  });

  it("unknown paths stay 404, whatever their query", async () => {
    expect((await send("GET", "/v1/nowhere?search=%00")).status).toBe(404);
  });
});

describe(`nesting deeper than ${MAX_INPUT_DEPTH} levels`, () => {
  it("a JSON body nested 3 000 deep is a 400 naming where it goes too deep", async () => {
    const response = await send(
      "POST",
      "/v1/entities",
      new Text(`{"type":"thing","name":"x","attributes":{"k":${nestedText(3000)}}}`),
    );
    expect(response.status).toBe(400);
    const [issue] = response.body.error.details;
    expect(issue.message).toBe(TOO_DEEP);
    expect(issue.field).toMatch(/^body\.attributes\.k\.a\.a\.a/);
  });

  it(`${MAX_INPUT_DEPTH} levels are accepted, ${MAX_INPUT_DEPTH + 1} are not`, async () => {
    // The body is level 1 and attributes level 2: attributes then holds MAX - 2 more objects.
    const body = (levels: number) =>
      new Text(`{"type":"thing","name":"deep","attributes":${nestedText(levels - 1, "{}")}}`);
    expect((await send("POST", "/v1/entities", body(MAX_INPUT_DEPTH - 1))).status).toBe(201);
    expect((await send("POST", "/v1/entities", body(MAX_INPUT_DEPTH))).status).toBe(400);
  });

  it("semantic filters 3 000 deep: 400 in seed 003's shape, no internal message", async () => {
    const filter = `${'{"type":"AND","filters":['.repeat(3000)}{"type":"CONDITION","field":{"entity":"fact_orders","field":"status"},"operator":{"type":"IS_NULL"}}${"]}".repeat(3000)}`;
    const response = await send(
      "POST",
      "/api/v1/semantic-layer/codegen/sql",
      new Text(
        `{"connection_name":${JSON.stringify(DEMO_CONNECTION_NAME)},"query":{"measures":[{"entity":"fact_orders","field":"total_revenue"}],"filters":[${filter}]}}`,
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(BRIEF_400);
    expect(response.body.detail).toMatch(/^body\.query\.filters\.0\.filters\.0\.filters\.0\./);
    expect(response.body.detail).toContain(TOO_DEEP);
    expect(response.body.detail).not.toContain("call stack");
  });
});

describe("GraphQL: variables and literals", () => {
  const rejected = (field: string, message: string) => ({
    errors: [
      expect.objectContaining({
        message: `${field}: ${message}`,
        extensions: { code: "VALIDATION_ERROR", issues: [{ field, message }] },
      }),
    ],
  });

  it.each([
    ["createEntity", "CreateEntityInput", { type: "thing", name: "\u0000" }, "variables.input.name", NUL],
    [
      "createEntity",
      "CreateEntityInput",
      { type: "thing", name: "a\ud800b" },
      "variables.input.name",
      SURROGATE,
    ],
    [
      "createEntity",
      "CreateEntityInput",
      { type: "thing", name: "x", attributes: { country: "\u0000" } },
      "variables.input.attributes.country",
      NUL,
    ],
    ["createProject", "CreateProjectInput", { name: "a\ud800b" }, "variables.input.name", SURROGATE],
    [
      "createRecord",
      "CreateRecordInput",
      { moduleSlug: "contacts", fields: { name: "\u0000" } },
      "variables.input.fields.name",
      NUL,
    ],
    [
      "createCatalogFolder",
      "CreateCatalogFolderInput",
      { parentPath: "@Personal", name: "\u0000" },
      "variables.input.name",
      NUL,
    ],
  ])("%s(input: %s) with %j in its variables", async (field, type, input, path, message) => {
    const response = await gql(
      t.app,
      org.key,
      `mutation($input: ${type}!) { ${field}(input: $input) { id } }`,
      {
        input,
      },
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual(rejected(path, message));
  });

  it('a string literal "\\u0000" in the document, named by field and argument path', async () => {
    const response = await gql(
      t.app,
      org.key,
      `mutation { made: createEntity(input: { type: "thing", name: "x", attributes: { tags: ["a", "\\u0000"] } }) { id } }`,
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual(rejected("made.input.attributes.tags.1", NUL));
    expect(response.body.errors?.[0]).toMatchObject({ locations: [{ line: 1, column: 92 }] });
  });

  it("a JSONObject variable 5 000 deep", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { ...bearer(org.key), "content-type": "application/json" },
      payload: `{"query":"mutation($input: CreateEntityInput!) { createEntity(input: $input) { id } }","variables":{"input":{"type":"thing","name":"x","attributes":${nestedText(5000)}}}}`,
    });
    expect(response.statusCode).toBe(400);
    const [error] = response.json().errors;
    expect(error.extensions.code).toBe("VALIDATION_ERROR");
    expect(error.message).toMatch(new RegExp(`^variables\\.input\\.attributes\\.a\\.a.*: ${TOO_DEEP}$`));
  });

  it("semantic filters 3 000 deep in the variables of semanticSql", async () => {
    const filter = `${'{"type":"AND","filters":['.repeat(3000)}{"type":"CONDITION","field":{"entity":"fact_orders","field":"status"},"operator":{"type":"IS_NULL"}}${"]}".repeat(3000)}`;
    const response = await t.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { ...bearer(org.key), "content-type": "application/json" },
      payload: `{"query":"query($input: SemanticQueryInput!) { semanticSql(input: $input) }","variables":{"input":{"query":{"measures":[{"entity":"fact_orders","field":"total_revenue"}],"filters":[${filter}]}}}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toContain(TOO_DEEP);
  });

  it("a literal nested deeper than the limit in the document", async () => {
    const literal = `${"{ a: ".repeat(MAX_INPUT_DEPTH + 1)}1${" }".repeat(MAX_INPUT_DEPTH + 1)}`;
    const response = await gql(
      t.app,
      org.key,
      `mutation { createEntity(input: { type: "thing", name: "x", attributes: ${literal} }) { id } }`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toMatch(
      new RegExp(`^createEntity\\.input\\.attributes\\.a.*: ${TOO_DEEP}$`),
    );
  });

  it("valid Unicode in variables and literals is accepted", async () => {
    const response = await gql<Json>(
      t.app,
      org.key,
      `mutation($name: String!) { createEntity(input: { type: "thing", name: $name, attributes: { k: "\\uD83D\\uDE42" } }) { name attributes } }`,
      { name: "Zoë 🙂" },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.createEntity).toEqual({ name: "Zoë 🙂", attributes: { k: "🙂" } });
  });
});

describe("rejected requests change nothing", () => {
  async function counts() {
    const p = t.prisma;
    return {
      entities: await p.entity.count(),
      records: await p.moduleRecord.count(),
      projects: await p.project.count(),
      catalog: await p.catalogItem.count(),
      users: await p.user.count(),
      groups: await p.group.count(),
      audit: await p.auditEvent.count(),
      idempotency: await p.idempotencyKey.count(),
    };
  }

  it("counts every table a write could touch before and after a volley of bad requests", async () => {
    const before = await counts();
    const statuses: number[] = [];
    for (const [, method, url, body] of WRITES) {
      for (const bad of ["\u0000", "\udfff", "x\ud800"]) {
        statuses.push(
          (await send(method, url, body(bad), { "idempotency-key": `bad-${statuses.length}` })).status,
        );
      }
    }
    statuses.push(
      (
        await send(
          "POST",
          "/v1/entities",
          new Text(`{"type":"thing","name":"x","attributes":${nestedText(3000)}}`),
        )
      ).status,
    );
    for (const input of [
      { type: "thing", name: "\u0000" },
      { type: "thing", name: "\ud800" },
    ]) {
      statuses.push(
        (
          await gql(
            t.app,
            org.key,
            "mutation($input: CreateEntityInput!) { createEntity(input: $input) { id } }",
            { input },
          )
        ).status,
      );
    }
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect(await counts()).toEqual(before);
  });

  it("a refused request takes no Idempotency-Key: a fixed retry under the same key runs", async () => {
    const headers = { "idempotency-key": "fix-and-retry" };
    expect((await send("POST", "/v1/projects", { name: "Apollo\u0000" }, headers)).status).toBe(400);
    const retry = await send("POST", "/v1/projects", { name: "Apollo" }, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
  });
});
