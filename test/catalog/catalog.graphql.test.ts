// The catalog in the graph: same tree, paths, ETags and failures as the REST API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  decodeGlobalId,
  type GraphQLResponse,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { type CatalogApi, catalogApi } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let api: CatalogApi;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  api = catalogApi(t.app, acme.key);
});
afterAll(() => t.close());

const ITEM = `
  fragment Item on CatalogItem {
    __typename id name path type etag createdAt updatedAt
    parent { path }
    ... on CatalogAsset { description content }
  }`;

type Item = {
  __typename: string;
  id: string;
  name: string;
  path: string;
  type: string;
  etag: string | null;
  parent: { path: string } | null;
  content?: string;
  description?: string | null;
};

function errorOf(response: GraphQLResponse) {
  const [error] = response.body.errors ?? [];
  return { code: error?.extensions?.code, message: error?.message };
}

const CREATE_FOLDER = `mutation($input: CreateCatalogFolderInput!) { createCatalogFolder(input: $input) { ...Item } } ${ITEM}`;
const CREATE_ASSET = `mutation($input: CreateCatalogAssetInput!) { createCatalogAsset(input: $input) { ...Item } } ${ITEM}`;
const UPDATE_FOLDER = `mutation($input: UpdateCatalogFolderInput!) { updateCatalogFolder(input: $input) { ...Item } } ${ITEM}`;
const UPDATE_ASSET = `mutation($input: UpdateCatalogAssetInput!) { updateCatalogAsset(input: $input) { ...Item } } ${ITEM}`;
const DELETE =
  "mutation($input: DeleteCatalogItemInput!) { deleteCatalogItem(input: $input) { deletedId path } }";
const ITEM_BY_PATH = `query($path: String!) { catalogItem(path: $path) { ...Item } } ${ITEM}`;

