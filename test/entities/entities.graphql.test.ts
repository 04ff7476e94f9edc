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

  it("a bad sort or backward pagination is VALIDATION_ERROR", async () => {
    const bad = await gql(t.app, org.key, LIST, { sort: "colour" });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const back = await gql(t.app, org.key, `{ entities(last: 2) { totalCount } }`);
    expect(back.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
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
