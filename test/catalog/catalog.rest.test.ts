// Seed 003, Catalog Browse and Catalog Management: every endpoint, status, header and error row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { actual, type CatalogApi, catalogApi, expectedError } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let api: CatalogApi;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  api = catalogApi(t.app, acme.key);
});
afterAll(() => t.close());

async function snapshot() {
  return t.prisma.catalogItem.findMany({ orderBy: { path: "asc" } });
}

describe("create and read", () => {
  it("creates a folder: 201 with ETag, Location and the documented body", async () => {
    const response = await api.createFolder({
      parent_path: "@Personal",
      name: "My Reports",
      folder_type: "REGULAR",
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe("/api/v1/catalog/by-path/@Personal/My%20Reports");
    const body = response.json();
    expect(body).toEqual({
      name: "My Reports",
      path: "@Personal/My Reports",
      type: "REGULAR_FOLDER",
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(body.created_at).toBe(body.updated_at);
  });

  it("creates nested folders (PROJECT type, default REGULAR) under URL-encoded paths with spaces", async () => {
    const reports = await api.createFolder({ parent_path: "@Personal", name: "Reports" });
    expect(reports.statusCode).toBe(201);
    expect(reports.json().type).toBe("REGULAR_FOLDER");
    const project = await api.createFolder({
      parent_path: "@Personal/Reports",
      name: "Sample Project",
      folder_type: "PROJECT",
    });
    expect(project.statusCode).toBe(201);
    expect(project.json()).toMatchObject({ path: "@Personal/Reports/Sample Project", type: "PROJECT" });
    expect(project.headers.location).toBe("/api/v1/catalog/by-path/@Personal/Reports/Sample%20Project");
    const followed = await t.app.inject({
      method: "GET",
      url: project.headers.location as string,
      headers: { authorization: `Bearer ${acme.key}` },
    });
    expect(followed.statusCode).toBe(200);
    expect(followed.headers.etag).toBe('"1"');
  });

  it("creates assets and detects their type from the content", async () => {
    const sql = await api.createAsset({
      parent_path: "@Personal/Reports/Sample Project",
      name: "my_asset",
      content: "SELECT * FROM fact_sales",
    });
    expect(sql.statusCode).toBe(201);
    expect(sql.headers.etag).toBe('"1"');
    expect(sql.headers.location).toBe("/api/v1/catalog/by-path/@Personal/Reports/Sample%20Project/my_asset");
    expect(sql.json()).toEqual({
      name: "my_asset",
      path: "@Personal/Reports/Sample Project/my_asset",
      type: "SQL_SCRIPT",
      data: { content: "SELECT * FROM fact_sales" },
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    const block = await api.createAsset({
      parent_path: "@Personal",
      name: "blocks",
      content: "#+src sql main()\n#+begin\nSELECT 1\n#+end",
    });
    expect(block.json().type).toBe("COGINITI_SCRIPT");
    const template = await api.createAsset({
      parent_path: "@Personal",
      name: "templated",
      content: "SELECT * FROM {{ table }}",
    });
    expect(template.json().type).toBe("COGINITI_SCRIPT");
    const braces = await api.createAsset({
      parent_path: "@Personal",
      name: "json",
      content: "SELECT '{\"a\": 1}'",
    });
    expect(braces.json().type).toBe("SQL_SCRIPT");
  });

  it("gets an asset by path with its ETag and the documented body", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Docs" });
    await api.createAsset({
      parent_path: "@Shared/Docs",
      name: "described",
      content: "SELECT 2",
      description: "Asset description",
    });
    const response = await api.get("@Shared/Docs/described");
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"1"');
    expect(response.json()).toEqual({
      name: "described",
      description: "Asset description",
      path: "@Shared/Docs/described",
      type: "SQL_SCRIPT",
      data: { content: "SELECT 2" },
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
  });

  it("gets a folder by path (empty data) and a namespace root (no ETag)", async () => {
    const folder = await api.get("@Personal/Reports");
    expect(folder.statusCode).toBe(200);
    expect(folder.headers.etag).toBe('"1"');
    expect(folder.json()).toMatchObject({
      name: "Reports",
      path: "@Personal/Reports",
      type: "REGULAR_FOLDER",
      data: {},
      description: null,
    });
    const root = await api.get("@Personal");
    expect(root.statusCode).toBe(200);
    expect(root.headers.etag).toBeUndefined();
    expect(root.json()).toMatchObject({ name: "@Personal", path: "@Personal", type: "USER_HOME" });
    expect((await api.get("@Project Hub")).json()).toMatchObject({
      path: "@Project Hub",
      type: "REGULAR_FOLDER",
    });
  });

  it("answers 404 for missing paths, unknown namespaces and malformed paths", async () => {
    expect(actual(await api.get("@Personal/Reports/nope"))).toEqual(
      expectedError(404, "Path not found: @Personal/Reports/nope"),
    );
    expect(actual(await api.get("@Elsewhere/x"))).toEqual(expectedError(404, "Path not found: @Elsewhere/x"));
    expect(actual(await api.call("GET", "by-path", "@Personal//Reports", { rawUrl: true }))).toEqual(
      expectedError(404, "Path not found: @Personal//Reports"),
    );
  });

  it("accepts a trailing slash and a literal %-sign in names", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "100% done_" });
    const response = await api.call("GET", "list", "@Shared/100%25%20done_/", { rawUrl: true });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ data: [] });
  });
});

describe("GET /catalog/list/{path}", () => {
  it("lists direct children, folders first, in the documented shape", async () => {
    await api.createFolder({ parent_path: "@Personal/Reports/Sample Project", name: "Folder 1" });
    await api.createAsset({
      parent_path: "@Personal/Reports/Sample Project",
      name: "Asset 1",
      content: "SELECT 1",
    });
    await api.createAsset({
      parent_path: "@Personal/Reports/Sample Project/Folder 1",
      name: "deeper",
      content: "SELECT 1",
    });
    const response = await api.call("GET", "list", "@Personal/Reports/Sample%20Project", { rawUrl: true });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      data: [
        {
          name: "Folder 1",
          path: "@Personal/Reports/Sample Project/Folder 1",
          type: "REGULAR_FOLDER",
          created_at: expect.stringMatching(ISO),
          updated_at: expect.stringMatching(ISO),
        },
        {
          name: "Asset 1",
          path: "@Personal/Reports/Sample Project/Asset 1",
          type: "SQL_SCRIPT",
          created_at: expect.stringMatching(ISO),
          updated_at: expect.stringMatching(ISO),
        },
        {
          name: "my_asset",
          path: "@Personal/Reports/Sample Project/my_asset",
          type: "SQL_SCRIPT",
          created_at: expect.stringMatching(ISO),
          updated_at: expect.stringMatching(ISO),
        },
      ],
    });
  });

  it("lists a namespace root", async () => {
    const response = await api.list("@Personal");
    expect(response.statusCode).toBe(200);
    expect(response.json().data.map((item: { name: string }) => item.name)).toEqual([
      "My Reports",
      "Reports",
      "blocks",
      "json",
      "templated",
    ]);
  });

  it("pages with limit and page_token", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Paged" });
    for (const name of ["f2", "f1"]) await api.createFolder({ parent_path: "@Shared/Paged", name });
    for (const name of ["a3", "a1", "a2"])
      await api.createAsset({ parent_path: "@Shared/Paged", name, content: "SELECT 1" });
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const response = await api.call(
        "GET",
        "list",
        `@Shared/Paged?limit=2${token ? `&page_token=${token}` : ""}`,
        { rawUrl: true },
      );
      expect(response.statusCode).toBe(200);
      const body = response.json();
      names.push(...body.data.map((item: { name: string }) => item.name));
      token = body.next_page_token;
      pages += 1;
    } while (token);
    expect(names).toEqual(["f1", "f2", "a1", "a2", "a3"]);
    expect(pages).toBe(3);
    const bad = await api.call("GET", "list", "@Shared/Paged?page_token=garbage", { rawUrl: true });
    expect(actual(bad)).toEqual(expectedError(400, "Invalid page token"));
  });

  it("documented errors: not found 404, asset 400", async () => {
    expect(actual(await api.list("@Personal/Nothing"))).toEqual(
      expectedError(404, "Path not found: @Personal/Nothing"),
    );
    expect(actual(await api.list("@Personal/Reports/Sample Project/my_asset"))).toEqual(
      expectedError(400, "Not a folder: @Personal/Reports/Sample Project/my_asset"),
    );
  });
});