describe("mutations and queries", () => {
  it("creates a folder and an asset; REST sees the same items and ETags", async () => {
    const folder = await gql<{ createCatalogFolder: Item }>(t.app, acme.key, CREATE_FOLDER, {
      input: { parentPath: "@Shared", name: "Q1 Analysis", folderType: "PROJECT" },
    });
    expect(folder.body.errors).toBeUndefined();
    const created = folder.body.data!.createCatalogFolder;
    expect(created).toMatchObject({
      __typename: "CatalogFolder",
      name: "Q1 Analysis",
      path: "@Shared/Q1 Analysis",
      type: "PROJECT",
      etag: '"1"',
      parent: { path: "@Shared" },
    });
    expect(decodeGlobalId(created.id).type).toBe("CatalogFolder");

    const asset = await gql<{ createCatalogAsset: Item }>(t.app, acme.key, CREATE_ASSET, {
      input: {
        parentPath: "@Shared/Q1 Analysis",
        name: "sales",
        content: "SELECT * FROM {{ ref }}",
        description: "d",
      },
    });
    expect(asset.body.errors).toBeUndefined();
    expect(asset.body.data!.createCatalogAsset).toMatchObject({
      __typename: "CatalogAsset",
      path: "@Shared/Q1 Analysis/sales",
      type: "COGINITI_SCRIPT",
      etag: '"1"',
      content: "SELECT * FROM {{ ref }}",
      description: "d",
      parent: { path: "@Shared/Q1 Analysis" },
    });

    const rest = await api.get("@Shared/Q1 Analysis/sales");
    expect(rest.headers.etag).toBe('"1"');
    expect(rest.json()).toMatchObject({
      type: "COGINITI_SCRIPT",
      data: { content: "SELECT * FROM {{ ref }}" },
    });
  });

  it("catalogItem by path: the same answer as by-path, null when missing", async () => {
    await api.updateAsset("@Shared/Q1 Analysis/sales", { content: "SELECT 1" }, '"1"');
    const response = await gql<{ catalogItem: Item | null }>(t.app, acme.key, ITEM_BY_PATH, {
      path: "@Shared/Q1 Analysis/sales",
    });
    const rest = (await api.get("@Shared/Q1 Analysis/sales")).json();
    expect(response.body.data!.catalogItem).toMatchObject({
      path: rest.path,
      name: rest.name,
      type: rest.type,
      content: rest.data.content,
      etag: '"2"',
    });
    const missing = await gql<{ catalogItem: Item | null }>(t.app, acme.key, ITEM_BY_PATH, {
      path: "@Shared/none",
    });
    expect(missing.body).toEqual({ data: { catalogItem: null } });
  });

  it("catalogRoots lists the three namespaces; roots have no etag and no parent", async () => {
    const response = await gql<{ catalogRoots: Item[] }>(
      t.app,
      acme.key,
      `{ catalogRoots { ...Item } } ${ITEM}`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(
      response.body.data!.catalogRoots.map(({ path, type, etag, parent }) => ({ path, type, etag, parent })),
    ).toEqual([
      { path: "@Personal", type: "USER_HOME", etag: null, parent: null },
      { path: "@Shared", type: "REGULAR_FOLDER", etag: null, parent: null },
      { path: "@Project Hub", type: "REGULAR_FOLDER", etag: null, parent: null },
    ]);
  });

  it("children page with first/after, folders first, like REST's list", async () => {
    // A project folder comes with its project (docs/catalog.md, "Project Hub").
    const project = await t.app.inject({
      method: "POST",
      url: "/v1/projects",
      headers: { authorization: `Bearer ${acme.key}`, "content-type": "application/json" },
      payload: JSON.stringify({ name: "sales_2025" }),
    });
    expect(project.statusCode).toBe(201);
    for (const name of ["c", "a", "b"]) {
      await api.createAsset({ parent_path: "@Project Hub/sales_2025", name, content: "SELECT 1" });
    }
    await api.createFolder({ parent_path: "@Project Hub/sales_2025", name: "z folder" });
    const query = `query($path: String!, $after: String) { catalogItem(path: $path) { ... on CatalogFolder {
      children(first: 2, after: $after) { edges { cursor node { name path __typename } } pageInfo { hasNextPage endCursor } } } } }`;
    const names: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const response: GraphQLResponse<{
        catalogItem: {
          children: {
            edges: Array<{ node: { name: string } }>;
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      }> = await gql(t.app, acme.key, query, { path: "@Project Hub/sales_2025", after });
      expect(response.body.errors).toBeUndefined();
      const children = response.body.data!.catalogItem.children;
      names.push(...children.edges.map((edge) => edge.node.name));
      after = children.pageInfo.endCursor;
      if (!children.pageInfo.hasNextPage) break;
    }
    expect(names).toEqual(["z folder", "a", "b", "c"]);
    const rest = (await api.list("@Project Hub/sales_2025"))
      .json()
      .data.map((item: { name: string }) => item.name);
    expect(rest).toEqual(names);
  });

  it("node(id) finds items and roots; other organisations get null", async () => {
    const item = await gql<{ catalogItem: Item }>(t.app, acme.key, ITEM_BY_PATH, {
      path: "@Shared/Q1 Analysis",
    });
    const id = item.body.data!.catalogItem.id;
    const node = await gql<{ node: { path: string } | null }>(
      t.app,
      acme.key,
      "query($id: ID!) { node(id: $id) { ... on CatalogItem { path } } }",
      { id },
    );
    expect(node.body.data!.node).toEqual({ path: "@Shared/Q1 Analysis" });
    const globex = await createOrg(t.prisma, "Globex");
    const foreign = await gql<{ node: unknown }>(
      t.app,
      globex.key,
      "query($id: ID!) { node(id: $id) { id } }",
      { id },
    );
    expect(foreign.body.data!.node).toBeNull();
    const foreignPath = await gql<{ catalogItem: unknown }>(t.app, globex.key, ITEM_BY_PATH, {
      path: "@Shared/Q1 Analysis",
    });
    expect(foreignPath.body.data!.catalogItem).toBeNull();
  });

  it("another user's @Personal items are null for the others", async () => {
    await api.createFolder({ parent_path: "@Personal", name: "Private" });
    const bob = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "bob@acme.example", displayName: "Bob" },
    });
    const bobKey = await createKey(t.prisma, acme, { scopes: ["catalog:read"], userId: bob.id });
    const response = await gql<{ catalogItem: unknown }>(t.app, bobKey, ITEM_BY_PATH, {
      path: "@Personal/Private",
    });
    expect(response.body.data!.catalogItem).toBeNull();
    const mine = await gql<{ catalogItem: Item }>(t.app, acme.key, ITEM_BY_PATH, {
      path: "@Personal/Private",
    });
    const byId = await gql<{ node: unknown }>(t.app, bobKey, "query($id: ID!) { node(id: $id) { id } }", {
      id: mine.body.data!.catalogItem.id,
    });
    expect(byId.body.data!.node).toBeNull();
  });

  it("renames a folder; descendants' paths follow", async () => {
    const response = await gql<{ updateCatalogFolder: Item }>(t.app, acme.key, UPDATE_FOLDER, {
      input: { path: "@Shared/Q1 Analysis", ifMatch: '"1"', name: "Q2 Analysis" },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.updateCatalogFolder).toMatchObject({
      path: "@Shared/Q2 Analysis",
      etag: '"2"',
    });
    expect((await api.get("@Shared/Q2 Analysis/sales")).statusCode).toBe(200);
  });

  it("deletes an asset, then its empty folder", async () => {
    const asset = await gql<{ deleteCatalogItem: { deletedId: string; path: string } }>(
      t.app,
      acme.key,
      DELETE,
      {
        input: { path: "@Shared/Q2 Analysis/sales", ifMatch: '"3"' },
      },
    );
    expect(asset.body.errors).toBeUndefined();
    expect(asset.body.data!.deleteCatalogItem.path).toBe("@Shared/Q2 Analysis/sales");
    expect(decodeGlobalId(asset.body.data!.deleteCatalogItem.deletedId).type).toBe("CatalogAsset");
    const folder = await gql(t.app, acme.key, DELETE, {
      input: { path: "@Shared/Q2 Analysis", ifMatch: '"2"' },
    });
    expect(folder.body.errors).toBeUndefined();
    expect((await api.get("@Shared/Q2 Analysis")).statusCode).toBe(404);
  });
});

