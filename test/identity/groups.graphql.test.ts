// Permission groups in the graph: create/update/delete, members, User.groups, Query.groups,
// validation of permissions, scopes, tenancy and the version that SCIM publishes as ETag.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
let ann: string;
let bob: string;
let globexUser: string;

const GROUP_FIELDS = `id groupId displayName description externalId external permissions version
  members(first: 10) { totalCount edges { node { email } } }`;
const CREATE = `mutation ($input: CreateGroupInput!) { createGroup(input: $input) { ${GROUP_FIELDS} } }`;
const UPDATE = `mutation ($input: UpdateGroupInput!) { updateGroup(input: $input) { ${GROUP_FIELDS} } }`;
const ADD = `mutation ($input: GroupMembersInput!) { addGroupMembers(input: $input) { ${GROUP_FIELDS} } }`;
const REMOVE = `mutation ($input: GroupMembersInput!) { removeGroupMembers(input: $input) { ${GROUP_FIELDS} } }`;
const DELETE = `mutation ($input: DeleteGroupInput!) { deleteGroup(input: $input) { deletedGroupId } }`;

async function ok(key: string, query: string, variables?: Record<string, unknown>): Promise<Json> {
  const { body } = await gql(t.app, key, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

async function fails(key: string, query: string, variables: Record<string, unknown>): Promise<Json> {
  const { body } = await gql(t.app, key, query, variables);
  expect(body.errors?.length, JSON.stringify(body)).toBeGreaterThan(0);
  return body.errors?.[0];
}

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
  const user = (organizationId: string, email: string) =>
    t.prisma.user.create({ data: { organizationId, email, displayName: email.split("@")[0]! } });
  ann = (await user(acme.id, "ann@acme.example")).id;
  bob = (await user(acme.id, "bob@acme.example")).id;
  globexUser = (await user(globex.id, "gus@globex.example")).id;
});
afterAll(() => t.close());

