// @Project Hub holds the projects' folders (docs/catalog.md, "Project Hub"): a project and its
// folder are created, renamed, archived and restored together, over REST and GraphQL alike;
// nobody creates a project folder through the catalog; visibility follows project membership.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  type GraphQLResponse,
  globalId,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { actual, type CatalogApi, catalogApi, expectedError } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
let api: CatalogApi;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
  api = catalogApi(t.app, acme.key);
});
afterAll(() => t.close());

function projects(key: string) {
  const call = (method: "POST" | "PATCH" | "DELETE", url: string, body?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { ...bearer(key), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
  return {
    create: async (name: string) => {
      const response = await call("POST", "/v1/projects", { name });
      expect(response.statusCode).toBe(201);
      return response.json() as { id: string; name: string };
    },
    patch: (id: string, body: unknown) => call("PATCH", `/v1/projects/${id}`, body),
    archive: (id: string) => call("DELETE", `/v1/projects/${id}`),
  };
}

const names = async (catalog: CatalogApi, path: string) =>
  (await catalog.list(path)).json().data.map((item: { name: string }) => item.name) as string[];

const hubItems = (organizationId: string) =>
  t.prisma.catalogItem.count({ where: { organizationId, space: "@Project Hub" } });

describe("project folders over REST", () => {
  it("creating, renaming, archiving and restoring a project is reflected in the catalog", async () => {
    const rest = projects(acme.key);
    const project = await rest.create("Apollo");

    const folder = await api.get("@Project Hub/Apollo");
    expect(folder.statusCode).toBe(200);
    expect(folder.json()).toMatchObject({ name: "Apollo", path: "@Project Hub/Apollo", type: "PROJECT" });
    expect(folder.headers.etag).toBe('"1"');
    expect(await names(api, "@Project Hub")).toContain("Apollo");
    const row = await t.prisma.catalogItem.findFirstOrThrow({ where: { projectId: project.id } });
    expect(row).toMatchObject({ organizationId: acme.id, path: "@Project Hub/Apollo", parentId: null });

    // Content goes into the project folder as into any folder.
    expect((await api.createFolder({ parent_path: "@Project Hub/Apollo", name: "models" })).statusCode).toBe(
      201,
    );
    const asset = await api.createAsset({
      parent_path: "@Project Hub/Apollo/models",
      name: "orders",
      content: "SELECT 1",
    });
    expect(asset.statusCode).toBe(201);
    expect(asset.headers.etag).toBe('"1"');

    // Rename: the folder and its subtree move (a `/` in a project name becomes `-`).
    const renamed = await rest.patch(project.id, { name: "Apollo/II" });
    expect(renamed.statusCode).toBe(200);
    expect(actual(await api.get("@Project Hub/Apollo"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Apollo"),
    );
    const moved = await api.get("@Project Hub/Apollo-II/models/orders");
    expect(moved.statusCode).toBe(200);
    expect(moved.headers.etag).toBe('"2"');
    expect((await api.get("@Project Hub/Apollo-II")).headers.etag).toBe('"2"');
    // Patching other fields leaves the folder alone.
    expect((await rest.patch(project.id, { description: "moon" })).statusCode).toBe(200);
    expect((await api.get("@Project Hub/Apollo-II")).headers.etag).toBe('"2"');

    // Archive: the folder and everything in it answer like missing paths, for reads and changes.
    expect((await rest.archive(project.id)).statusCode).toBe(204);
    expect(await names(api, "@Project Hub")).not.toContain("Apollo-II");
    expect(actual(await api.get("@Project Hub/Apollo-II"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Apollo-II"),
    );
    expect(actual(await api.list("@Project Hub/Apollo-II/models"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Apollo-II/models"),
    );
    expect(actual(await api.get("@Project Hub/Apollo-II/models/orders"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Apollo-II/models/orders"),
    );
    expect(
      actual(
        await api.createAsset({ parent_path: "@Project Hub/Apollo-II", name: "x", content: "SELECT 2" }),
      ),
    ).toEqual(expectedError(404, "Path not found: @Project Hub/Apollo-II"));
    expect(
      actual(await api.updateAsset("@Project Hub/Apollo-II/models/orders", { content: "SELECT 3" }, '"2"')),
    ).toEqual(expectedError(404, "Path not found: @Project Hub/Apollo-II/models/orders"));

    // Restore: everything is back, unchanged.
    expect((await rest.patch(project.id, { status: "active" })).statusCode).toBe(200);
    expect(await names(api, "@Project Hub")).toContain("Apollo-II");
    const restored = await api.get("@Project Hub/Apollo-II/models/orders");
    expect(restored.statusCode).toBe(200);
    expect(restored.json().data.content).toBe("SELECT 1");
  });

  it("a project folder is renamed and archived only with its project", async () => {
    await projects(acme.key).create("Hermes");
    const etag = (await api.get("@Project Hub/Hermes")).headers.etag as string;
    expect(actual(await api.updateFolder("@Project Hub/Hermes", { name: "Other" }, etag))).toEqual(
      expectedError(400, "Project folders are renamed with their project"),
    );
    expect(actual(await api.deleteFolder("@Project Hub/Hermes", etag))).toEqual(
      expectedError(400, "Project folders are archived with their project"),
    );
    expect((await api.get("@Project Hub/Hermes")).headers.etag).toBe(etag);
  });

  it("projects of the same name get distinct folders", async () => {
    const rest = projects(acme.key);
    const first = await rest.create("Twin");
    const second = await rest.create("Twin");
    const folderOf = async (id: string) =>
      (await t.prisma.catalogItem.findFirstOrThrow({ where: { projectId: id } })).path;
    expect(await folderOf(first.id)).toBe("@Project Hub/Twin");
    expect(await folderOf(second.id)).toBe("@Project Hub/Twin (2)");
    // Renaming the first away frees "Twin"; the second keeps its folder until it is renamed.
    await rest.patch(first.id, { name: "Single" });
    expect(await folderOf(first.id)).toBe("@Project Hub/Single");
    await rest.patch(second.id, { name: "Twin", description: "same name, same folder" });
    expect(await folderOf(second.id)).toBe("@Project Hub/Twin (2)");
  });
});

describe("direct creation under @Project Hub", () => {
  it("is refused with nothing created, on both transports", async () => {
    const before = await hubItems(acme.id);
    const detail = "Project folders are created with their project";
    for (const folderType of ["PROJECT", "REGULAR", undefined]) {
      expect(
        actual(
          await api.createFolder({ parent_path: "@Project Hub", name: "rogue", folder_type: folderType }),
        ),
      ).toEqual(expectedError(400, detail));
    }
    expect(
      actual(await api.createAsset({ parent_path: "@Project Hub/", name: "rogue", content: "SELECT 1" })),
    ).toEqual(expectedError(400, detail));
    const response = await gql(
      t.app,
      acme.key,
      `mutation ($input: CreateCatalogFolderInput!) { createCatalogFolder(input: $input) { path } }`,
      { input: { parentPath: "@Project Hub", name: "rogue", folderType: "PROJECT" } },
    );
    expect(response.body.errors?.[0]).toMatchObject({
      message: detail,
      extensions: { code: "VALIDATION_ERROR" },
    });
    expect(await hubItems(acme.id)).toBe(before);
    expect(await names(api, "@Project Hub")).not.toContain("rogue");
  });
});

describe("project folders over GraphQL", () => {
  const FOLDER = "catalogFolder { id path type etag project { name status } }";
  type Folder = { id: string; path: string; type: string; etag: string; project: { name: string } };
  type Result = { catalogFolder: Folder | null; id: string; name: string };

  it("createProject, updateProject, archiveProject and restore are reflected in the graph", async () => {
    const created: GraphQLResponse<{ createProject: Result }> = await gql(
      t.app,
      acme.key,
      `mutation ($input: CreateProjectInput!) { createProject(input: $input) { id name ${FOLDER} } }`,
      { input: { name: "Gemini" } },
    );
    expect(created.body.errors).toBeUndefined();
    const project = created.body.data!.createProject;
    expect(project.catalogFolder).toMatchObject({
      path: "@Project Hub/Gemini",
      type: "PROJECT",
      etag: '"1"',
      project: { name: "Gemini", status: "ACTIVE" },
    });

    const byPath = async (path: string) =>
      (
        await gql<{ catalogItem: { path: string; project: { id: string } | null } | null }>(
          t.app,
          acme.key,
          `query ($path: String!) { catalogItem(path: $path) { path ... on CatalogFolder { project { id } } } }`,
          { path },
        )
      ).body.data!.catalogItem;
    expect(await byPath("@Project Hub/Gemini")).toEqual({
      path: "@Project Hub/Gemini",
      project: { id: project.id },
    });

    const update = (input: Record<string, unknown>) =>
      gql<{ updateProject: Result }>(
        t.app,
        acme.key,
        `mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { id name ${FOLDER} } }`,
        { input: { id: project.id, ...input } },
      );
    const renamed = await update({ name: "Gemini II" });
    expect(renamed.body.errors).toBeUndefined();
    expect(renamed.body.data!.updateProject.catalogFolder).toMatchObject({
      id: project.catalogFolder!.id,
      path: "@Project Hub/Gemini II",
      etag: '"2"',
    });
    expect(await byPath("@Project Hub/Gemini")).toBeNull();

    const archived = await gql<{ archiveProject: Result }>(
      t.app,
      acme.key,
      `mutation ($input: ArchiveProjectInput!) { archiveProject(input: $input) { id ${FOLDER} } }`,
      { input: { id: project.id } },
    );
    expect(archived.body.errors).toBeUndefined();
    expect(archived.body.data!.archiveProject.catalogFolder).toBeNull();
    expect(await byPath("@Project Hub/Gemini II")).toBeNull();
    const node = await gql<{ node: unknown }>(t.app, acme.key, `query ($id: ID!) { node(id: $id) { id } }`, {
      id: project.catalogFolder!.id,
    });
    expect(node.body.data!.node).toBeNull();
    const roots = await gql<{ catalogItem: { children: { edges: Array<{ node: { name: string } }> } } }>(
      t.app,
      acme.key,
      `{ catalogItem(path: "@Project Hub") { ... on CatalogFolder { children(first: 100) { edges { node { name } } } } } }`,
    );
    expect(roots.body.data!.catalogItem.children.edges.map((edge) => edge.node.name)).not.toContain(
      "Gemini II",
    );

    const restored = await update({ status: "ACTIVE" });
    expect(restored.body.errors).toBeUndefined();
    expect(restored.body.data!.updateProject.catalogFolder).toMatchObject({ path: "@Project Hub/Gemini II" });
    expect(await byPath("@Project Hub/Gemini II")).toEqual({
      path: "@Project Hub/Gemini II",
      project: { id: project.id },
    });
  });
});

describe("visibility", () => {
  it("another organisation's project folders are invisible", async () => {
    const theirs = await projects(globex.key).create("Globex secret");
    const folder = await t.prisma.catalogItem.findFirstOrThrow({ where: { projectId: theirs.id } });
    expect(actual(await api.get("@Project Hub/Globex secret"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Globex secret"),
    );
    expect(await names(api, "@Project Hub")).not.toContain("Globex secret");
    expect(actual(await api.createFolder({ parent_path: "@Project Hub/Globex secret", name: "x" }))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Globex secret"),
    );
    const nodeQuery = `query ($id: ID!) { node(id: $id) { ... on CatalogFolder { path } } }`;
    const id = globalId("CatalogFolder", folder.id);
    const node = await gql<{ node: unknown }>(t.app, acme.key, nodeQuery, { id });
    expect(node.body.errors).toBeUndefined();
    expect(node.body.data!.node).toBeNull();
    // Their own owner sees it, by path and by id.
    expect((await catalogApi(t.app, globex.key).get("@Project Hub/Globex secret")).statusCode).toBe(200);
    const own = await gql<{ node: unknown }>(t.app, globex.key, nodeQuery, { id });
    expect(own.body.data!.node).toEqual({ path: "@Project Hub/Globex secret" });
  });

  it("members see their projects' folders; organisation owners and admins see all", async () => {
    const scopes = ["catalog:read", "catalog:write", "projects:read"];
    const userKey = async (email: string, role: string) => {
      const user = await t.prisma.user.create({
        data: { organizationId: acme.id, email, displayName: email, role },
      });
      return { user, key: await createKey(t.prisma, acme, { scopes, userId: user.id }) };
    };
    const member = await userKey("member@acme.example", "member");
    const admin = await userKey("admin@acme.example", "admin");
    const project = await projects(acme.key).create("Members only");
    const asMember = catalogApi(t.app, member.key);

    expect(actual(await asMember.get("@Project Hub/Members only"))).toEqual(
      expectedError(404, "Path not found: @Project Hub/Members only"),
    );
    expect(await names(asMember, "@Project Hub")).not.toContain("Members only");
    expect((await catalogApi(t.app, admin.key).get("@Project Hub/Members only")).statusCode).toBe(200);

    const added = await t.app.inject({
      method: "PUT",
      url: `/v1/projects/${project.id}/members/${member.user.id}`,
      headers: { ...bearer(acme.key), "content-type": "application/json" },
      payload: JSON.stringify({ role: "editor" }),
    });
    expect(added.statusCode).toBe(201);
    expect((await asMember.get("@Project Hub/Members only")).statusCode).toBe(200);
    expect(await names(asMember, "@Project Hub")).toContain("Members only");
    expect(
      (
        await asMember.createAsset({
          parent_path: "@Project Hub/Members only",
          name: "q",
          content: "SELECT 1",
        })
      ).statusCode,
    ).toBe(201);
  });
});
