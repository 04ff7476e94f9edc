// SCIM Groups (seed 003 "SCIM API", RFC 7643 §4.2): every endpoint, the seed's example, members
// and the users' read-only `groups`, PATCH on members, ETags and the error cases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { ABSOLUTE_BASE, expectScimError, GROUP, LIST, type ScimClient, scimClient, user } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let scim: ScimClient;
let john: Json;
let jane: Json;

const MISSING = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  scim = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
  john = (await scim.post("/Users", user("john.doe@example.com", { displayName: "John Doe" }))).body;
  jane = (await scim.post("/Users", user("jane@example.com", { displayName: "Jane Roe" }))).body;
});
afterAll(() => t.close());

function member(u: Json) {
  return { value: u.id, display: u.displayName, $ref: `${ABSOLUTE_BASE}/Users/${u.id}`, type: "USER" };
}

async function createGroup(body: Record<string, unknown>): Promise<Json> {
  const response = await scim.post("/Groups", { schemas: [GROUP], ...body });
  if (response.status !== 201) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

describe("the seed's example", () => {
  it("creates and lists the seed's group: members with display, $ref and type", async () => {
    const response = await scim.post("/Groups", {
      schemas: [GROUP],
      displayName: "Development Team",
      description: "Software development team",
      external: false,
      members: [{ value: john.id }],
    });
    expect(response.status).toBe(201);
    const id = response.body.id;
    expect(response.headers.location).toBe(`${ABSOLUTE_BASE}/Groups/${id}`);
    expect(response.headers.etag).toBe('W/"1"');
    expect(response.body).toEqual({
      schemas: [GROUP],
      id,
      displayName: "Development Team",
      description: "Software development team",
      external: false,
      members: [member(john)],
      meta: {
        resourceType: "Group",
        created: expect.any(String),
        lastModified: expect.any(String),
        location: `${ABSOLUTE_BASE}/Groups/${id}`,
        version: 'W/"1"',
      },
    });
    const listed = await scim.list("Groups", { filter: 'displayName eq "development team"' });
    expect(listed.body).toMatchObject({ schemas: [LIST], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(listed.body.Resources[0]).toEqual(response.body);
    expect((await scim.get(`/Groups/${id}`)).body).toEqual(response.body);
  });
});

describe("members and the users' groups", () => {
  it("shows a user's groups, read-only, with the group's $ref", async () => {
    const group = await createGroup({ displayName: "Readers", members: [{ value: jane.id }] });
    const read = await scim.get(`/Users/${jane.id}`);
    expect(read.body.groups).toContainEqual({
      value: group.id,
      display: "Readers",
      $ref: `${ABSOLUTE_BASE}/Groups/${group.id}`,
      type: "direct",
    });
  });

  it('member type is "USER" in output (seed 003) and any case of it on input', async () => {
    const group = await createGroup({
      displayName: "Typed Members",
      members: [
        { value: john.id, type: "User" },
        { value: jane.id, type: "user" },
      ],
    });
    expect(group.members.map((m: Json) => m.type)).toEqual(["USER", "USER"]);
    const patched = await scim.patch(`/Groups/${group.id}`, [
      { op: "remove", path: `members[value eq "${jane.id}"]` },
      { op: "add", path: "members", value: [{ value: jane.id, type: "USER" }] },
    ]);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    // Members have no order (docs/scim.md): compare as sets.
    expect(patched.body.members.map((m: Json) => `${m.value} ${m.type}`).sort()).toEqual(
      [`${john.id} USER`, `${jane.id} USER`].sort(),
    );
    const filtered = await scim.list("Groups", {
      filter: 'members[type eq "USER"] and displayName eq "Typed Members"',
    });
    expect(filtered.body.totalResults).toBe(1);
    const schema = await scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group");
    const members = schema.body.attributes.find((a: Json) => a.name === "members");
    expect(members.subAttributes.find((a: Json) => a.name === "type").canonicalValues).toEqual(["USER"]);
  });

  it("400 invalidValue for a member that is no user here, or a nested group", async () => {
    expectScimError(
      await scim.post("/Groups", { displayName: "Ghosts", members: [{ value: MISSING }] }),
      400,
      "invalidValue",
    );
    expectScimError(
      await scim.post("/Groups", { displayName: "Ghosts", members: [{ value: "nope" }] }),
      400,
      "invalidValue",
    );
    const inner = await createGroup({ displayName: "Inner" });
    expectScimError(
      await scim.post("/Groups", { displayName: "Outer", members: [{ value: inner.id, type: "Group" }] }),
      400,
      "invalidValue",
    );
  });

  it("never shows or changes the group's permissions", async () => {
    const group = await createGroup({ displayName: "Permitted", members: [{ value: john.id }] });
    await t.prisma.group.update({ where: { id: group.id }, data: { permissions: ["records:read"] } });
    const read = await scim.get(`/Groups/${group.id}`);
    expect(read.body).not.toHaveProperty("permissions");
    await scim.put(`/Groups/${group.id}`, { schemas: [GROUP], displayName: "Permitted 2", permissions: [] });
    const patch = await scim.patch(`/Groups/${group.id}`, [{ op: "replace", value: { permissions: ["*"] } }]);
    expectScimError(patch, 400, "invalidPath");
    const row = await t.prisma.group.findUniqueOrThrow({ where: { id: group.id } });
    expect(row.permissions).toEqual(["records:read"]);
  });
});

describe("listing and filtering", () => {
  let engineers: Json;
  let sales: Json;

  beforeAll(async () => {
    engineers = await createGroup({
      displayName: "Engineers",
      externalId: "ext-eng",
      members: [{ value: john.id }, { value: jane.id }],
    });
    sales = await createGroup({ displayName: "Sales", members: [{ value: jane.id }] });
  });

  const names = (body: Json) => body.Resources.map((g: Json) => g.displayName);

  it.each([
    ['displayName eq "ENGINEERS"', ["Engineers"]],
    ['externalId eq "ext-eng"', ["Engineers"]],
    ['displayName sw "Eng" or displayName sw "Sal"', ["Engineers", "Sales"]],
    ["external eq true", []],
  ])("%s", async (filter, expected) => {
    expect(names((await scim.list("Groups", { filter })).body)).toEqual(expected);
  });

  it("filters by member, as Entra ID checks membership", async () => {
    const filter = `id eq "${engineers.id}" and members[value eq "${john.id}"]`;
    const yes = await scim.list("Groups", { filter, excludedAttributes: "members" });
    expect(yes.body.totalResults).toBe(1);
    expect(yes.body.Resources[0]).not.toHaveProperty("members");
    const no = await scim.list("Groups", {
      filter: `id eq "${sales.id}" and members[value eq "${john.id}"]`,
    });
    expect(no.body.totalResults).toBe(0);
    const byValue = await scim.list("Groups", {
      filter: `members.value eq "${jane.id.toUpperCase()}"`,
      sortBy: "displayName",
    });
    expect(names(byValue.body)).toEqual(expect.arrayContaining(["Engineers", "Sales"]));
    expect(names(byValue.body)).toEqual([...names(byValue.body)].sort());
    const byDisplay = await scim.list("Groups", {
      filter: 'members[display eq "john doe"] and displayName eq "Engineers"',
    });
    expect(byDisplay.body.totalResults).toBe(1);
  });

  it("pages, sorts and projects", async () => {
    const all = await scim.list("Groups", {
      sortBy: "displayName",
      sortOrder: "descending",
      attributes: "displayName",
    });
    expect(names(all.body)).toEqual([...names(all.body)].sort().reverse());
    expect(Object.keys(all.body.Resources[0]).sort()).toEqual(["displayName", "id", "schemas"]);
    const page = await scim.list("Groups", { startIndex: 2, count: 1 });
    expect(page.body).toMatchObject({ startIndex: 2, itemsPerPage: 1, totalResults: all.body.totalResults });
    const total = await scim.list("Groups", { count: 0 });
    expect(total.body).toMatchObject({ totalResults: all.body.totalResults, Resources: [] });
  });

  it("reads a group without its members when asked to (excludedAttributes=members)", async () => {
    const read = await scim.get(`/Groups/${engineers.id}?excludedAttributes=members`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("members");
    expect(read.headers.etag).toBe(engineers.meta.version);
  });

  it("400 invalidFilter for filters on unknown attributes or malformed ones", async () => {
    expectScimError(await scim.list("Groups", { filter: 'userName eq "x"' }), 400, "invalidFilter");
    expectScimError(await scim.list("Groups", { filter: "members[" }), 400, "invalidFilter");
  });

  it("searches with POST /Groups/.search", async () => {
    const response = await scim.post("/Groups/.search", {
      filter: 'displayName eq "Sales"',
      excludedAttributes: ["members"],
    });
    expect(response.body.totalResults).toBe(1);
    expect(response.body.Resources[0]).not.toHaveProperty("members");
  });
});

describe("PATCH", () => {
  it("adds members (Okta and Entra ID), ignores ones already there, removes by filter and by value", async () => {
    const group = await createGroup({ displayName: "Patchers" });
    const added = await scim.patch(`/Groups/${group.id}`, [
      { op: "add", path: "members", value: [{ value: john.id, display: "John Doe" }] },
      { op: "Add", path: "members", value: [{ value: jane.id }, { value: john.id }] },
    ]);
    expect(added.status).toBe(200);
    expect(added.headers.etag).toBe('W/"2"');
    // Multi-valued attributes have no order (RFC 7643 §2.4): members joined together tie.
    const byValue = (a: Json, b: Json) => a.value.localeCompare(b.value);
    expect([...added.body.members].sort(byValue)).toEqual([member(john), member(jane)].sort(byValue));

    const filtered = await scim.patch(`/Groups/${group.id}`, [
      { op: "remove", path: `members[value eq "${john.id}"]` },
    ]);
    expect(filtered.body.members).toEqual([member(jane)]);
    const removed = await scim.patch(`/Groups/${group.id}`, [
      { op: "Remove", path: "members", value: [{ value: jane.id }] },
    ]);
    expect(removed.body.members).toEqual([]);
    expect(removed.headers.etag).toBe('W/"4"');
    // Removing by value what is not there changes nothing.
    const again = await scim.patch(`/Groups/${group.id}`, [
      { op: "Remove", path: "members", value: [{ value: jane.id }] },
    ]);
    expect(again.headers.etag).toBe('W/"4"');
  });

  it("serialises concurrent changes of one group: parallel adds all land, each with its own version", async () => {
    const group = await createGroup({ displayName: "Crowd" });
    const people = await Promise.all(
      [1, 2, 3, 4, 5].map(
        async (n) => (await scim.post("/Users", user(`crowd${n}@example.com`))).body.id as string,
      ),
    );
    const responses = await Promise.all(
      people.map((id) =>
        scim.patch(`/Groups/${group.id}`, [{ op: "add", path: "members", value: [{ value: id }] }]),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(responses.map((r) => r.headers.etag).sort()).toEqual([
      'W/"2"',
      'W/"3"',
      'W/"4"',
      'W/"5"',
      'W/"6"',
    ]);
    const read = await scim.get(`/Groups/${group.id}`);
    expect(read.body.members.map((m: Json) => m.value).sort()).toEqual([...people].sort());
  });

  it("400 noTarget for a member filter that matches nothing", async () => {
    const group = await createGroup({ displayName: "No Target", members: [{ value: john.id }] });
    expectScimError(
      await scim.patch(`/Groups/${group.id}`, [{ op: "remove", path: `members[value eq "${jane.id}"]` }]),
      400,
      "noTarget",
    );
  });

  it("replaces the display name and the whole member list; Okta's replace repeats the id", async () => {
    const group = await createGroup({ displayName: "Renamed", members: [{ value: john.id }] });
    const renamed = await scim.patch(`/Groups/${group.id}`, [
      { op: "replace", value: { id: group.id, displayName: "Renamed Twice" } },
    ]);
    expect(renamed.body.displayName).toBe("Renamed Twice");
    const members = await scim.patch(`/Groups/${group.id}`, [
      { op: "replace", path: "members", value: [{ value: jane.id }] },
    ]);
    expect(members.body.members).toEqual([member(jane)]);
    const cleared = await scim.patch(`/Groups/${group.id}`, [{ op: "remove", path: "members" }]);
    expect(cleared.body.members).toEqual([]);
    expectScimError(
      await scim.patch(`/Groups/${group.id}`, [{ op: "replace", path: "id", value: MISSING }]),
      400,
      "mutability",
    );
  });

  it("400 invalidValue for members that are no users here; nothing changes", async () => {
    const group = await createGroup({ displayName: "Guarded", members: [{ value: john.id }] });
    expectScimError(
      await scim.patch(`/Groups/${group.id}`, [
        { op: "remove", path: "members" },
        { op: "add", path: "members", value: [{ value: MISSING }] },
      ]),
      400,
      "invalidValue",
    );
    const read = await scim.get(`/Groups/${group.id}`);
    expect(read.body.members).toEqual([member(john)]);
    expect(read.headers.etag).toBe('W/"1"');
  });

  it("409 uniqueness for a display name taken (case-insensitively); 404 for an unknown group", async () => {
    await createGroup({ displayName: "Taken Name" });
    const group = await createGroup({ displayName: "Free Name" });
    expectScimError(
      await scim.patch(`/Groups/${group.id}`, [{ op: "replace", path: "displayName", value: "taken name" }]),
      409,
      "uniqueness",
    );
    expectScimError(
      await scim.patch(`/Groups/${MISSING}`, [{ op: "replace", path: "displayName", value: "x" }]),
      404,
    );
  });
});

describe("POST, PUT and DELETE", () => {
  it("409 uniqueness for a taken displayName or externalId; 400 for a missing displayName", async () => {
    await createGroup({ displayName: "Unique", externalId: "unique-ext" });
    expectScimError(await scim.post("/Groups", { displayName: "UNIQUE" }), 409, "uniqueness");
    expectScimError(
      await scim.post("/Groups", { displayName: "Other", externalId: "unique-ext" }),
      409,
      "uniqueness",
    );
    expectScimError(await scim.post("/Groups", { schemas: [GROUP] }), 400, "invalidValue");
    expectScimError(await scim.post("/Groups", "[]"), 400, "invalidSyntax");
  });

  it("PUT replaces name, description and members; omitted ones are cleared", async () => {
    const group = await createGroup({
      displayName: "Put",
      description: "before",
      externalId: "put-ext",
      members: [{ value: john.id }],
    });
    const response = await scim.put(`/Groups/${group.id}`, {
      schemas: [GROUP],
      displayName: "Put After",
      members: [{ value: jane.id }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('W/"2"');
    expect(response.body).toMatchObject({ displayName: "Put After", members: [member(jane)] });
    expect(response.body).not.toHaveProperty("description");
    expect(response.body).not.toHaveProperty("externalId");
    expectScimError(
      await scim.put(`/Groups/${group.id}`, { displayName: "X", id: MISSING }),
      400,
      "mutability",
    );
    expectScimError(await scim.put(`/Groups/${MISSING}`, { displayName: "X" }), 404);
  });

  it("412 on a stale If-Match for PUT, PATCH and DELETE; nothing changes", async () => {
    const group = await createGroup({ displayName: "Stale" });
    await scim.patch(`/Groups/${group.id}`, [{ op: "add", path: "members", value: [{ value: john.id }] }]);
    const stale = { "if-match": 'W/"1"' };
    const put = await scim.put(`/Groups/${group.id}`, { displayName: "Stale 2" }, stale);
    expectScimError(put, 412);
    expect(put.headers.etag).toBe('W/"2"');
    expectScimError(await scim.patch(`/Groups/${group.id}`, [{ op: "remove", path: "members" }], stale), 412);
    expectScimError(await scim.delete(`/Groups/${group.id}`, stale), 412);
    const read = await scim.get(`/Groups/${group.id}`);
    expect(read.body).toMatchObject({
      displayName: "Stale",
      members: [member(john)],
      meta: { version: 'W/"2"' },
    });
    expect((await scim.delete(`/Groups/${group.id}`, { "if-match": 'W/"2"' })).status).toBe(200);
  });

  it('DELETE answers 200 {"status": "200"} as seed 003 documents; the group is gone, its members are not', async () => {
    const group = await createGroup({ displayName: "Doomed", members: [{ value: john.id }] });
    const response = await scim.delete(`/Groups/${group.id}`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(response.body).toEqual({ status: "200" });
    expectScimError(await scim.get(`/Groups/${group.id}`), 404);
    expectScimError(await scim.delete(`/Groups/${group.id}`), 404);
    expect((await scim.get(`/Users/${john.id}`)).status).toBe(200);
    expect((await scim.get(`/Users/${john.id}`)).body.groups.map((g: Json) => g.value)).not.toContain(
      group.id,
    );
  });
});

describe("users' ETags follow their groups (a user's document lists groups[].display)", () => {
  async function version(path: string): Promise<string> {
    const read = await scim.get(path);
    expect(read.status).toBe(200);
    return read.headers.etag as string;
  }

  /** The user's read with its old ETag is no longer a 304, and the old ETag fails If-Match. */
  async function expectChanged(u: Json, old: string): Promise<Json> {
    const path = `/Users/${u.id}`;
    const read = await scim.get(path, { "if-none-match": old });
    expect(read.status).toBe(200);
    expect(read.headers.etag).not.toBe(old);
    expect(read.body.meta.version).toBe(read.headers.etag);
    expectScimError(
      await scim.patch(path, [{ op: "replace", path: "title", value: "x" }], { "if-match": old }),
      412,
    );
    return read.body;
  }

  async function expectUnchanged(u: Json, old: string): Promise<void> {
    expect((await scim.get(`/Users/${u.id}`, { "if-none-match": old })).status).toBe(304);
  }

  it("joining, leaving, a group's rename and its deletion give the members new versions", async () => {
    const ann = (await scim.post("/Users", user("etag-ann@example.com", { displayName: "Ann" }))).body;
    const bob = (await scim.post("/Users", user("etag-bob@example.com", { displayName: "Bob" }))).body;
    const annPath = `/Users/${ann.id}`;
    const bobPath = `/Users/${bob.id}`;

    // POST with members
    let annV = await version(annPath);
    const group = await createGroup({ displayName: "Etag Team", members: [{ value: ann.id }] });
    expect((await expectChanged(ann, annV)).groups).toEqual([
      { value: group.id, display: "Etag Team", $ref: `${ABSOLUTE_BASE}/Groups/${group.id}`, type: "direct" },
    ]);

    // PATCH add
    let bobV = await version(bobPath);
    annV = await version(annPath);
    await scim.patch(`/Groups/${group.id}`, [{ op: "add", path: "members", value: [{ value: bob.id }] }]);
    expect((await expectChanged(bob, bobV)).groups.map((g: Json) => g.value)).toEqual([group.id]);
    await expectUnchanged(ann, annV);

    // A change the members' documents do not show: no new versions.
    bobV = await version(bobPath);
    await scim.patch(`/Groups/${group.id}`, [{ op: "replace", path: "description", value: "quiet" }]);
    await expectUnchanged(ann, annV);
    await expectUnchanged(bob, bobV);

    // Rename (PATCH and PUT): every member's groups[].display changes.
    await scim.patch(`/Groups/${group.id}`, [{ op: "replace", path: "displayName", value: "Etag Crew" }]);
    expect((await expectChanged(ann, annV)).groups[0].display).toBe("Etag Crew");
    expect((await expectChanged(bob, bobV)).groups[0].display).toBe("Etag Crew");

    // PUT replacing the members: the one who left gets a new version, the one who stayed does not.
    annV = await version(annPath);
    bobV = await version(bobPath);
    await scim.put(`/Groups/${group.id}`, { displayName: "Etag Crew", members: [{ value: ann.id }] });
    expect((await expectChanged(bob, bobV)).groups).toEqual([]);
    await expectUnchanged(ann, annV);

    // PATCH remove (by filter, and Entra ID's by-value form)
    bobV = await version(bobPath);
    await scim.patch(`/Groups/${group.id}`, [{ op: "remove", path: `members[value eq "${ann.id}"]` }]);
    expect((await expectChanged(ann, annV)).groups).toEqual([]);
    await expectUnchanged(bob, bobV);
    await scim.patch(`/Groups/${group.id}`, [{ op: "add", path: "members", value: [{ value: bob.id }] }]);
    bobV = await version(bobPath);
    await scim.patch(`/Groups/${group.id}`, [{ op: "Remove", path: "members", value: [{ value: bob.id }] }]);
    await expectChanged(bob, bobV);

    // DELETE
    await scim.patch(`/Groups/${group.id}`, [{ op: "add", path: "members", value: [{ value: ann.id }] }]);
    annV = await version(annPath);
    bobV = await version(bobPath);
    expect((await scim.delete(`/Groups/${group.id}`)).status).toBe(200);
    expect((await expectChanged(ann, annV)).groups).toEqual([]);
    await expectUnchanged(bob, bobV);
  });

  it("a user's rename gives its groups new versions (members[].display); other changes do not", async () => {
    const cid = (await scim.post("/Users", user("etag-cid@example.com", { displayName: "Cid" }))).body;
    const one = await createGroup({ displayName: "Etag One", members: [{ value: cid.id }] });
    const two = await createGroup({ displayName: "Etag Two", members: [{ value: cid.id }] });
    const other = await createGroup({ displayName: "Etag Other", members: [{ value: john.id }] });
    const versions = async () => Promise.all([one, two, other].map((g) => version(`/Groups/${g.id}`)));
    let before = await versions();

    // Changes that leave displayName alone: no new group versions.
    const path = `/Users/${cid.id}`;
    await scim.patch(path, [{ op: "replace", path: "name.givenName", value: "Cidney" }]);
    await scim.put(path, user("etag-cid@example.com", { displayName: "Cid", externalId: "cid-ext" }));
    expect(await versions()).toEqual(before);

    // PATCH rename
    await scim.patch(path, [{ op: "replace", path: "displayName", value: "Cid Renamed" }]);
    for (const [index, g] of [one, two].entries()) {
      const read = await scim.get(`/Groups/${g.id}`, { "if-none-match": before[index]! });
      expect(read.status).toBe(200);
      expect(read.body.members).toEqual([
        { value: cid.id, display: "Cid Renamed", $ref: `${ABSOLUTE_BASE}/Users/${cid.id}`, type: "USER" },
      ]);
      expectScimError(
        await scim.patch(`/Groups/${g.id}`, [{ op: "replace", path: "description", value: "x" }], {
          "if-match": before[index]!,
        }),
        412,
      );
    }
    const after = await versions();
    expect(after[2]).toBe(before[2]);

    // PUT rename
    before = after;
    await scim.put(path, user("etag-cid@example.com", { displayName: "Cid Again", externalId: "cid-ext" }));
    const now = await versions();
    expect(now[0]).not.toBe(before[0]);
    expect(now[1]).not.toBe(before[1]);
    expect(now[2]).toBe(before[2]);
  });
});

describe("concurrent membership changes and renames", () => {
  it("never fail: group writes and user writes that bump each other's versions do not deadlock", async () => {
    const people: Json[] = [];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      people.push(
        (await scim.post("/Users", user(`busy${n}@example.com`, { displayName: `Busy ${n}` }))).body,
      );
    }
    const teams: Json[] = [];
    for (const n of [1, 2, 3]) teams.push(await createGroup({ displayName: `Busy Team ${n}` }));
    // Each round: every group gets a different member list, every user a new name, at once.
    for (const round of [1, 2, 3, 4]) {
      const writes = [
        ...teams.map((team, i) => {
          const members = people.filter((_, j) => (i + j + round) % 3 !== 0);
          const ordered = round % 2 === 0 ? members : [...members].reverse();
          return scim.patch(`/Groups/${team.id}`, [
            { op: "replace", path: "members", value: ordered.map((p) => ({ value: p.id })) },
          ]);
        }),
        ...people.map((person, j) =>
          scim.patch(`/Users/${person.id}`, [
            { op: "replace", path: "displayName", value: `Busy ${j + 1} r${round}` },
          ]),
        ),
      ];
      const responses = await Promise.all(writes);
      expect(
        responses.map((r) => (r.status === 200 ? 200 : `${r.status} ${JSON.stringify(r.body)}`)),
      ).toEqual(responses.map(() => 200));
    }
    // What was written is what is read: every group shows its members' last names.
    for (const team of teams) {
      const read = await scim.get(`/Groups/${team.id}`);
      for (const member of read.body.members) expect(member.display).toMatch(/ r4$/);
    }
  });
});