describe("group mutations", () => {
  it("creates a group with permissions, adds and removes members, renames, deletes", async () => {
    const created = (
      await ok(acme.key, CREATE, {
        input: {
          displayName: "Integrations",
          description: "ETL jobs",
          permissions: ["RECORDS_READ", "SQL_EXECUTE"],
        },
      })
    ).createGroup;
    expect(created).toMatchObject({
      displayName: "Integrations",
      description: "ETL jobs",
      external: false,
      permissions: ["RECORDS_READ", "SQL_EXECUTE"],
      version: 1,
      members: { totalCount: 0, edges: [] },
    });
    const stored = await t.prisma.group.findUniqueOrThrow({ where: { id: created.groupId } });
    expect(stored).toMatchObject({ organizationId: acme.id, permissions: ["records:read", "sql:execute"] });

    const added = (
      await ok(acme.key, ADD, {
        input: { groupId: created.id, userIds: [globalId("User", ann), globalId("User", bob)] },
      })
    ).addGroupMembers;
    expect(added.members.totalCount).toBe(2);
    expect(added.version).toBe(2);
    // Adding a member twice keeps one membership.
    const again = (
      await ok(acme.key, ADD, { input: { groupId: created.id, userIds: [globalId("User", ann)] } })
    ).addGroupMembers;
    expect(again.members.totalCount).toBe(2);

    const removed = (
      await ok(acme.key, REMOVE, { input: { groupId: created.id, userIds: [globalId("User", bob)] } })
    ).removeGroupMembers;
    expect(removed.members.edges.map((e: Json) => e.node.email)).toEqual(["ann@acme.example"]);

    const renamed = (
      await ok(acme.key, UPDATE, {
        input: { groupId: created.id, displayName: "ETL", permissions: ["CATALOG_READ"], description: null },
      })
    ).updateGroup;
    expect(renamed).toMatchObject({ displayName: "ETL", description: null, permissions: ["CATALOG_READ"] });
    expect(renamed.version).toBeGreaterThan(again.version);

    const deleted = (await ok(acme.key, DELETE, { input: { groupId: created.id } })).deleteGroup;
    expect(deleted.deletedGroupId).toBe(created.id);
    expect(await t.prisma.group.count({ where: { id: created.groupId } })).toBe(0);
    expect(await t.prisma.groupMember.count({ where: { groupId: created.groupId } })).toBe(0);
    // The users themselves stay.
    expect(await t.prisma.user.count({ where: { id: { in: [ann, bob] } } })).toBe(2);
  });

  it("refuses a duplicate name with CONFLICT and a blank name with BAD_USER_INPUT/VALIDATION, changing nothing", async () => {
    await ok(acme.key, CREATE, { input: { displayName: "Analysts" } });
    const duplicate = await fails(acme.key, CREATE, { input: { displayName: "Analysts" } });
    expect(duplicate.extensions.code).toBe("CONFLICT");
    const blank = await fails(acme.key, CREATE, { input: { displayName: "   " } });
    expect(blank.extensions.code).toBe("VALIDATION_ERROR");
    expect(await t.prisma.group.count({ where: { organizationId: acme.id, displayName: "Analysts" } })).toBe(
      1,
    );
    // Names differ only in case: still the same name (SCIM compares displayName case-insensitively).
    const upper = await fails(acme.key, CREATE, { input: { displayName: "ANALYSTS" } });
    expect(upper.extensions.code).toBe("CONFLICT");
    // Another organisation may use the same name.
    await ok(globex.key, CREATE, { input: { displayName: "Analysts" } });
  });

  it("refuses an unknown permission at validation", async () => {
    const { body } = await gql(t.app, acme.key, CREATE, {
      input: { displayName: "Bad", permissions: ["EVERYTHING"] },
    });
    expect(body.errors?.[0]?.message).toMatch(/EVERYTHING/);
    expect(await t.prisma.group.count({ where: { displayName: "Bad" } })).toBe(0);
  });

  it("cannot add another organisation's user, nor touch another organisation's group", async () => {
    const group = (await ok(acme.key, CREATE, { input: { displayName: "Tenancy" } })).createGroup;
    const foreignUser = await fails(acme.key, ADD, {
      input: { groupId: group.id, userIds: [globalId("User", globexUser)] },
    });
    expect(foreignUser.extensions.code).toBe("NOT_FOUND");
    expect(await t.prisma.groupMember.count({ where: { groupId: group.groupId } })).toBe(0);

    const foreignGroup = await fails(globex.key, UPDATE, {
      input: { groupId: group.id, displayName: "Mine" },
    });
    expect(foreignGroup.extensions.code).toBe("NOT_FOUND");
    const foreignDelete = await fails(globex.key, DELETE, { input: { groupId: group.id } });
    expect(foreignDelete.extensions.code).toBe("NOT_FOUND");
    const node = await gql(t.app, globex.key, `query ($id: ID!) { node(id: $id) { id } }`, { id: group.id });
    expect(node.body).toEqual({ data: { node: null } });
    expect((await t.prisma.group.findUniqueOrThrow({ where: { id: group.groupId } })).displayName).toBe(
      "Tenancy",
    );
  });

  it("needs org:admin to change groups and users:read to read them", async () => {
    const reader = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    const denied = await fails(reader, CREATE, { input: { displayName: "Nope" } });
    expect(denied.extensions.code).toBe("FORBIDDEN");
    expect(await t.prisma.group.count({ where: { displayName: "Nope" } })).toBe(0);
    const outsider = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    const { body } = await gql(t.app, outsider, `{ groups(first: 5) { totalCount } }`);
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const read = await ok(reader, `{ groups(first: 50) { totalCount edges { node { displayName } } } }`);
    expect(read.groups.totalCount).toBeGreaterThan(0);
  });
});

describe("reading groups", () => {
  it("Query.groups pages by name; User.groups lists a user's groups", async () => {
    const org = await createOrg(t.prisma, "Reading");
    const user = await t.prisma.user.create({
      data: { organizationId: org.id, email: "r@reading.example", displayName: "R" },
    });
    for (const name of ["b-team", "a-team", "c-team"]) {
      const group = (await ok(org.key, CREATE, { input: { displayName: name } })).createGroup;
      if (name !== "c-team") {
        await ok(org.key, ADD, { input: { groupId: group.id, userIds: [globalId("User", user.id)] } });
      }
    }
    const first = await ok(
      org.key,
      `{ groups(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { displayName } } } }`,
    );
    expect(first.groups.totalCount).toBe(3);
    expect(first.groups.edges.map((e: Json) => e.node.displayName)).toEqual(["a-team", "b-team"]);
    const rest = await ok(
      org.key,
      `query ($after: String) { groups(first: 2, after: $after) { edges { node { displayName } } } }`,
      {
        after: first.groups.pageInfo.endCursor,
      },
    );
    expect(rest.groups.edges.map((e: Json) => e.node.displayName)).toEqual(["c-team"]);

    const users = await ok(
      org.key,
      `{ users(first: 10) { edges { node { email groups { displayName } } } } }`,
    );
    const byEmail = Object.fromEntries(
      users.users.edges.map((e: Json) => [e.node.email, e.node.groups.map((g: Json) => g.displayName)]),
    );
    expect(byEmail["r@reading.example"]).toEqual(["a-team", "b-team"]);
    const owner = Object.keys(byEmail).find((email) => email !== "r@reading.example")!;
    expect(byEmail[owner]).toEqual([]);
  });
});

