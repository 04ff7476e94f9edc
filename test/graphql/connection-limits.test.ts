// Page sizes say so: every connection refuses `first`/`last` above its maximum with
// VALIDATION_ERROR instead of capping in silence, and every such argument states the maximum.
import { getNamedType, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_PAGE_SIZE } from "../../src/graphql/connection-limits.js";
import { schema } from "../../src/graphql/schema.js";
import { createOrg, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let org: TestOrg;

const CATALOG_MAX_PAGE_SIZE = 1000;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Pages");
  const setup = [
    ['mutation { createGroup(input: { displayName: "Ops" }) { id } }', {}],
    ['mutation { createProject(input: { name: "Apollo" }) { id } }', {}],
    [
      "mutation ($i: CreateModuleInput!) { createModule(input: $i) { slug } }",
      {
        i: {
          slug: "pageaccounts",
          name: "Accounts",
          fields: [{ slug: "name", label: "Name", type: "TEXT" }],
        },
      },
    ],
    [
      "mutation ($i: CreateModuleInput!) { createModule(input: $i) { slug } }",
      {
        i: {
          slug: "pagecontacts",
          name: "Contacts",
          fields: [
            { slug: "name", label: "Name", type: "TEXT" },
            { slug: "account", label: "Account", type: "REFERENCE", targetModuleSlug: "pageaccounts" },
          ],
        },
      },
    ],
    [
      "mutation ($i: CreateRecordInput!) { createRecord(input: $i) { id } }",
      { i: { moduleSlug: "pagecontacts", fields: { name: "Ada" } } },
    ],
  ] as const;
  for (const [mutation, variables] of setup) {
    const { body } = await gql(t.app, org.key, mutation, variables);
    expect(body.errors).toBeUndefined();
  }
});
afterAll(() => t.close());

/** Each connection field, reached through parents that exist; `$page` is where first/last go. */
const CONNECTIONS: Array<{ field: string; query: string; max: number; last?: false }> = [
  { field: "Query.users", query: "{ users($page) { totalCount } }", max: MAX_PAGE_SIZE },
  { field: "Query.groups", query: "{ groups($page) { totalCount } }", max: MAX_PAGE_SIZE },
  {
    field: "Group.members",
    query: "{ groups(first: 1) { edges { node { members($page) { totalCount } } } } }",
    max: MAX_PAGE_SIZE,
  },
  { field: "Query.projects", query: "{ projects($page) { totalCount } }", max: MAX_PAGE_SIZE },
  {
    field: "Project.members",
    query: "{ projects(first: 1) { edges { node { members($page) { edges { cursor } } } } } }",
    max: MAX_PAGE_SIZE,
  },
  { field: "Query.auditEvents", query: "{ auditEvents($page) { edges { cursor } } }", max: MAX_PAGE_SIZE },
  { field: "Query.entities", query: "{ entities($page) { totalCount } }", max: MAX_PAGE_SIZE },
  { field: "Query.modules", query: "{ modules($page) { edges { cursor } } }", max: MAX_PAGE_SIZE },
  {
    field: "Module.records",
    query: "{ modules(first: 10) { edges { node { records($page) { totalCount } } } } }",
    max: MAX_PAGE_SIZE,
  },
  {
    field: "Record.linked",
    query:
      '{ modules(first: 10) { edges { node { records(first: 1) { edges { node { linked(reference: "account", $page) { edges { cursor } } } } } } } } }',
    max: MAX_PAGE_SIZE,
  },
  {
    field: "Query.refreshTokens",
    query: "{ refreshTokens($page) { edges { cursor } } }",
    max: MAX_PAGE_SIZE,
  },
  {
    field: "CatalogFolder.children",
    query:
      "{ projects(first: 1) { edges { node { catalogFolder { children($page) { edges { cursor } } } } } } }",
    max: CATALOG_MAX_PAGE_SIZE,
    last: false,
  },
];

const page = (query: string, argument: string) => query.replace("$page", argument);

describe("schema", () => {
  it("the cases below cover every connection field of the schema", () => {
    const fields = Object.values(schema.getTypeMap()).flatMap((type) =>
      isObjectType(type) && !type.name.startsWith("__")
        ? Object.values(type.getFields())
            .filter((f) => {
              const named = getNamedType(f.type);
              return isObjectType(named) && "edges" in named.getFields() && "pageInfo" in named.getFields();
            })
            .map((f) => `${type.name}.${f.name}`)
        : [],
    );
    expect(fields.sort()).toEqual(CONNECTIONS.map((c) => c.field).sort());
  });

  it.each(CONNECTIONS)("$field states the maximum of first/last in their descriptions", ({ field, max }) => {
    const [typeName, fieldName] = field.split(".");
    const type = schema.getType(typeName!);
    if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
    const args = type.getFields()[fieldName!]!.args.filter((a) => a.name === "first" || a.name === "last");
    expect(args.length).toBeGreaterThan(0);
    for (const arg of args) {
      expect(arg.description).toContain(`0 to ${max}`);
      expect(arg.extensions.maxPageSize).toBe(max);
    }
  });
});

describe("page sizes above the maximum are refused", () => {
  it.each(CONNECTIONS)("$field: first above the maximum → VALIDATION_ERROR", async ({ query, max }) => {
    const { status, body } = await gql(t.app, org.key, page(query, `first: ${max + 1}`));
    // A field error, not a request error: the response has `data`, so it is a 200 (GraphQL over HTTP).
    expect(status).toBe(200);
    expect(body).toHaveProperty("data");
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: `first must be between 0 and ${max}`,
      extensions: {
        code: "VALIDATION_ERROR",
        details: { field: "first", max },
        issues: [{ field: "first", message: `must be between 0 and ${max}` }],
      },
    });
  });

  it.each(
    CONNECTIONS.filter((c) => c.last !== false),
  )("$field: last above the maximum → VALIDATION_ERROR", async ({ query, max }) => {
    const { body } = await gql(t.app, org.key, page(query, "last: 100000"));
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.message).toBe(`last must be between 0 and ${max}`);
    expect(body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });

  // Project.members is a Prisma relation: its parent's query, built before the field resolves,
  // refuses a negative size first (Pothos: 'Argument "first" must be a non-negative integer').
  it.each(
    CONNECTIONS.filter((c) => c.field !== "Project.members"),
  )("$field: a negative first → VALIDATION_ERROR", async ({ query, max }) => {
    const { body } = await gql(t.app, org.key, page(query, "first: -1"));
    expect(body.errors?.[0]?.message).toBe(`first must be between 0 and ${max}`);
  });

  it.each(CONNECTIONS)("$field: first at the maximum is answered", async ({ query, max }) => {
    const { body } = await gql(t.app, org.key, page(query, `first: ${max}`));
    expect(body.errors).toBeUndefined();
    expect(body.data).toBeTruthy();
  });

  it("a page size in a variable is checked too", async () => {
    const { body } = await gql(t.app, org.key, "query ($n: Int) { users(first: $n) { totalCount } }", {
      n: 101,
    });
    expect(body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });
});
