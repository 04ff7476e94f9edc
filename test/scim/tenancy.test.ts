// Every SCIM read and write is confined to the key's organisation: another tenant's users and
// groups are "not found", never listed, and cannot become members.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createOrg, createTestApp, type Json, type TestApp } from "../helpers/app.js";
import { expectScimError, GROUP, type ScimClient, scimClient, user } from "./helpers.js";

let t: TestApp;
let a: ScimClient;
let b: ScimClient;
let bUser: Json;
let bGroup: Json;
let aUser: Json;
let aGroup: Json;

beforeAll(async () => {
  t = await createTestApp();
  const orgA = await createOrg(t.prisma, "Tenant A");
  const orgB = await createOrg(t.prisma, "Tenant B");
  a = scimClient(t.app, await createKey(t.prisma, orgA, { scopes: ["scim"] }));
  b = scimClient(t.app, await createKey(t.prisma, orgB, { scopes: ["scim"] }));
  bUser = (await b.post("/Users", user("shared@example.com", { externalId: "shared-ext" }))).body;
  bGroup = (
    await b.post("/Groups", { schemas: [GROUP], displayName: "Shared", members: [{ value: bUser.id }] })
  ).body;
  aUser = (await a.post("/Users", user("a-only@example.com"))).body;
  aGroup = (await a.post("/Groups", { schemas: [GROUP], displayName: "A Team" })).body;
});
afterAll(() => t.close());

describe("tenancy", () => {
  it("cannot read, replace, patch or delete another organisation's user", async () => {
    const path = `/Users/${bUser.id}`;
    const version = (await b.get(path)).body.meta.version;
    expectScimError(await a.get(path), 404);
    expectScimError(await a.put(path, user("shared@example.com")), 404);
    expectScimError(await a.patch(path, [{ op: "replace", value: { active: false } }]), 404);
    expectScimError(await a.delete(path), 404);
    const still = await b.get(path);
    expect(still.body).toMatchObject({ active: true, meta: { version } });
  });

  it("cannot read, replace, patch or delete another organisation's group", async () => {
    const path = `/Groups/${bGroup.id}`;
    expectScimError(await a.get(path), 404);
    expectScimError(await a.put(path, { displayName: "Mine now" }), 404);
    expectScimError(await a.patch(path, [{ op: "remove", path: "members" }]), 404);
    expectScimError(await a.delete(path), 404);
    expect((await b.get(path)).body.members).toHaveLength(1);
  });

  it("never lists or matches another organisation's users and groups", async () => {
    const users = await a.list("Users", {
      filter: `id eq "${bUser.id}" or userName eq "shared@example.com" or externalId eq "shared-ext"`,
    });
    expect(users.body.totalResults).toBe(0);
    const all = await a.list("Users", { count: 200 });
    expect(all.body.Resources.map((u: Json) => u.id)).not.toContain(bUser.id);
    const groups = await a.list("Groups", {
      filter: `members[value eq "${bUser.id}"] or displayName eq "Shared"`,
    });
    expect(groups.body.totalResults).toBe(0);
    expect((await a.list("Groups")).body.Resources.map((g: Json) => g.id)).toEqual([aGroup.id]);
  });

  it("cannot add another organisation's user to its own group", async () => {
    expectScimError(
      await a.post("/Groups", { displayName: "Raid", members: [{ value: bUser.id }] }),
      400,
      "invalidValue",
    );
    const path = `/Groups/${aGroup.id}`;
    expectScimError(
      await a.patch(path, [{ op: "add", path: "members", value: [{ value: bUser.id }] }]),
      400,
      "invalidValue",
    );
    expectScimError(
      await a.put(path, { displayName: "A Team", members: [{ value: bUser.id }] }),
      400,
      "invalidValue",
    );
    expect((await a.get(path)).body.members).toEqual([]);
    // nor can B add A's user
    expectScimError(
      await b.patch(`/Groups/${bGroup.id}`, [{ op: "add", path: "members", value: [{ value: aUser.id }] }]),
      400,
      "invalidValue",
    );
  });

  it("keeps uniqueness per organisation: the same userName, e-mail, externalId and group name are free elsewhere", async () => {
    const same = await a.post("/Users", user("shared@example.com", { externalId: "shared-ext" }));
    expect(same.status).toBe(201);
    expect(same.body.id).not.toBe(bUser.id);
    const group = await a.post("/Groups", { displayName: "Shared" });
    expect(group.status).toBe(201);
  });
});