describe("nobody hands out what they do not hold", () => {
  it("an org:admin key cannot mint a broader key, grant permissions it lacks, or join users to a stronger group", async () => {
    const org = await createOrg(t.prisma, "Escalation");
    const admin = await createKey(t.prisma, org, { scopes: ["org:admin", "users:read", "records:read"] });
    const mallory = await t.prisma.user.create({
      data: { organizationId: org.id, email: "mallory@esc.example", displayName: "Mallory" },
    });

    const key = await fails(
      admin,
      `mutation { createApiKey(input: { name: "all", scopes: [ALL] }) { secret } }`,
      {},
    );
    expect(key.extensions.code).toBe("FORBIDDEN");
    expect(key.message).toBe("You cannot grant permissions you do not hold yourself: *");
    const sql = await fails(
      admin,
      `mutation { createApiKey(input: { name: "sql", scopes: [SQL_EXECUTE] }) { secret } }`,
      {},
    );
    expect(sql.extensions.code).toBe("FORBIDDEN");
    expect(
      await t.prisma.apiKey.count({ where: { organizationId: org.id, name: { in: ["all", "sql"] } } }),
    ).toBe(0);
    // Within its own scopes it may.
    await ok(
      admin,
      `mutation { createApiKey(input: { name: "reader", scopes: [RECORDS_READ] }) { secret } }`,
    );

    const strong = await fails(admin, CREATE, {
      input: { displayName: "strong", permissions: ["SQL_EXECUTE"] },
    });
    expect(strong.extensions.code).toBe("FORBIDDEN");
    const weak = (await ok(admin, CREATE, { input: { displayName: "weak", permissions: ["RECORDS_READ"] } }))
      .createGroup;
    const raise = await fails(admin, UPDATE, {
      input: { groupId: weak.id, permissions: ["ORG_ADMIN", "SQL_EXECUTE"] },
    });
    expect(raise.extensions.code).toBe("FORBIDDEN");
    expect((await t.prisma.group.findUniqueOrThrow({ where: { id: weak.groupId } })).permissions).toEqual([
      "records:read",
    ]);

    // A group made by the owner with more than the admin holds: the admin cannot add anyone to it.
    const owners = (
      await ok(org.key, CREATE, { input: { displayName: "owners", permissions: ["SQL_EXECUTE"] } })
    ).createGroup;
    const join = await fails(admin, ADD, {
      input: { groupId: owners.id, userIds: [globalId("User", mallory.id)] },
    });
    expect(join.extensions.code).toBe("FORBIDDEN");
    expect(await t.prisma.groupMember.count({ where: { groupId: owners.groupId } })).toBe(0);
    await ok(admin, ADD, { input: { groupId: weak.id, userIds: [globalId("User", mallory.id)] } });

    // Nor make a refresh token for a user whose groups grant more than the admin holds.
    await ok(org.key, ADD, { input: { groupId: owners.id, userIds: [globalId("User", mallory.id)] } });
    const token = await fails(
      admin,
      `mutation ($input: CreateRefreshTokenInput!) { createRefreshToken(input: $input) { secret } }`,
      { input: { userId: globalId("User", mallory.id), name: "escalate" } },
    );
    expect(token.extensions.code).toBe("FORBIDDEN");
    expect(await t.prisma.refreshToken.count({ where: { userId: mallory.id } })).toBe(0);
  });

  it("membership changes bump the members' versions (their SCIM ETag lists their groups)", async () => {
    const org = await createOrg(t.prisma, "Versions");
    const user = await t.prisma.user.create({
      data: { organizationId: org.id, email: "v@versions.example", displayName: "V" },
    });
    const version = async () => (await t.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).version;
    const group = (await ok(org.key, CREATE, { input: { displayName: "g" } })).createGroup;
    const v0 = await version();
    await ok(org.key, ADD, { input: { groupId: group.id, userIds: [globalId("User", user.id)] } });
    const v1 = await version();
    expect(v1).toBeGreaterThan(v0);
    await ok(org.key, REMOVE, { input: { groupId: group.id, userIds: [globalId("User", user.id)] } });
    const v2 = await version();
    expect(v2).toBeGreaterThan(v1);
    await ok(org.key, ADD, { input: { groupId: group.id, userIds: [globalId("User", user.id)] } });
    const v3 = await version();
    await ok(org.key, UPDATE, { input: { groupId: group.id, description: "no rename" } });
    expect(await version()).toBe(v3);
    await ok(org.key, UPDATE, { input: { groupId: group.id, displayName: "renamed" } });
    const v4 = await version();
    expect(v4).toBeGreaterThan(v3);
    await ok(org.key, DELETE, { input: { groupId: group.id } });
    expect(await version()).toBeGreaterThan(v4);
  });
});