describe("POST /catalog/folders errors", () => {
  const rows: Array<[string, unknown, 400 | 404 | 422, string]> = [
    ["missing parent_path", { name: "x" }, 400, "Parent path is required"],
    ["blank parent_path", { parent_path: "", name: "x" }, 400, "Parent path is required"],
    ["missing name", { parent_path: "@Personal" }, 400, "Name is required"],
    ["blank name", { parent_path: "@Personal", name: "   " }, 400, "Name is required"],
    ["name with /", { parent_path: "@Personal", name: "a/b" }, 400, "Name cannot contain '/' character"],
    [
      "name of 256",
      { parent_path: "@Personal", name: "n".repeat(256) },
      400,
      "Name exceeds maximum length of 255 characters",
    ],
    [
      "name '..' (unaddressable in URLs)",
      { parent_path: "@Personal", name: ".." },
      400,
      "Name cannot be '.' or '..'",
    ],
    ["name '.'", { parent_path: "@Personal", name: "." }, 400, "Name cannot be '.' or '..'"],
    [
      "invalid folder_type",
      { parent_path: "@Personal", name: "x", folder_type: "SPECIAL" },
      400,
      "Invalid value for folder_type",
    ],
    [
      "parent not found",
      { parent_path: "@Personal/nonexistent", name: "x" },
      404,
      "Path not found: @Personal/nonexistent",
    ],
    ["unknown namespace", { parent_path: "Reports", name: "x" }, 404, "Path not found: Reports"],
    ["name exists", { parent_path: "@Personal", name: "Reports" }, 400, "Name already exists."],
    [
      "parent is an asset",
      { parent_path: "@Personal/blocks", name: "x" },
      422,
      "Parent path must be a folder",
    ],
  ];
  it.each(rows)("%s", async (_label, body, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.createFolder(body))).toEqual(expectedError(status, detail));
    expect(await snapshot()).toEqual(before);
  });

  it("accepts a name of exactly 255 characters (counted as characters, not bytes)", async () => {
    const name = "é".repeat(255);
    const response = await api.createFolder({ parent_path: "@Shared", name });
    expect(response.statusCode).toBe(201);
    expect(response.json().name).toBe(name);
  });
});

