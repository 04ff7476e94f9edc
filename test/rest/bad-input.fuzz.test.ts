// Fuzz (fast-check): hostile values — NUL, lone surrogates, invalid percent-escapes, deep nesting,
// huge, odd or mistyped values — put into one field of a valid body of every write endpoint,
// into one parameter of every list filter, into path segments, and into the variables of
// GraphQL mutations and list queries. No answer may be a 5xx (or a GraphQL
// INTERNAL_SERVER_ERROR). Every 5xx found is collected and listed, not just the first.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CONNECTION_NAME, seedSemanticDemo } from "../../src/semantic/semantic.seed.js";
import { bearer, createTestApp, globalId, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg } from "../records/fixtures.js";

const RUNS = { writes: 800, lists: 500, paths: 200, graphql: 400 };
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

let t: TestApp;
let org: TestOrg;
const ids: Record<string, string> = {};

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Failure = { method: Method | "GRAPHQL"; url: string; payload?: string; status: number; body: string };

async function json(method: Method, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await t.app.inject({
    method,
    url,
    headers: {
      ...bearer(org.key),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return response.json() as Json;
}

beforeAll(async () => {
  t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: "5".repeat(64), RATE_LIMIT_PER_MINUTE: "1000000" });
  org = await createRecordsOrg(t.prisma);
  await seedSemanticDemo(t.prisma, org.id, org.ownerId);
  ids.entity = (await json("POST", "/v1/entities", { type: "thing", name: "Fixture" })).data.id;
  ids.record = (
    await json("POST", "/v1/modules/contacts/records", { fields: { name: "Fixture" } })
  ).record.id;
  ids.project = (await json("POST", "/v1/projects", { name: "Fixture" })).id;
  ids.user = (await json("GET", "/v1/users")).items[0].id;
  await json("POST", "/api/v1/catalog/folders", { parent_path: "@Personal", name: "fuzz" });
  await json("POST", "/api/v1/catalog/assets", {
    parent_path: "@Personal/fuzz",
    name: "q.sql",
    content: "select 1",
  });
  ids.scimUser = (
    await json("POST", "/api/v1/scim/v2/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "fixture@example.com",
    })
  ).id;
  ids.scimGroup = (
    await json("POST", "/api/v1/scim/v2/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Fixture",
    })
  ).id;
  ids.reference = (await json("GET", "/v1/modules/contacts/references")).references[0]?.slug ?? "account";
  for (const [name, id] of Object.entries(ids)) expect(id, name).toEqual(expect.any(String));
});
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------
// Hostile values

const DEEP = "\u0001deep:";

/** What PostgreSQL cannot store: U+0000, or half of a surrogate pair. */
const unstorable = fc.oneof(
  fc.constant("\u0000"),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
);

const nastyString = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), unstorable, fc.string({ maxLength: 8 }))
      .map((parts) => parts.join("")),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "\u0000",
      "a\u0000b",
      "\ud800",
      "x\udfff",
      "\udbff\u0000",
      "🙂",
      "'",
      '"',
      "\\",
      "%",
      "%00",
      "%ED%A0%80",
      "'; select pg_sleep(1); --",
      "\u202e\ufeff",
      " ",
      "",
      "null",
      "-1",
      "1e309",
      "__proto__",
      "constructor",
      "@Personal/../..",
      "*",
      "a".repeat(5_000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
);

/** Any JSON-ish value, sometimes nested past the limit (serialized as text by `serialize`). */
const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: nastyString },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.integer({ min: 60, max: 3_000 }).map((levels) => `${DEEP}${levels}`),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(nastyString, tie("value"), { maxKeys: 3 }),
  ),
})).value;

/** JSON text, where `"\u0001deep:N"` strings become N nested arrays (too deep for JSON.stringify). */
function serialize(value: unknown): string {
  return JSON.stringify(value).replace(
    /"\\u0001deep:(\d+)"/g,
    (_, n) => `${"[".repeat(Number(n))}${"]".repeat(Number(n))}`,
  );
}

