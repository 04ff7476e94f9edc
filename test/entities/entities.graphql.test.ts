// Entities in the graph: the connection with the REST filters, node(id:), the mutations, scopes
// and tenancy, over the same service as /v1/entities.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

const CREATE = `mutation ($input: CreateEntityInput!) {
  createEntity(input: $input) { id entityId type name attributes createdAt }
}`;
type Created = {
  createEntity: {
    id: string;
    entityId: string;
    type: string;
    name: string;
    attributes: Record<string, unknown>;
  };
};

async function create(input: Record<string, unknown>, key = acme.key) {
  const { body } = await gql<Created>(t.app, key, CREATE, { input });
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data?.createEntity as Created["createEntity"];
}

describe("mutations", () => {
  it("createEntity, updateEntity and deleteEntity", async () => {
    const entity = await create({ type: "supplier", name: "Acme Chemicals", attributes: { country: "DE" } });
    expect(entity).toMatchObject({ type: "supplier", name: "Acme Chemicals", attributes: { country: "DE" } });
    expect(entity.entityId).toMatch(/^ent_/);
    expect(entity.id).toBe(globalId("Entity", entity.entityId.slice(4)));

    const updated = await gql<{ updateEntity: { name: string; attributes: Record<string, unknown> } }>(
      t.app,
      acme.key,
      `mutation ($input: UpdateEntityInput!) { updateEntity(input: $input) { name attributes } }`,
      { input: { id: entity.id, name: "Acme Chem", attributes: { qualification_status: "qualified" } } },
    );
    expect(updated.body.data?.updateEntity).toEqual({
      name: "Acme Chem",
      attributes: { country: "DE", qualification_status: "qualified" },
    });

    const byRestId = await gql(
      t.app,
      acme.key,
      `mutation ($input: DeleteEntityInput!) { deleteEntity(input: $input) { deletedEntityId } }`,
      {
        input: { id: entity.entityId },
      },
    );
    expect(byRestId.body.data).toEqual({ deleteEntity: { deletedEntityId: entity.id } });
    const node = await gql(t.app, acme.key, `query ($id: ID!) { node(id: $id) { id } }`, { id: entity.id });
    expect(node.body.data).toEqual({ node: null });
  });

  it("invalid attributes: VALIDATION_ERROR with the seed's field and message; nothing stored", async () => {
    const { body } = await gql(t.app, acme.key, CREATE, {
      input: { type: "supplier", name: "Bad", attributes: { country: "ZZ" } },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ field: "attributes.country", message: "Must be a valid ISO 3166-1 alpha-2 country code" }],
    });
    expect(await t.prisma.entity.count({ where: { name: "Bad" } })).toBe(0);
  });

  it("a second entity of the same type and name is another entity; a read-only key is FORBIDDEN", async () => {
    const first = await create({ type: "customer", name: "Dup" });
    const dup = await gql(t.app, acme.key, CREATE, { input: { type: "customer", name: "Dup" } });
    expect(dup.body.errors).toBeUndefined();
    expect(dup.body.data?.createEntity).toMatchObject({ name: "Dup" });
    expect((dup.body.data?.createEntity as { id: string }).id).not.toBe(first.id);
    const reader = await createKey(t.prisma, acme, { scopes: ["entities:read"] });
    const denied = await gql(t.app, reader, CREATE, { input: { type: "customer", name: "Nope" } });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("Query.entities", () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(t.prisma, "Graph");
    for (const [name, country] of [
      ["a", "DE"],
      ["b", "FR"],
      ["c", "DE"],
      ["d", "DE"],
    ] as const) {
      await create({ type: "supplier", name, attributes: { country } }, org.key);
    }
    await create({ type: "customer", name: "e", attributes: { country: "DE" } }, org.key);
  });

  const LIST = `query ($first: Int, $after: String, $type: String, $attributes: [EntityAttributeFilter!], $sort: String) {
    entities(first: $first, after: $after, type: $type, attributes: $attributes, sort: $sort) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { name } }
    }
  }`;
  type List = {
    entities: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: Array<{ node: { name: string } }>;
    };
  };

  it("filters like REST, counts, and pages forward with after", async () => {
    const vars = { first: 2, type: "supplier", attributes: [{ key: "country", value: "DE" }], sort: "-name" };
    const first = await gql<List>(t.app, org.key, LIST, vars);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.entities.totalCount).toBe(3);
    expect(first.body.data?.entities.edges.map((e) => e.node.name)).toEqual(["d", "c"]);
    expect(first.body.data?.entities.pageInfo.hasNextPage).toBe(true);
    const second = await gql<List>(t.app, org.key, LIST, {
      ...vars,
      after: first.body.data?.entities.pageInfo.endCursor,
    });
    expect(second.body.data?.entities.edges.map((e) => e.node.name)).toEqual(["a"]);
    expect(second.body.data?.entities.pageInfo.hasNextPage).toBe(false);
  });

  it("a bad sort is VALIDATION_ERROR", async () => {
    const bad = await gql(t.app, org.key, LIST, { sort: "colour" });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });

  it("another organisation's entity is null on node(id:) and absent from the list", async () => {
    const foreign = await create({ type: "supplier", name: "Foreign" }, globex.key);
    const node = await gql(t.app, acme.key, `query ($id: ID!) { node(id: $id) { id } }`, { id: foreign.id });
    expect(node.body).toEqual({ data: { node: null } });
    const own = await gql<{ node: { name: string } }>(
      t.app,
      globex.key,
      `query ($id: ID!) { node(id: $id) { ... on Entity { name } } }`,
      {
        id: foreign.id,
      },
    );
    expect(own.body.data?.node).toEqual({ name: "Foreign" });
    const list = await gql<List>(t.app, acme.key, LIST, { first: 100 });
    expect(list.body.data?.entities.edges.map((e) => e.node.name)).not.toContain("Foreign");
  });
});