describe("POST /catalog/assets errors", () => {
  const rows: Array<[string, unknown, 400 | 404 | 422, string]> = [
    ["missing parent_path", { name: "x", content: "SELECT 1" }, 400, "Parent path is required"],
    ["missing name", { parent_path: "@Personal", content: "SELECT 1" }, 400, "Name is required"],
    ["missing content", { parent_path: "@Personal", name: "x" }, 400, "Content is required"],
    ["null content", { parent_path: "@Personal", name: "x", content: null }, 400, "Content is required"],
    [
      "name with /",
      { parent_path: "@Personal", name: "a/b", content: "SELECT 1" },
      400,
      "Name cannot contain '/' character",
    ],
    [
      "name of 256",
      { parent_path: "@Personal", name: "n".repeat(256), content: "SELECT 1" },
      400,
      "Name exceeds maximum length of 255 characters",
    ],
    [
      "parent not found",
      { parent_path: "@Personal/nonexistent", name: "x", content: "SELECT 1" },
      404,
      "Path not found: @Personal/nonexistent",
    ],
    [
      "name exists (asset)",
      { parent_path: "@Personal", name: "blocks", content: "SELECT 1" },
      400,
      "Name already exists.",
    ],
    [
      "name exists (folder)",
      { parent_path: "@Personal", name: "Reports", content: "SELECT 1" },
      400,
      "Name already exists.",
    ],
    [
      "parent is an asset",
      { parent_path: "@Personal/blocks", name: "x", content: "SELECT 1" },
      422,
      "Parent path must be a folder",
    ],
  ];
  it.each(rows)("%s", async (_label, body, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.createAsset(body))).toEqual(expectedError(status, detail));
    expect(await snapshot()).toEqual(before);
  });

  it("content over 15 MB: 400 whether or not the body fits the route's limit", async () => {
    const before = await snapshot();
    const over = "x".repeat(15 * 1024 * 1024 + 1);
    expect(actual(await api.createAsset({ parent_path: "@Personal", name: "big", content: over }))).toEqual(
      expectedError(400, "Content exceeds the 15 MB size limit"),
    );
    // Quotes escape to two bytes each: this body is far beyond the route's body limit.
    const escaped = '"'.repeat(50 * 1024 * 1024);
    expect(
      actual(await api.createAsset({ parent_path: "@Personal", name: "big", content: escaped })),
    ).toEqual(expectedError(400, "Content exceeds the 15 MB size limit"));
    expect(await snapshot()).toEqual(before);
  });

  it("accepts content of exactly 15 MB (over the app's default body limit)", async () => {
    const content = `SELECT '${"y".repeat(15 * 1024 * 1024 - 9)}'`;
    expect(Buffer.byteLength(content)).toBe(15 * 1024 * 1024);
    const response = await api.createAsset({ parent_path: "@Shared", name: "fifteen", content });
    expect(response.statusCode).toBe(201);
    expect((await api.get("@Shared/fifteen")).json().data.content.length).toBe(content.length);
    const deleted = await api.deleteAsset("@Shared/fifteen", '"1"');
    expect(deleted.statusCode).toBe(204);
  });
});

