// ETag concurrency and the integrity of folder renames under concurrent changes. On PostgreSQL
// (TEST_DATABASE_URL) the requests really run in parallel over a pool of connections.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { actual, type CatalogApi, catalogApi, expectedError } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let api: CatalogApi;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  api = catalogApi(t.app, acme.key);
});
afterAll(() => t.close());

/** Every item's path is its parent's path (or its namespace) plus its name. */
async function inconsistentPaths(): Promise<unknown[]> {
  return t.prisma.$queryRaw`
    SELECT c.path, p.path AS parent_path FROM catalog_items c
    LEFT JOIN catalog_items p ON p.id = c.parent_id
    WHERE c.path <> COALESCE(p.path, CASE WHEN c.space IN ('@Shared', '@Project Hub') THEN c.space ELSE '@Personal' END) || '/' || c.name`;
}

function statuses(responses: Array<{ statusCode: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
}

describe("of 20 parallel changes carrying the same ETag, exactly one succeeds", () => {
  it("asset updates", async () => {
    await api.createAsset({ parent_path: "@Shared", name: "contended", content: "SELECT 0" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.updateAsset("@Shared/contended", { content: `SELECT ${i + 1}` }, '"1"'),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 412: 19 });
    const winner = responses.find((r) => r.statusCode === 200)!;
    for (const loser of responses.filter((r) => r.statusCode === 412)) {
      expect(actual(loser)).toEqual(
        expectedError(412, 'Entity has been modified. Refresh and retry with current ETag: "2"'),
      );
      expect(loser.headers.etag).toBe('"2"');
    }
    const current = await api.get("@Shared/contended");
    expect(current.headers.etag).toBe('"2"');
    expect(current.json().data.content).toBe(winner.json().data.content);
  });

  it("asset renames", async () => {
    await api.createAsset({ parent_path: "@Shared", name: "moving", content: "SELECT 0" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.updateAsset("@Shared/moving", { name: `moved ${i}` }, '"1"')),
    );
    const counts = statuses(responses);
    expect(counts[200]).toBe(1);
    // The losers either saw the new revision (412) or the path already renamed away (404).
    expect((counts[412] ?? 0) + (counts[404] ?? 0)).toBe(19);
    const names = (await api.list("@Shared")).json().data.map((i: { name: string }) => i.name);
    expect(names.filter((name: string) => name.startsWith("mov"))).toEqual([
      responses.find((r) => r.statusCode === 200)!.json().name,
    ]);
  });

  it("folder renames", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "contended folder" });
    await api.createAsset({ parent_path: "@Shared/contended folder", name: "inside", content: "SELECT 1" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.updateFolder("@Shared/contended folder", { name: `folder ${i}` }, '"1"'),
      ),
    );
    const counts = statuses(responses);
    expect(counts[200]).toBe(1);
    expect((counts[412] ?? 0) + (counts[404] ?? 0)).toBe(19);
    const winner = responses.find((r) => r.statusCode === 200)!.json();
    expect((await api.get(`${winner.path}/inside`)).statusCode).toBe(200);
    expect(await inconsistentPaths()).toEqual([]);
  });

  it("deletes", async () => {
    await api.createAsset({ parent_path: "@Shared", name: "doomed", content: "SELECT 1" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api.deleteAsset("@Shared/doomed", '"1"')),
    );
    const counts = statuses(responses);
    expect(counts[204]).toBe(1);
    expect(counts[404]).toBe(19);
  });
});