/** Percent-encoding of any string, lone surrogates included (as the UTF-8 of U+FFFD). */
function encode(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, "0")}`,
    )
    .join("");
}

/** A query or path value: an encoded hostile string, or raw bytes (invalid UTF-8 escapes). */
const nastyUrlValue = fc.oneof(
  // Lone surrogates cannot be percent-encoded (their UTF-8 does not exist): NUL is the one to hit.
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
      .map(([a, b]) => `${encode(a)}%00${encode(b)}`),
  },
  { weight: 2, arbitrary: nastyString.map(encode) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 6 })
      .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
  },
);

function setAt(template: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(template)
    ? ({ ...template } as Record<string, unknown>)
    : { ...(template as Record<string, unknown>) };
  copy[head] = setAt(copy[head] ?? {}, rest, value);
  return Array.isArray(template) ? Object.values(copy) : copy;
}

/** Every dotted path to a leaf of `value`, and every object (where a key may be added). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

// ---------------------------------------------------------------------------------------------
// Endpoints

type Write = {
  method: Method;
  url: () => string;
  body: () => unknown;
  headers?: () => Record<string, string>;
};

const SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const anyMatch = () => ({ "if-match": "*" });

const WRITES: Write[] = [
  {
    method: "POST",
    url: () => "/v1/entities",
    body: () => ({ type: "thing", name: "n", attributes: { a: "b" } }),
  },
  {
    method: "PATCH",
    url: () => `/v1/entities/${ids.entity}`,
    body: () => ({ name: "n", attributes: { a: "b" } }),
  },
  {
    method: "POST",
    url: () => "/v1/modules/contacts/records",
    body: () => ({
      displayName: "d",
      fields: { name: "n", email: "a@example.com", company: "c" },
      labelIds: ["lbl_vip"],
      descriptionHtml: "<p>x</p>",
    }),
  },
  {
    method: "PATCH",
    url: () => `/v1/modules/contacts/records/${ids.record}`,
    body: () => ({ fields: { name: "n" }, version: 1 }),
  },
  {
    method: "POST",
    url: () => "/v1/modules/contacts/records/bulk",
    body: () => ({ recordIds: [ids.record], addLabelIds: ["lbl_x"] }),
  },
  {
    method: "POST",
    url: () => "/v1/modules/contacts/records/bulk-delete",
    body: () => ({ recordIds: [ids.record] }),
  },
  {
    method: "POST",
    url: () => "/v1/modules/contacts/records/bulk-restore",
    body: () => ({ recordIds: [ids.record] }),
  },
  {
    method: "POST",
    url: () => "/v1/projects",
    body: () => ({ name: "n", description: "d", external_id: "e-1" }),
  },
  {
    method: "PATCH",
    url: () => `/v1/projects/${ids.project}`,
    body: () => ({ name: "n", description: "d" }),
  },
  {
    method: "PUT",
    url: () => `/v1/projects/${ids.project}/members/${ids.user}`,
    body: () => ({ role: "viewer" }),
  },
  { method: "PATCH", url: () => `/v1/users/${ids.user}`, body: () => ({ external_id: "x" }) },
  {
    method: "POST",
    url: () => "/api/v1/catalog/folders",
    body: () => ({ parent_path: "@Personal/fuzz", name: "f", folder_type: "REGULAR" }),
  },
  {
    method: "POST",
    url: () => "/api/v1/catalog/assets",
    body: () => ({ parent_path: "@Personal/fuzz", name: "a.sql", content: "select 1", description: "d" }),
  },
  {
    method: "PUT",
    url: () => "/api/v1/catalog/assets/%40Personal/fuzz/q.sql",
    body: () => ({ content: "select 2", description: "d" }),
    headers: anyMatch,
  },
  {
    method: "PUT",
    url: () => "/api/v1/catalog/folders/%40Personal/fuzz",
    body: () => ({ name: "fuzz" }),
    headers: anyMatch,
  },
  {
    method: "POST",
    url: () => "/api/v1/scim/v2/Users",
    body: () => ({
      schemas: [SCIM_USER],
      userName: "u@example.com",
      name: { givenName: "g", familyName: "f" },
      emails: [{ value: "u@example.com", primary: true }],
      externalId: "x",
    }),
  },
  {
    method: "PUT",
    url: () => `/api/v1/scim/v2/Users/${ids.scimUser}`,
    body: () => ({ schemas: [SCIM_USER], userName: "fixture@example.com", displayName: "d" }),
  },
  {
    method: "PATCH",
    url: () => `/api/v1/scim/v2/Users/${ids.scimUser}`,
    body: () => ({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "v" }] }),
  },
  {
    method: "POST",
    url: () => "/api/v1/scim/v2/Groups",
    body: () => ({ schemas: [SCIM_GROUP], displayName: "g" }),
  },
  {
    method: "PATCH",
    url: () => `/api/v1/scim/v2/Groups/${ids.scimGroup}`,
    body: () => ({
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: ids.scimUser }] }],
    }),
  },
  {
    method: "POST",
    url: () => "/api/v1/scim/v2/Users/.search",
    body: () => ({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      filter: 'userName eq "x"',
      count: 10,
    }),
  },
  {
    method: "POST",
    url: () => "/api/v1/semantic-layer/codegen/sql",
    body: () => ({
      connection_name: DEMO_CONNECTION_NAME,
      query: {
        measures: [{ entity: "fact_orders", field: "total_revenue" }],
        filters: [
          {
            type: "AND",
            filters: [
              {
                type: "CONDITION",
                field: { entity: "fact_orders", field: "status" },
                operator: { type: "EQUALS", values: ["x"] },
              },
            ],
          },
        ],
        limit: { fetch: 5 },
      },
    }),
  },
  {
    method: "POST",
    url: () => "/api/v1/exec/sql",
    body: () => ({ sql: "select 1 as a", params: { p: "x" }, connection: { name: DEMO_CONNECTION_NAME } }),
  },
  { method: "POST", url: () => "/api/v1/tokens/renewtokens", body: () => ({ refreshToken: "rt" }) },
];

type List = { url: () => string; params: string[] };

const LISTS: List[] = [
  {
    url: () => "/v1/entities",
    params: [
      "type",
      "created_after",
      "created_before",
      "sort",
      "fields",
      "cursor",
      "page",
      "per_page",
      "attributes.country",
    ],
  },
  {
    url: () => "/v1/modules/contacts/records",
    params: [
      "search",
      "sortField",
      "sortDirection",
      "labelIds",
      "typeIds",
      "advancedFilter",
      "fields",
      "page",
      "pageSize",
      "filter[name]",
      "filter[company]",
    ],
  },
  { url: () => "/v1/modules/contacts/records/trash", params: ["search", "page", "pageSize"] },
  { url: () => `/v1/modules/contacts/references/${ids.reference}/picker`, params: ["search", "limit"] },
  { url: () => "/v1/projects", params: ["external_id", "status", "include_archived", "page", "page_size"] },
  { url: () => `/v1/projects/${ids.project}/members`, params: ["page", "page_size"] },
  { url: () => "/v1/users", params: ["external_id", "page", "page_size"] },
  {
    url: () => "/api/v1/scim/v2/Users",
    params: ["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes"],
  },
  { url: () => "/api/v1/scim/v2/Groups", params: ["filter", "startIndex", "count", "attributes"] },
  { url: () => "/api/v1/catalog/list/%40Personal", params: ["limit", "page_token"] },
  { url: () => "/api/v2/users", params: ["limit", "after", "before"] },
  { url: () => "/api/v2/databaseusages", params: ["limit", "after", "before"] },
];

/** Routes whose path segments take anything (`*` is the fuzzed segment). */
const PATHS: Array<[Method, string]> = [
  ["GET", "/v1/entities/*"],
  ["DELETE", "/v1/entities/*"],
  ["GET", "/v1/modules/*/records"],
  ["GET", "/v1/modules/contacts/records/*"],
  ["POST", "/v1/modules/contacts/records/*/restore"],
  ["GET", "/v1/projects/*"],
  ["DELETE", "/v1/projects/*/members/*"],
  ["GET", "/api/v1/catalog/by-path/%40Personal/*"],
  ["GET", "/api/v1/catalog/list/*"],
  ["GET", "/api/v1/scim/v2/Users/*"],
  ["DELETE", "/api/v1/scim/v2/Groups/*"],
  ["GET", "/api/v1/semantic-layer/metadata/*"],
];

const GRAPHQL: Array<{ query: string; variables: () => Record<string, unknown> }> = [
  {
    query: "mutation($input: CreateEntityInput!) { createEntity(input: $input) { id } }",
    variables: () => ({ input: { type: "thing", name: "n", attributes: { a: "b" } } }),
  },
  {
    query: "mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { id } }",
    variables: () => ({
      input: {
        id: globalId("Entity", ids.entity?.slice("ent_".length) ?? ""),
        name: "n",
        attributes: { a: "b" },
      },
    }),
  },
  {
    query: "mutation($input: CreateRecordInput!) { createRecord(input: $input) { id } }",
    variables: () => ({ input: { moduleSlug: "contacts", fields: { name: "n" }, labelIds: ["a"] } }),
  },
  {
    query: "mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }",
    variables: () => ({ input: { name: "n", description: "d", externalId: "e" } }),
  },
  {
    query: "mutation($input: CreateCatalogAssetInput!) { createCatalogAsset(input: $input) { id } }",
    variables: () => ({ input: { parentPath: "@Personal/fuzz", name: "g.sql", content: "select 1" } }),
  },
  {
    query: "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
    variables: () => ({ input: { displayName: "g", description: "d", externalId: "x" } }),
  },
  {
    query:
      "query($type: String, $sort: String, $attributes: [EntityAttributeFilter!]) { entities(first: 5, type: $type, sort: $sort, attributes: $attributes) { totalCount } }",
    variables: () => ({ type: "thing", sort: "name", attributes: [{ key: "a", value: "b" }] }),
  },
  {
    query:
      'query($filter: RecordFilter, $search: String) { module(slug: "contacts") { records(first: 5, filter: $filter, search: $search) { totalCount } } }',
    variables: () => ({
      search: "x",
      filter: { conditions: [{ fieldSlug: "name", operator: "EQ", value: "n" }] },
    }),
  },
  {
    query: "query($externalId: String) { projects(first: 5, externalId: $externalId) { totalCount } }",
    variables: () => ({ externalId: "e" }),
  },
  {
    query: "query($filter: AuditEventFilter) { auditEvents(first: 5, filter: $filter) { totalCount } }",
    variables: () => ({ filter: { action: "POST /v1/entities", resourceId: "x" } }),
  },
  {
    query: "query($path: String!) { catalogItem(path: $path) { path } }",
    variables: () => ({ path: "@Personal/fuzz" }),
  },
];

// ---------------------------------------------------------------------------------------------

const failures: Failure[] = [];
let requests = 0;

async function record(method: Method, url: string, payload?: string, headers: Record<string, string> = {}) {
  requests += 1;
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
  if (response.statusCode >= 500) {
    failures.push({
      method,
      url,
      payload: payload?.slice(0, 300),
      status: response.statusCode,
      body: response.body.slice(0, 300),
    });
  }
}

/** Fails with every 5xx collected since `from` (the length of `failures` when a test began). */
function expectNoFailures(from: number) {
  const found = failures.slice(from);
  expect(found, `seed ${SEED}: ${found.length} requests answered 5xx`).toEqual([]);
}

describe(`no hostile input answers 5xx (fast-check seed ${SEED})`, () => {
  it("one field of every write endpoint's body", async () => {
    const from = failures.length;
    const write = fc.integer({ min: 0, max: WRITES.length - 1 }).chain((index) => {
      const endpoint = WRITES[index] as Write;
      const paths = pathsOf(endpoint.body());
      return fc.record({
        endpoint: fc.constant(endpoint),
        path: fc.constantFrom(...paths),
        extraKey: fc.option(nastyString, { nil: undefined }),
        value: nastyValue,
      });
    });
    await fc.assert(
      fc.asyncProperty(write, async ({ endpoint, path, extraKey, value }) => {
        const target = extraKey === undefined ? path : [...path.slice(0, -1), extraKey];
        const body = setAt(endpoint.body(), target, value);
        await record(endpoint.method, endpoint.url(), serialize(body), endpoint.headers?.() ?? {});
      }),
      { numRuns: RUNS.writes, seed: SEED },
    );
    expectNoFailures(from);
  });

  it("one parameter of every list filter", async () => {
    const from = failures.length;
    const list = fc.record({
      list: fc.constantFrom(...LISTS),
      index: fc.nat(),
      value: nastyUrlValue,
      twice: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(list, async ({ list, index, value, twice }) => {
        const name = list.params[index % list.params.length] as string;
        const query = `${name}=${value}${twice ? `&${name}=x` : ""}`;
        await record("GET", `${list.url()}?${query}`);
      }),
      { numRuns: RUNS.lists, seed: SEED },
    );
    expectNoFailures(from);
  });

  it("path segments", async () => {
    const from = failures.length;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), nastyUrlValue, async ([method, pattern], value) => {
        await record(method, pattern.replaceAll("*", value || "x"));
      }),
      { numRuns: RUNS.paths, seed: SEED },
    );
    expectNoFailures(from);
  });

  it("GraphQL mutations and list queries, through their variables", async () => {
    const from = failures.length;
    const operation = fc.integer({ min: 0, max: GRAPHQL.length - 1 }).chain((index) => {
      const op = GRAPHQL[index] as (typeof GRAPHQL)[number];
      return fc.record({
        op: fc.constant(op),
        path: fc.constantFrom(...pathsOf(op.variables()).slice(1)),
        value: nastyValue,
      });
    });
    await fc.assert(
      fc.asyncProperty(operation, async ({ op, path, value }) => {
        const variables = setAt(op.variables(), path, value);
        const payload = serialize({ query: op.query, variables });
        requests += 1;
        const response = await t.app.inject({
          method: "POST",
          url: "/graphql",
          headers: { ...bearer(org.key), "content-type": "application/json" },
          payload,
        });
        const body = response.json() as Json;
        const internal = (body.errors ?? []).some(
          (e: Json) => e.extensions?.code === "INTERNAL_SERVER_ERROR" || e.message === "Unexpected error.",
        );
        if (response.statusCode >= 500 || internal) {
          failures.push({
            method: "GRAPHQL",
            url: op.query.slice(0, 60),
            payload: payload.slice(0, 300),
            status: response.statusCode,
            body: response.body.slice(0, 300),
          });
        }
      }),
      { numRuns: RUNS.graphql, seed: SEED },
    );
    expectNoFailures(from);
  });

  afterAll(() => {
    console.info(`bad-input fuzz, seed ${SEED}: ${requests} requests, ${failures.length} answered 5xx`);
  });
});