describe("PUT /catalog/folders/{path}", () => {
  it("renames a folder and moves every descendant's path (ETags of descendants change too)", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "Old Name" });
    await api.createFolder({ parent_path: "@Shared/Old Name", name: "Sub" });
    await api.createAsset({ parent_path: "@Shared/Old Name/Sub", name: "leaf", content: "SELECT 1" });
    await api.createAsset({ parent_path: "@Shared/Old Name", name: "top", content: "SELECT 2" });
    // A sibling whose name starts like the folder's must not move.
    await api.createFolder({ parent_path: "@Shared", name: "Old Name2" });
    await api.createAsset({ parent_path: "@Shared/Old Name2", name: "stay", content: "SELECT 3" });

    const response = await api.updateFolder("@Shared/Old Name", { name: "New Name" }, '"1"');
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    const body = response.json();
    expect(body).toEqual({
      name: "New Name",
      path: "@Shared/New Name",
      type: "REGULAR_FOLDER",
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(new Date(body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(body.created_at).getTime());

    const leaf = await api.get("@Shared/New Name/Sub/leaf");
    expect(leaf.statusCode).toBe(200);
    expect(leaf.json().path).toBe("@Shared/New Name/Sub/leaf");
    expect(leaf.headers.etag).toBe('"2"');
    expect((await api.get("@Shared/New Name/top")).statusCode).toBe(200);
    expect((await api.get("@Shared/Old Name/top")).statusCode).toBe(404);
    expect((await api.get("@Shared/Old Name2/stay")).headers.etag).toBe('"1"');
    expect((await api.list("@Shared/New Name")).json().data.map((i: { path: string }) => i.path)).toEqual([
      "@Shared/New Name/Sub",
      "@Shared/New Name/top",
    ]);
  });

  it("renames a folder whose name holds LIKE wildcards without touching look-alikes", async () => {
    await api.createFolder({ parent_path: "@Shared", name: "a_b%" });
    await api.createAsset({ parent_path: "@Shared/a_b%", name: "in", content: "SELECT 1" });
    await api.createFolder({ parent_path: "@Shared", name: "axbyz" });
    await api.createAsset({ parent_path: "@Shared/axbyz", name: "out", content: "SELECT 1" });
    expect((await api.updateFolder("@Shared/a_b%", { name: "renamed" }, '"1"')).statusCode).toBe(200);
    expect((await api.get("@Shared/renamed/in")).statusCode).toBe(200);
    expect((await api.get("@Shared/axbyz/out")).json().path).toBe("@Shared/axbyz/out");
  });

  it("without a name it changes nothing and keeps the ETag", async () => {
    const response = await api.updateFolder("@Shared/New Name", {}, '"2"');
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
  });

  const rows: Array<[string, string, unknown, string | undefined, 400 | 404 | 412 | 422 | 428, string]> = [
    ["missing If-Match", "@Shared/New Name", { name: "x" }, undefined, 428, "If-Match header is required"],
    [
      "missing If-Match beats a bad body",
      "@Shared/New Name",
      { name: "a/b" },
      undefined,
      428,
      "If-Match header is required",
    ],
    [
      "stale ETag",
      "@Shared/New Name",
      { name: "x" },
      '"1"',
      412,
      'Entity has been modified. Refresh and retry with current ETag: "2"',
    ],
    [
      "weak ETag never matches",
      "@Shared/New Name",
      { name: "x" },
      'W/"2"',
      412,
      'Entity has been modified. Refresh and retry with current ETag: "2"',
    ],
    [
      "unquoted ETag",
      "@Shared/New Name",
      { name: "x" },
      "2",
      412,
      'Entity has been modified. Refresh and retry with current ETag: "2"',
    ],
    [
      "path not found",
      "@Personal/nonexistent",
      { name: "x" },
      '"1"',
      404,
      "Path not found: @Personal/nonexistent",
    ],
    ["path is an asset", "@Shared/New Name/top", { name: "x" }, '"2"', 422, "Path must be a folder"],
    ["name with /", "@Shared/New Name", { name: "a/b" }, '"2"', 400, "Name cannot contain '/' character"],
    [
      "name of 256",
      "@Shared/New Name",
      { name: "n".repeat(256) },
      '"2"',
      400,
      "Name exceeds maximum length of 255 characters",
    ],
    ["name exists", "@Shared/New Name", { name: "Old Name2" }, '"2"', 400, "Name already exists."],
    ["name exists (an asset)", "@Shared/New Name/Sub", { name: "top" }, '"2"', 400, "Name already exists."],
  ];
  it.each(rows)("%s", async (_label, path, body, ifMatch, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.updateFolder(path, body, ifMatch))).toEqual(expectedError(status, detail));
    expect(await snapshot()).toEqual(before);
  });

  it("a namespace root cannot be renamed", async () => {
    expect(actual(await api.updateFolder("@Shared", { name: "x" }, "*"))).toEqual(
      expectedError(403, "You don't have permission to perform the request"),
    );
  });

  it("If-Match accepts * and a list of tags", async () => {
    const listed = await api.updateFolder("@Shared/New Name", { name: "Newer" }, '"7", "2"');
    expect(listed.statusCode).toBe(200);
    const star = await api.updateFolder("@Shared/Newer", { name: "New Name" }, "*");
    expect(star.statusCode).toBe(200);
    expect(star.headers.etag).toBe('"4"');
  });
});