describe("Query.entities pages backward (last/before), with filters and sorts", () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(t.prisma, "Backward");
    const rows: Array<[string, string, Record<string, unknown>]> = [
      ["supplier", "m", { country: "DE", rank: 3 }],
      ["supplier", "b", { country: "FR", rank: 1 }],
      ["customer", "k", { country: "DE" }],
      ["supplier", "x", { country: "DE", rank: 2 }],
      ["supplier", "b", { country: "DE", rank: 1 }],
      ["site", "h", { country: "SE", city: "Lund" }],
      ["supplier", "q", { country: "DE" }],
      ["supplier", "a", { country: "FR", rank: 5 }],
      ["customer", "z", { country: "DE", rank: 4 }],
    ];
    for (const [type, name, attributes] of rows) await create({ type, name, attributes }, org.key);
  });

  const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $type: String,
      $attributes: [EntityAttributeFilter!], $sort: String) {
    entities(first: $first, after: $after, last: $last, before: $before, type: $type,
        attributes: $attributes, sort: $sort) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { entityId } }
    }
  }`;
  type Page = {
    entities: {
      totalCount: number;
      pageInfo: {
        hasNextPage: boolean;
        hasPreviousPage: boolean;
        startCursor: string | null;
        endCursor: string | null;
      };
      edges: Array<{ cursor: string; node: { entityId: string } }>;
    };
  };
  async function page(vars: Record<string, unknown>) {
    const { body } = await gql<Page>(t.app, org.key, PAGE, vars);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data!.entities;
  }
  const ids = (p: Page["entities"]) => p.edges.map((e) => e.node.entityId);

  const QUERIES: Array<Record<string, unknown>> = [
    {},
    { sort: "-name" },
    { sort: "name,-created_at" },
    { type: "supplier", sort: "-name" },
    { attributes: [{ key: "country", value: "DE" }], sort: "attributes.rank,name" },
    { type: "supplier", attributes: [{ key: "country", value: "DE" }], sort: "-attributes.rank" },
  ];

  it.each(QUERIES)("last/before walk the forward order back to its start: %j", async (filters) => {
    const all = await page({ ...filters, first: 100 });
    const full = ids(all);
    const cursors = all.edges.map((e) => e.cursor);
    expect(full.length).toBeGreaterThan(2);

    // last alone: the end of the list, in forward order
    const tail = await page({ ...filters, last: 2 });
    expect(ids(tail)).toEqual(full.slice(-2));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: full.length > 2, hasNextPage: false });
    expect(tail.totalCount).toBe(full.length);
    expect(tail.pageInfo.startCursor).toBe(cursors.at(-2));
    expect(tail.pageInfo.endCursor).toBe(cursors.at(-1));

    // walking back with before = startCursor visits every row once, in order
    const seen: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const p: Page["entities"] = await page({ ...filters, last: 2, ...(before ? { before } : {}) });
      seen.unshift(...ids(p));
      if (before) expect(p.pageInfo.hasNextPage).toBe(true);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen).toEqual(full);

    // before a forward cursor: the rows just before it
    const k = full.length - 1;
    const beforeK = await page({ ...filters, last: 2, before: cursors[k] });
    expect(ids(beforeK)).toEqual(full.slice(k - 2, k));
    expect(beforeK.pageInfo.hasPreviousPage).toBe(k - 2 > 0);

    // between two cursors, from either end
    const between = await page({ ...filters, after: cursors[0], before: cursors[k], last: 100 });
    expect(ids(between)).toEqual(full.slice(1, k));
    expect(between.pageInfo.hasPreviousPage).toBe(false);
    const fromStart = await page({ ...filters, after: cursors[0], before: cursors[k], first: 1 });
    expect(ids(fromStart)).toEqual(full.slice(1, 2));
    expect(fromStart.pageInfo.hasNextPage).toBe(k > 2);

    // first and last together: the last of the first (Relay's algorithm)
    const both = await page({ ...filters, first: 3, last: 2 });
    expect(ids(both)).toEqual(full.slice(1, 3));
    expect(both.pageInfo.hasPreviousPage).toBe(true);

    // last: 0 is an empty page that still counts
    const none = await page({ ...filters, last: 0 });
    expect(none.edges).toEqual([]);
    expect(none.totalCount).toBe(full.length);
  });

  it("a before cursor of another sort, or an altered one, is VALIDATION_ERROR on before", async () => {
    const byName = await page({ sort: "name", first: 2 });
    for (const before of [byName.pageInfo.endCursor, "garbage"]) {
      const { body } = await gql(t.app, org.key, PAGE, { sort: "-name", last: 2, before });
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: "VALIDATION_ERROR",
        issues: [{ field: "before" }],
      });
    }
  });
});
