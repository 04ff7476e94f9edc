// /v1/projects, members and /v1/users' external ids (seed 002): every endpoint, its status
// codes and the surface's error body ({error:{code,message,details}}, 422 for bad bodies).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
let mikeId: string;
let priyaId: string;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
  const mike = await t.prisma.user.create({
    data: { organizationId: acme.id, email: "mike@acme.example", displayName: "Mike", role: "member" },
  });
  const priya = await t.prisma.user.create({
    data: { organizationId: acme.id, email: "priya@acme.example", displayName: "Priya", role: "member" },
  });
  mikeId = mike.id;
  priyaId = priya.id;
});
afterAll(() => t.close());

type Json = Record<string, unknown>;
const call = (
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
  url: string,
  payload?: Json,
  key = acme.key,
) => t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

async function createProject(payload: Json, key = acme.key): Promise<Json & { id: string }> {
  const response = await call("POST", "/v1/projects", payload, key);
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

function expectError(response: { statusCode: number; json(): unknown }, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  const body = response.json() as { error: { code: string; message: string; details: unknown } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.details).toBe("object");
  return body.error;
}

describe("projects", () => {
  it("POST creates (201, Location) with the caller as owner; GET reads it", async () => {
    const response = await call("POST", "/v1/projects", {
      name: "Apollo",
      description: "Moon",
      external_id: "crm-1",
    });
    expect(response.statusCode).toBe(201);
    const project = response.json();
    expect(project).toMatchObject({
      name: "Apollo",
      description: "Moon",
      external_id: "crm-1",
      status: "active",
      archived_at: null,
    });
    expect(response.headers.location).toBe(`/v1/projects/${project.id}`);
    const read = await call("GET", `/v1/projects/${project.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(project);
    const members = (await call("GET", `/v1/projects/${project.id}/members`)).json();
    expect(members.items).toEqual([expect.objectContaining({ user_id: acme.ownerId, role: "owner" })]);
  });

  it("bad bodies are 422 validation_error with details.fields; nothing is created", async () => {
    const before = await t.prisma.project.count();
    for (const payload of [
      {},
      { name: "  " },
      { name: 5 },
      { name: "x", colour: "red" },
      { name: "x", external_id: "" },
    ]) {
      const error = expectError(await call("POST", "/v1/projects", payload), 422, "validation_error");
      expect((error.details as { fields: unknown[] }).fields.length).toBeGreaterThan(0);
    }
    expect(await t.prisma.project.count()).toBe(before);
  });

  it("external_id is unique per organisation (409 conflict), but may repeat across organisations", async () => {
    await createProject({ name: "One", external_id: "dup" });
    expectError(await call("POST", "/v1/projects", { name: "Two", external_id: "dup" }), 409, "conflict");
    await createProject({ name: "Elsewhere", external_id: "dup" }, globex.key);
    const other = await createProject({ name: "Three" });
    expectError(await call("PATCH", `/v1/projects/${other.id}`, { external_id: "dup" }), 409, "conflict");
  });

  it("?external_id= filters", async () => {
    const project = await createProject({ name: "Findable", external_id: "ext-findable" });
    const body = (await call("GET", "/v1/projects?external_id=ext-findable")).json();
    expect(body.items.map((p: Json) => p.id)).toEqual([project.id]);
    expect(body.total).toBe(1);
  });

  it("PATCH changes fields, clears with null; an empty patch is 422", async () => {
    const project = await createProject({ name: "Patch me", description: "d", external_id: "p-1" });
    const response = await call("PATCH", `/v1/projects/${project.id}`, {
      name: "Patched",
      description: null,
      external_id: "p-2",
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: "Patched", description: null, external_id: "p-2" });
    expectError(await call("PATCH", `/v1/projects/${project.id}`, {}), 422, "validation_error");
    expectError(
      await call("PATCH", `/v1/projects/${project.id}`, { status: "deleted" }),
      422,
      "validation_error",
    );
  });

  it("DELETE archives (204): hidden from lists unless include_archived=true or status=archived; PATCH status active restores", async () => {
    const project = await createProject({ name: "Archive me" });
    const response = await call("DELETE", `/v1/projects/${project.id}`);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe("");
    const read = (await call("GET", `/v1/projects/${project.id}`)).json();
    expect(read).toMatchObject({ status: "archived", archived_at: expect.any(String) });
    const ids = async (query: string) =>
      (await call("GET", `/v1/projects${query}`)).json().items.map((p: Json) => p.id);
    expect(await ids("?page_size=100")).not.toContain(project.id);
    expect(await ids("?page_size=100&include_archived=true")).toContain(project.id);
    expect(await ids("?page_size=100&status=archived")).toEqual([project.id]);
    expect((await call("DELETE", `/v1/projects/${project.id}`)).statusCode).toBe(204);
    const restored = await call("PATCH", `/v1/projects/${project.id}`, { status: "active" });
    expect(restored.json()).toMatchObject({ status: "active", archived_at: null });
    expect(await ids("?page_size=100")).toContain(project.id);
  });

  it("pagination: page/page_size (default 50, max 100) in {items,total,page,page_size,pages}", async () => {
    const org = await createOrg(t.prisma, "Paged");
    for (let i = 0; i < 5; i++) await createProject({ name: `p${i}` }, org.key);
    const body = (await call("GET", "/v1/projects?page=2&page_size=2", undefined, org.key)).json();
    expect(body).toMatchObject({ total: 5, page: 2, page_size: 2, pages: 3 });
    expect(body.items.map((p: Json) => p.name)).toEqual(["p2", "p3"]);
    const defaults = (await call("GET", "/v1/projects", undefined, org.key)).json();
    expect(defaults).toMatchObject({ total: 5, page: 1, page_size: 50, pages: 1 });
    expectError(await call("GET", "/v1/projects?page_size=101", undefined, org.key), 422, "validation_error");
    expectError(await call("GET", "/v1/projects?page=0", undefined, org.key), 422, "validation_error");
  });

  it("unknown and foreign ids are 404 not_found", async () => {
    const foreign = await createProject({ name: "Theirs" }, globex.key);
    for (const id of [foreign.id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"]) {
      expectError(await call("GET", `/v1/projects/${id}`), 404, "not_found");
      expectError(await call("PATCH", `/v1/projects/${id}`, { name: "mine" }), 404, "not_found");
      expectError(await call("DELETE", `/v1/projects/${id}`), 404, "not_found");
      expectError(await call("GET", `/v1/projects/${id}/members`), 404, "not_found");
      expectError(
        await call("PUT", `/v1/projects/${id}/members/${mikeId}`, { role: "viewer" }),
        404,
        "not_found",
      );
    }
    expect((await call("GET", `/v1/projects/${foreign.id}`, undefined, globex.key)).json()).toMatchObject({
      name: "Theirs",
      status: "active",
    });
  });
});

describe("members", () => {
  it("PUT adds (201) then updates (200) a member; GET lists; DELETE removes (204)", async () => {
    const project = await createProject({ name: "Team" });
    const added = await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "editor" });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      user_id: mikeId,
      email: "mike@acme.example",
      display_name: "Mike",
      role: "editor",
    });
    const updated = await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "viewer" });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().role).toBe("viewer");
    const list = (await call("GET", `/v1/projects/${project.id}/members`)).json();
    expect(list).toMatchObject({ total: 2, page: 1, page_size: 50, pages: 1 });
    expect(list.items.map((m: Json) => [m.user_id, m.role])).toEqual([
      [acme.ownerId, "owner"],
      [mikeId, "viewer"],
    ]);
    const removed = await call("DELETE", `/v1/projects/${project.id}/members/${mikeId}`);
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe("");
    expectError(await call("DELETE", `/v1/projects/${project.id}/members/${mikeId}`), 404, "not_found");
  });

  it("bad roles are 422; unknown or foreign users are 404", async () => {
    const project = await createProject({ name: "Roles" });
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "god" }),
      422,
      "validation_error",
    );
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, {}),
      422,
      "validation_error",
    );
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${globex.ownerId}`, { role: "viewer" }),
      404,
      "not_found",
    );
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/nobody`, { role: "viewer" }),
      404,
      "not_found",
    );
    expect(await t.prisma.projectMember.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("a deactivated user cannot be added (409), nothing changes", async () => {
    const project = await createProject({ name: "Inactive" });
    const gone = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "gone@acme.example", displayName: "Gone", active: false },
    });
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${gone.id}`, { role: "viewer" }),
      409,
      "conflict",
    );
    expect(await t.prisma.projectMember.count({ where: { projectId: project.id } })).toBe(1);
  });

  it("the last owner can be neither removed nor demoted (409)", async () => {
    const project = await createProject({ name: "Owned" });
    expectError(await call("DELETE", `/v1/projects/${project.id}/members/${acme.ownerId}`), 409, "conflict");
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${acme.ownerId}`, { role: "viewer" }),
      409,
      "conflict",
    );
    await call("PUT", `/v1/projects/${project.id}/members/${priyaId}`, { role: "owner" });
    expect((await call("DELETE", `/v1/projects/${project.id}/members/${acme.ownerId}`)).statusCode).toBe(204);
  });

  it("an archived project's members cannot change (409) but can be listed", async () => {
    const project = await createProject({ name: "Frozen" });
    await call("DELETE", `/v1/projects/${project.id}`);
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "viewer" }),
      409,
      "conflict",
    );
    expectError(await call("DELETE", `/v1/projects/${project.id}/members/${acme.ownerId}`), 409, "conflict");
    expect((await call("GET", `/v1/projects/${project.id}/members`)).json().total).toBe(1);
  });
});

describe("concurrent member changes", () => {
  it("two PUTs of one new member: one 201, one 200, one row", async () => {
    const project = await createProject({ name: "Race" });
    const results = await Promise.all([
      call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "editor" }),
      call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "viewer" }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    expect(await t.prisma.projectMember.count({ where: { projectId: project.id, userId: mikeId } })).toBe(1);
  });

  it("removing two owners at once keeps one (204 and 409)", async () => {
    const project = await createProject({ name: "Two owners" });
    await call("PUT", `/v1/projects/${project.id}/members/${priyaId}`, { role: "owner" });
    const results = await Promise.all([
      call("DELETE", `/v1/projects/${project.id}/members/${acme.ownerId}`),
      call("DELETE", `/v1/projects/${project.id}/members/${priyaId}`),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 409]);
    expect(await t.prisma.projectMember.count({ where: { projectId: project.id, role: "owner" } })).toBe(1);
  });
});

describe("authentication and scopes", () => {
  it("the seed's api_key_* codes", async () => {
    expectError(await t.app.inject({ method: "GET", url: "/v1/projects" }), 401, "api_key_missing");
    expectError(await call("GET", "/v1/projects", undefined, "gwk_nope"), 401, "api_key_invalid");
    const expired = await createKey(t.prisma, acme, {
      scopes: ["projects:read"],
      expiresAt: new Date(Date.now() - 1000),
    });
    expectError(await call("GET", "/v1/projects", undefined, expired), 401, "api_key_expired");
  });

  it("projects:read reads but cannot write (403); projects:write writes", async () => {
    const reader = await createKey(t.prisma, acme, { scopes: ["projects:read"] });
    expect((await call("GET", "/v1/projects", undefined, reader)).statusCode).toBe(200);
    expectError(await call("POST", "/v1/projects", { name: "x" }, reader), 403, "forbidden");
    const project = await createProject({ name: "Scoped" });
    expectError(
      await call("PUT", `/v1/projects/${project.id}/members/${mikeId}`, { role: "viewer" }, reader),
      403,
      "forbidden",
    );
    expectError(await call("DELETE", `/v1/projects/${project.id}`, undefined, reader), 403, "forbidden");
    const other = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    expectError(await call("GET", "/v1/projects", undefined, other), 403, "forbidden");
  });
});

describe("users: external ids and roles", () => {
  it("PATCH sets external_id (and role); GET filters by it; null clears it", async () => {
    const response = await call("PATCH", `/v1/users/${mikeId}`, { external_id: "hr-42" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: mikeId, external_id: "hr-42", role: "member" });
    const list = (await call("GET", "/v1/users?external_id=hr-42")).json();
    expect(list).toMatchObject({ total: 1, page: 1, page_size: 50, pages: 1 });
    expect(list.items.map((u: Json) => u.id)).toEqual([mikeId]);
    const both = await call("PATCH", `/v1/users/${mikeId}`, { role: "admin", external_id: null });
    expect(both.json()).toMatchObject({ role: "admin", external_id: null });
    expect((await call("GET", "/v1/users?external_id=hr-42")).json().total).toBe(0);
  });

  it("a duplicate external_id is 409 conflict and changes nothing", async () => {
    await call("PATCH", `/v1/users/${mikeId}`, { external_id: "same" });
    expectError(
      await call("PATCH", `/v1/users/${priyaId}`, { external_id: "same", role: "admin" }),
      409,
      "conflict",
    );
    const priya = await t.prisma.user.findUniqueOrThrow({ where: { id: priyaId } });
    expect(priya).toMatchObject({ externalId: null, role: "member" });
  });

  it("an empty PATCH or a bad external_id is 422", async () => {
    expectError(await call("PATCH", `/v1/users/${mikeId}`, {}), 422, "validation_error");
    expectError(await call("PATCH", `/v1/users/${mikeId}`, { external_id: "" }), 422, "validation_error");
    expectError(await call("PATCH", `/v1/users/${mikeId}`, { external_id: 7 }), 422, "validation_error");
  });
});

describe("users created with an external id", () => {
  it("UserService.create stores external_id and refuses a duplicate with 409", async () => {
    const { UserService } = await import("../../src/identity/users.service.js");
    const { Viewer } = await import("../../src/identity/viewer.js");
    const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: acme.ownerId } });
    const viewer = Viewer.system({ id: acme.id, name: acme.name }, owner);
    const users = new UserService(t.prisma, viewer);
    const created = await users.create({
      email: "new@acme.example",
      displayName: "New",
      externalId: "hr-new",
    });
    expect(created.externalId).toBe("hr-new");
    await expect(
      users.create({ email: "other@acme.example", displayName: "Other", externalId: "hr-new" }),
    ).rejects.toMatchObject({
      code: "conflict",
      status: 409,
    });
    const listed = (await call("GET", "/v1/users?external_id=hr-new")).json();
    expect(listed.items.map((u: Json) => u.email)).toEqual(["new@acme.example"]);
  });
});