describe("PUT /catalog/assets/{path}", () => {
  it("replaces content (re-detecting the type), renames, bumps the ETag", async () => {
    await api.createAsset({ parent_path: "@Personal", name: "my_script", content: "SELECT * FROM t" });
    const content = await api.updateAsset(
      "@Personal/my_script",
      { content: "SELECT * FROM {{ updated_table }}" },
      '"1"',
    );
    expect(content.statusCode).toBe(200);
    expect(content.headers.etag).toBe('"2"');
    expect(content.json()).toEqual({
      name: "my_script",
      path: "@Personal/my_script",
      type: "COGINITI_SCRIPT",
      data: { content: "SELECT * FROM {{ updated_table }}" },
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    const renamed = await api.updateAsset(
      "@Personal/my_script",
      { name: "updated_report", content: "SELECT 2025" },
      '"2"',
    );
    expect(renamed.statusCode).toBe(200);
    expect(renamed.headers.etag).toBe('"3"');
    expect(renamed.json()).toMatchObject({
      name: "updated_report",
      path: "@Personal/updated_report",
      type: "SQL_SCRIPT",
      data: { content: "SELECT 2025" },
    });
    expect((await api.get("@Personal/my_script")).statusCode).toBe(404);
    const described = await api.updateAsset(
      "@Personal/updated_report",
      { description: "now described" },
      '"3"',
    );
    expect(described.statusCode).toBe(200);
    expect((await api.get("@Personal/updated_report")).json()).toMatchObject({
      description: "now described",
      data: { content: "SELECT 2025" },
    });
  });

  const rows: Array<[string, string, unknown, string | undefined, 400 | 404 | 412 | 422 | 428, string]> = [
    [
      "missing If-Match",
      "@Personal/updated_report",
      { content: "x" },
      undefined,
      428,
      "If-Match header is required",
    ],
    [
      "blank If-Match",
      "@Personal/updated_report",
      { content: "x" },
      "  ",
      428,
      "If-Match header is required",
    ],
    [
      "stale ETag",
      "@Personal/updated_report",
      { content: "x" },
      '"1"',
      412,
      'Entity has been modified. Refresh and retry with current ETag: "4"',
    ],
    [
      "path not found",
      "@Personal/nonexistent",
      { content: "x" },
      '"1"',
      404,
      "Path not found: @Personal/nonexistent",
    ],
    ["path is a folder", "@Personal/Reports", { content: "x" }, '"1"', 422, "Path must be an asset"],
    ["a root is not an asset", "@Personal", { content: "x" }, '"1"', 422, "Path must be an asset"],
    [
      "name with /",
      "@Personal/updated_report",
      { name: "a/b" },
      '"4"',
      400,
      "Name cannot contain '/' character",
    ],
    [
      "name of 256",
      "@Personal/updated_report",
      { name: "n".repeat(256) },
      '"4"',
      400,
      "Name exceeds maximum length of 255 characters",
    ],
    ["name exists", "@Personal/updated_report", { name: "Reports" }, '"4"', 400, "Name already exists."],
    ["no field", "@Personal/updated_report", {}, '"4"', 400, "At least one field should be provided"],
  ];
  it.each(rows)("%s", async (_label, path, body, ifMatch, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.updateAsset(path, body, ifMatch))).toEqual(expectedError(status, detail));
    expect(await snapshot()).toEqual(before);
  });

  it("content over 15 MB: 400, nothing changed", async () => {
    const before = await snapshot();
    const over = "x".repeat(15 * 1024 * 1024 + 1);
    expect(actual(await api.updateAsset("@Personal/updated_report", { content: over }, '"4"'))).toEqual(
      expectedError(400, "Content exceeds the 15 MB size limit"),
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe("DELETE /catalog/folders/{path} and /catalog/assets/{path}", () => {
  it("deletes an empty folder (204) and an asset (204)", async () => {
    const folder = await api.createFolder({ parent_path: "@Personal", name: "empty-folder" });
    const response = await api.deleteFolder("@Personal/empty-folder", folder.headers.etag as string);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe("");
    expect((await api.get("@Personal/empty-folder")).statusCode).toBe(404);

    await api.createAsset({ parent_path: "@Personal", name: "old_script", content: "SELECT 1" });
    const asset = await api.deleteAsset("@Personal/old_script", '"1"');
    expect(asset.statusCode).toBe(204);
    expect((await api.get("@Personal/old_script")).statusCode).toBe(404);
  });

  const folderRows: Array<[string, string, string | undefined, 400 | 403 | 404 | 412 | 422 | 428, string]> = [
    ["missing If-Match", "@Personal/Reports", undefined, 428, "If-Match header is required"],
    [
      "stale ETag",
      "@Personal/Reports",
      '"9"',
      412,
      'Entity has been modified. Refresh and retry with current ETag: "1"',
    ],
    ["path not found", "@Personal/nonexistent", '"1"', 404, "Path not found: @Personal/nonexistent"],
    ["path is an asset", "@Personal/blocks", '"1"', 422, "Path must be a folder"],
    ["folder not empty", "@Personal/Reports", '"1"', 400, "Folder is not empty"],
    ["a namespace root", "@Personal", "*", 403, "You don't have permission to perform the request"],
  ];
  it.each(folderRows)("folder: %s", async (_label, path, ifMatch, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.deleteFolder(path, ifMatch))).toEqual(expectedError(status as 400, detail));
    expect(await snapshot()).toEqual(before);
  });

  const assetRows: Array<[string, string, string | undefined, 404 | 412 | 422 | 428, string]> = [
    ["missing If-Match", "@Personal/blocks", undefined, 428, "If-Match header is required"],
    [
      "stale ETag",
      "@Personal/blocks",
      '"0"',
      412,
      'Entity has been modified. Refresh and retry with current ETag: "1"',
    ],
    ["path not found", "@Personal/nonexistent", '"1"', 404, "Path not found: @Personal/nonexistent"],
    ["path is a folder", "@Personal/Reports", '"1"', 422, "Path must be an asset"],
  ];
  it.each(assetRows)("asset: %s", async (_label, path, ifMatch, status, detail) => {
    const before = await snapshot();
    expect(actual(await api.deleteAsset(path, ifMatch))).toEqual(expectedError(status, detail));
    expect(await snapshot()).toEqual(before);
  });
});

describe("authentication and scopes", () => {
  it("requires a key (401)", async () => {
    const response = await t.app.inject({ method: "GET", url: "/api/v1/catalog/list/@Shared" });
    expect(response.statusCode).toBe(401);
    expect(response.json().message).toBe("No valid API key was provided");
  });

  it("a key without catalog:read gets 403 on reads; catalog:read alone cannot change anything", async () => {
    const none = catalogApi(t.app, await createKey(t.prisma, acme, { scopes: ["users:read"] }));
    const forbidden = expectedError(403, "You don't have permission to perform the request");
    expect(actual(await none.list("@Shared"))).toEqual(forbidden);
    expect(actual(await none.get("@Shared/Docs/described"))).toEqual(forbidden);
    const reader = catalogApi(t.app, await createKey(t.prisma, acme, { scopes: ["catalog:read"] }));
    expect((await reader.list("@Shared")).statusCode).toBe(200);
    const before = await snapshot();
    expect(actual(await reader.createFolder({ parent_path: "@Shared", name: "x" }))).toEqual(forbidden);
    expect(actual(await reader.createAsset({ parent_path: "@Shared", name: "x", content: "y" }))).toEqual(
      forbidden,
    );
    expect(actual(await reader.updateAsset("@Shared/Docs/described", { content: "x" }, '"1"'))).toEqual(
      forbidden,
    );
    expect(actual(await reader.deleteAsset("@Shared/Docs/described", '"1"'))).toEqual(forbidden);
    // The scope is checked before the condition, as in GraphQL.
    expect(actual(await reader.updateFolder("@Shared/Docs", { name: "x" }))).toEqual(forbidden);
    expect(await snapshot()).toEqual(before);
  });
});

describe("tenancy", () => {
  it("another organisation sees none of Acme's paths: every answer is a missing path", async () => {
    const globex = await createOrg(t.prisma, "Globex");
    const other = catalogApi(t.app, globex.key);
    const before = await snapshot();
    expect(actual(await other.get("@Shared/Docs/described"))).toEqual(
      expectedError(404, "Path not found: @Shared/Docs/described"),
    );
    expect(actual(await other.list("@Shared/Docs"))).toEqual(
      expectedError(404, "Path not found: @Shared/Docs"),
    );
    expect((await other.list("@Shared")).json()).toEqual({ data: [] });
    expect(actual(await other.createAsset({ parent_path: "@Shared/Docs", name: "x", content: "y" }))).toEqual(
      expectedError(404, "Path not found: @Shared/Docs"),
    );
    expect(actual(await other.updateAsset("@Shared/Docs/described", { content: "x" }, '"1"'))).toEqual(
      expectedError(404, "Path not found: @Shared/Docs/described"),
    );
    expect(actual(await other.deleteFolder("@Shared/Docs", '"1"'))).toEqual(
      expectedError(404, "Path not found: @Shared/Docs"),
    );
    expect(await snapshot()).toEqual(before);
    // Globex has its own @Shared, with the same names free.
    expect((await other.createFolder({ parent_path: "@Shared", name: "Docs" })).statusCode).toBe(201);
  });

  it("@Personal is each user's own: another user's items look missing; @Shared is common", async () => {
    const bob = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "bob@acme.example", displayName: "Bob" },
    });
    const bobApi = catalogApi(
      t.app,
      await createKey(t.prisma, acme, { scopes: ["catalog:read", "catalog:write"], userId: bob.id }),
    );
    const before = await snapshot();
    expect(actual(await bobApi.get("@Personal/Reports"))).toEqual(
      expectedError(404, "Path not found: @Personal/Reports"),
    );
    expect(actual(await bobApi.list("@Personal/Reports"))).toEqual(
      expectedError(404, "Path not found: @Personal/Reports"),
    );
    expect((await bobApi.list("@Personal")).json()).toEqual({ data: [] });
    expect(actual(await bobApi.updateFolder("@Personal/Reports", { name: "Mine" }, '"1"'))).toEqual(
      expectedError(404, "Path not found: @Personal/Reports"),
    );
    expect(actual(await bobApi.deleteAsset("@Personal/blocks", '"1"'))).toEqual(
      expectedError(404, "Path not found: @Personal/blocks"),
    );
    expect(await snapshot()).toEqual(before);
    expect((await bobApi.get("@Shared/Docs/described")).statusCode).toBe(200);
    // Bob's own @Personal/Reports is a different folder from the owner's.
    expect((await bobApi.createFolder({ parent_path: "@Personal", name: "Reports" })).statusCode).toBe(201);
    expect((await bobApi.list("@Personal")).json().data.map((i: { name: string }) => i.name)).toEqual([
      "Reports",
    ]);
    expect((await api.list("@Personal/Reports")).json().data.map((i: { name: string }) => i.name)).toEqual([
      "Sample Project",
    ]);
  });
});
