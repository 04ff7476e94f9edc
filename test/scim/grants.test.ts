// Nobody grants what they do not hold: joining a group grants its `permissions`, so a SCIM
// caller may add members (POST, PUT, PATCH add/replace) only to groups whose permissions it holds
// itself. Removing members and renaming need no such check; SCIM never changes permissions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { accessToken, publicApi, tokenUser } from "../tokens/helpers.js";
import { expectScimError, GROUP, type ScimClient, scimClient, user } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
/** A key with the scope `scim` only, belonging to `self`. */
let scim: ScimClient;
let owner: ScimClient;
let self: Json;
let other: Json;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  owner = scimClient(t.app, acme.key);
  self = (await owner.post("/Users", user("idp-bot@example.com", { displayName: "IdP Bot" }))).body;
  other = (await owner.post("/Users", user("someone@example.com", { displayName: "Someone" }))).body;
  scim = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"], userId: self.id }));
});
afterAll(() => t.close());

async function groupWith(displayName: string, permissions: string[], members: string[] = []): Promise<Json> {
  const created = await owner.post("/Groups", {
    schemas: [GROUP],
    displayName,
    members: members.map((value) => ({ value })),
  });
  expect(created.status).toBe(201);
  await t.prisma.group.update({ where: { id: created.body.id }, data: { permissions } });
  return (await owner.get(`/Groups/${created.body.id}`)).body;
}

async function memberIds(groupId: string): Promise<string[]> {
  const rows = await t.prisma.groupMember.findMany({ where: { groupId }, select: { userId: true } });
  return rows.map((r) => r.userId).sort();
}

describe("adding members needs the group's permissions", () => {
  it("a scim-only key cannot add itself (or anyone) to an org:admin group: 403 SCIM error, nothing changes", async () => {
    const admins = await groupWith("Admins", ["org:admin"], [other.id]);
    const path = `/Groups/${admins.id}`;
    const selfVersion = (await scim.get(`/Users/${self.id}`)).headers.etag;
    const attempts = [
      () => scim.patch(path, [{ op: "add", path: "members", value: [{ value: self.id }] }]),
      () =>
        scim.patch(path, [{ op: "Add", path: "members", value: [{ value: other.id }, { value: self.id }] }]),
      () => scim.patch(path, [{ op: "replace", path: "members", value: [{ value: self.id }] }]),
      () =>
        scim.patch(path, [{ op: "replace", value: { members: [{ value: other.id }, { value: self.id }] } }]),
      () =>
        scim.patch(path, [
          { op: "remove", path: "members" },
          { op: "add", path: "members", value: [{ value: self.id }] },
        ]),
      () => scim.put(path, { schemas: [GROUP], displayName: "Admins", members: [{ value: self.id }] }),
    ];
    for (const attempt of attempts) {
      const response = await attempt();
      expectScimError(response, 403);
      expect(response.body.scimType).toBeUndefined();
      expect(response.body.detail).toContain("org:admin");
    }
    expect(await memberIds(admins.id)).toEqual([other.id]);
    const read = await owner.get(path);
    expect(read.headers.etag).toBe(admins.meta.version);
    const selfNow = await scim.get(`/Users/${self.id}`);
    expect(selfNow.headers.etag).toBe(selfVersion);
    expect(selfNow.body.groups).toEqual([]);
  });

  it("the same key may remove members, rename and describe such a group, and re-send its members", async () => {
    const admins = await groupWith("Admins 2", ["org:admin", "users:read"], [other.id, self.id]);
    const path = `/Groups/${admins.id}`;
    // Nobody is added: the members sent again are already there.
    const resent = await scim.put(path, {
      schemas: [GROUP],
      displayName: "Admins Two",
      description: "renamed",
      members: [{ value: other.id }, { value: self.id }],
    });
    expect(resent.status).toBe(200);
    const removed = await scim.patch(path, [{ op: "remove", path: `members[value eq "${other.id}"]` }]);
    expect(removed.status).toBe(200);
    expect(await memberIds(admins.id)).toEqual([self.id]);
    // …but not put the removed member back.
    expectScimError(
      await scim.patch(path, [{ op: "add", path: "members", value: [{ value: other.id }] }]),
      403,
    );
    const row = await t.prisma.group.findUniqueOrThrow({ where: { id: admins.id } });
    expect(row.permissions).toEqual(["org:admin", "users:read"]);
    expect(row.displayName).toBe("Admins Two");
  });

  it("adds members to groups granting nothing more than the caller holds ([] or [scim]), and creates groups with members", async () => {
    for (const permissions of [[], ["scim"]]) {
      const group = await groupWith(`Plain ${permissions.length}`, permissions);
      const response = await scim.patch(`/Groups/${group.id}`, [
        { op: "add", path: "members", value: [{ value: self.id }, { value: other.id }] },
      ]);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(await memberIds(group.id)).toEqual([self.id, other.id].sort());
    }
    const created = await scim.post("/Groups", {
      schemas: [GROUP],
      displayName: "Made By The Bot",
      members: [{ value: other.id }],
    });
    expect(created.status).toBe(201);
  });

  it("an owner key (*) may add anyone to any group", async () => {
    const admins = await groupWith("Owners' Pick", ["org:admin", "*"]);
    const response = await owner.patch(`/Groups/${admins.id}`, [
      { op: "add", path: "members", value: [{ value: self.id }] },
    ]);
    expect(response.status).toBe(200);
    expect(await memberIds(admins.id)).toEqual([self.id]);
  });

  it("a PublicApi access token whose groups grant only scim cannot join an org:admin group", async () => {
    const holder = await tokenUser(t, acme, ["scim"]);
    const token = await accessToken(t.app, 1, holder.refreshToken);
    const client = scimClient(t.app, null);
    const headers = publicApi(1, token);
    const admins = await groupWith("Token Admins", ["org:admin"]);
    const response = await client.patch(
      `/Groups/${admins.id}`,
      [{ op: "add", path: "members", value: [{ value: holder.userId }] }],
      headers,
    );
    expectScimError(response, 403);
    expect(await memberIds(admins.id)).toEqual([]);
    // Where its permissions suffice, the token may add.
    const plain = await groupWith("Token Plain", ["scim"]);
    const allowed = await client.patch(
      `/Groups/${plain.id}`,
      [{ op: "add", path: "members", value: [{ value: holder.userId }] }],
      headers,
    );
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
  });
});