describe("failures carry the REST statuses' meaning", () => {
  beforeAll(async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Errors" });
    await api.createAsset({ parent_path: "@Shared/Errors", name: "script", content: "SELECT 1" });
  });

  const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
    [
      "stale ETag",
      UPDATE_ASSET,
      { path: "@Shared/Errors/script", ifMatch: '"9"', content: "x" },
      "PRECONDITION_FAILED",
      'Entity has been modified. Refresh and retry with current ETag: "1"',
    ],
    [
      "blank ifMatch",
      UPDATE_ASSET,
      { path: "@Shared/Errors/script", ifMatch: "", content: "x" },
      "PRECONDITION_REQUIRED",
      "If-Match header is required",
    ],
    [
      "missing path",
      UPDATE_ASSET,
      { path: "@Shared/nope", ifMatch: '"1"', content: "x" },
      "NOT_FOUND",
      "Path not found: @Shared/nope",
    ],
    [
      "folder as asset",
      UPDATE_ASSET,
      { path: "@Shared/Errors", ifMatch: '"1"', content: "x" },
      "NOT_AN_ASSET",
      "Path must be an asset",
    ],
    [
      "asset as folder",
      UPDATE_FOLDER,
      { path: "@Shared/Errors/script", ifMatch: '"1"', name: "x" },
      "NOT_A_FOLDER",
      "Path must be a folder",
    ],
    [
      "name with /",
      UPDATE_FOLDER,
      { path: "@Shared/Errors", ifMatch: '"1"', name: "a/b" },
      "VALIDATION_ERROR",
      "Name cannot contain '/' character",
    ],
    [
      "name exists",
      CREATE_ASSET,
      { parentPath: "@Shared/Errors", name: "script", content: "x" },
      "VALIDATION_ERROR",
      "Name already exists.",
    ],
    [
      "parent is an asset",
      CREATE_FOLDER,
      { parentPath: "@Shared/Errors/script", name: "x" },
      "NOT_A_FOLDER",
      "Parent path must be a folder",
    ],
    [
      "parent missing",
      CREATE_FOLDER,
      { parentPath: "@Personal/nonexistent", name: "x" },
      "NOT_FOUND",
      "Path not found: @Personal/nonexistent",
    ],
    [
      "folder not empty",
      DELETE,
      { path: "@Shared/Errors", ifMatch: '"1"' },
      "VALIDATION_ERROR",
      "Folder is not empty",
    ],
  ];
  it.each(cases)("%s", async (_label, mutation, input, code, message) => {
    const before = await t.prisma.catalogItem.findMany({ orderBy: { path: "asc" } });
    const response = await gql(t.app, acme.key, mutation, { input });
    expect(errorOf(response)).toEqual({ code, message });
    expect(await t.prisma.catalogItem.findMany({ orderBy: { path: "asc" } })).toEqual(before);
  });

  it("a key without catalog scopes is FORBIDDEN", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    const response = await gql(t.app, key, ITEM_BY_PATH, { path: "@Shared" });
    expect(errorOf(response)).toEqual({
      code: "FORBIDDEN",
      message: "You don't have permission to perform the request",
    });
  });
});