describe("a folder rename never loses a concurrent change below it", () => {
  it("descendant edits either land (and move with the folder) or fail with 412/404", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Busy" });
    await api.createFolder({ parent_path: "@Shared/Busy", name: "Sub" });
    const names = Array.from({ length: 12 }, (_, i) => `q${i}`);
    for (const name of names)
      await api.createAsset({ parent_path: "@Shared/Busy/Sub", name, content: "old" });

    const [rename, ...edits] = await Promise.all([
      api.updateFolder("@Shared/Busy", { name: "Calm" }, '"1"'),
      ...names.map((name) => api.updateAsset(`@Shared/Busy/Sub/${name}`, { content: `new ${name}` }, '"1"')),
    ]);
    expect(rename.statusCode).toBe(200);
    for (const [i, name] of names.entries()) {
      const edit = edits[i]!;
      const stored = (await api.get(`@Shared/Calm/Sub/${name}`)).json().data.content;
      if (edit.statusCode === 200) expect(stored).toBe(`new ${name}`);
      else {
        expect([404, 412]).toContain(edit.statusCode);
        expect(stored).toBe("old");
      }
    }
    expect(await inconsistentPaths()).toEqual([]);
  });

  it("items created meanwhile end up under the new path, or are refused with 404", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Growing" });
    await api.createFolder({ parent_path: "@Shared/Growing", name: "Sub" });
    const [rename, ...creates] = await Promise.all([
      api.updateFolder("@Shared/Growing", { name: "Grown" }, '"1"'),
      ...Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? api.createAsset({ parent_path: "@Shared/Growing/Sub", name: `n${i}`, content: "SELECT 1" })
          : api.createFolder({ parent_path: "@Shared/Growing", name: `n${i}` }),
      ),
    ]);
    expect(rename.statusCode).toBe(200);
    for (const created of creates) expect([201, 404]).toContain(created.statusCode);
    expect(await inconsistentPaths()).toEqual([]);
    const under = await t.prisma.catalogItem.count({ where: { path: { startsWith: "@Shared/Growing/" } } });
    expect(under).toBe(0);
  });

  it("nested folders renamed at once both keep a consistent tree", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Outer" });
    await api.createFolder({ parent_path: "@Shared/Outer", name: "Inner" });
    await api.createAsset({ parent_path: "@Shared/Outer/Inner", name: "leaf", content: "SELECT 1" });
    const [outer, inner] = await Promise.all([
      api.updateFolder("@Shared/Outer", { name: "Outer2" }, '"1"'),
      api.updateFolder("@Shared/Outer/Inner", { name: "Inner2" }, '"1"'),
    ]);
    expect(outer.statusCode).toBe(200);
    expect([200, 404, 412]).toContain(inner.statusCode);
    const leaf = inner.statusCode === 200 ? "@Shared/Outer2/Inner2/leaf" : "@Shared/Outer2/Inner/leaf";
    expect((await api.get(leaf)).statusCode).toBe(200);
    expect(await inconsistentPaths()).toEqual([]);
  });

  it("a folder being emptied and filled at once is never deleted with a child in it", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Racing" });
    const [deleted, created] = await Promise.all([
      api.deleteFolder("@Shared/Racing", '"1"'),
      api.createAsset({ parent_path: "@Shared/Racing", name: "late", content: "SELECT 1" }),
    ]);
    if (deleted.statusCode === 204) expect(created.statusCode).toBe(404);
    else {
      expect(actual(deleted)).toEqual(expectedError(400, "Folder is not empty"));
      expect(created.statusCode).toBe(201);
    }
    expect(await inconsistentPaths()).toEqual([]);
  });

  it("a child inserted under a share-locked parent moves with the rename that waited for it", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Locked" });
    await api.createFolder({ parent_path: "@Shared/Locked", name: "Sub" });
    const sub = await t.prisma.catalogItem.findFirstOrThrow({ where: { path: "@Shared/Locked/Sub" } });
    let rename: ReturnType<CatalogApi["updateFolder"]> | undefined;
    // What a create does: share-lock the parent, then insert below it. On PostgreSQL the rename
    // runs meanwhile and must wait for the lock; on PGlite it waits for the one connection.
    await t.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM catalog_items WHERE id = ${sub.id}::uuid FOR SHARE`;
        rename = api.updateFolder("@Shared/Locked", { name: "Unlocked" }, '"1"');
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.catalogItem.create({
          data: {
            organizationId: acme.id,
            space: "@Shared",
            parentId: sub.id,
            kind: "ASSET",
            type: "SQL_SCRIPT",
            name: "late",
            path: "@Shared/Locked/Sub/late",
            content: "SELECT 1",
          },
        });
      },
      { timeout: 20_000 },
    );
    expect((await rename!).statusCode).toBe(200);
    expect(await inconsistentPaths()).toEqual([]);
    expect((await api.get("@Shared/Unlocked/Sub/late")).statusCode).toBe(200);
  });
});
