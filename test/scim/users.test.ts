// SCIM Users (seed 003 "SCIM API", RFC 7643 §4.1, RFC 7644 §3): every endpoint, the seed's
// example bodies, list parameters, PUT and PATCH semantics, ETags, and every error case.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import {
  ABSOLUTE_BASE,
  ENTERPRISE,
  expectScimError,
  GROUP,
  LIST,
  PATCH_OP,
  type ScimClient,
  scimClient,
  USER,
  user,
} from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let scim: ScimClient;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "00000000-0000-4000-8000-000000000000";

/** The seed's Create User request body, verbatim. */
const SEED_CREATE = {
  schemas: [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  ],
  userName: "testuser1",
  active: true,
  emails: [{ value: "testuser1@example.com", primary: true }],
  name: { givenName: "Test", familyName: "User", fullName: "Test User", formatted: "Test User" },
  displayName: "Test User",
  roles: [{ value: "software_engineer" }],
  password: "SecurePass123!",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    organization: "Example Corp",
    superUser: false,
    userStatus: "CONFIRMED",
    external: false,
  },
};

/** The resource of the seed's List Users response, verbatim. */
const SEED_LISTED = {
  schemas: [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  ],
  id: "user-id",
  userName: "john.doe@example.com",
  active: true,
  emails: [{ value: "john.doe@example.com", primary: true }],
  name: { givenName: "John", familyName: "Doe", fullName: "John Doe", formatted: "John Doe" },
  displayName: "John Doe",
  roles: [{ value: "admin" }],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    organization: "Example Corp",
    superUser: false,
    userStatus: "CONFIRMED",
    external: false,
  },
  groups: [],
};

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  scim = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
});
afterAll(() => t.close());

async function create(body: Record<string, unknown>): Promise<Json> {
  const response = await scim.post("/Users", body);
  if (response.status !== 201)
    throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

describe("the seed's examples", () => {
  it("creates the seed's user: 201, Location, ETag, and the body the seed shows (password not kept)", async () => {
    const response = await scim.post("/Users", SEED_CREATE);
    expect(response.status).toBe(201);
    const { password: _password, ...expected } = SEED_CREATE;
    expect(response.body).toMatchObject({
      ...expected,
      emails: [{ value: "testuser1@example.com", primary: true }],
    });
    expect(response.body).not.toHaveProperty("password");
    const id = response.body.id;
    expect(id).toMatch(UUID);
    expect(response.headers.location).toBe(`${ABSOLUTE_BASE}/Users/${id}`);
    expect(response.headers.etag).toBe('W/"1"');
    expect(response.body.groups).toEqual([]);
    expect(response.body.meta).toEqual({
      resourceType: "User",
      created: expect.stringMatching(ISO),
      lastModified: response.body.meta.created,
      location: `${ABSOLUTE_BASE}/Users/${id}`,
      version: 'W/"1"',
    });
    const row = await t.prisma.user.findUniqueOrThrow({ where: { id } });
    expect(JSON.stringify(row)).not.toContain("SecurePass123!");
    expect(row).toMatchObject({
      role: "member",
      scimRoles: ["software_engineer"],
      email: "testuser1@example.com",
    });

    const read = await scim.get(`/Users/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('W/"1"');
    expect(read.body).toEqual(response.body);
  });

  it("lists a user in the shape of the seed's List Users response", async () => {
    const { id: _id, groups: _groups, ...body } = SEED_LISTED;
    const created = await create(body);
    const response = await scim.list("Users", { filter: 'userName eq "john.doe@example.com"' });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(response.body).toMatchObject({ schemas: [LIST], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(response.body.Resources[0]).toMatchObject({ ...SEED_LISTED, id: created.id });
  });
});

describe("reading", () => {
  it("404s an unknown or malformed id", async () => {
    expectScimError(await scim.get(`/Users/${MISSING}`), 404);
    expectScimError(await scim.get("/Users/not-a-uuid"), 404);
  });

  it("answers If-None-Match with the current ETag with 304", async () => {
    const created = await create(user("etag304@example.com"));
    const fresh = await scim.get(`/Users/${created.id}`, { "if-none-match": 'W/"1"' });
    expect(fresh.status).toBe(304);
    const stale = await scim.get(`/Users/${created.id}`, { "if-none-match": 'W/"0"' });
    expect(stale.status).toBe(200);
  });

  it("shows users made elsewhere: a user without a userName answers to its e-mail", async () => {
    const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: acme.ownerId } });
    expect(owner.userName).toBeNull();
    const read = await scim.get(`/Users/${owner.id}`);
    expect(read.body).toMatchObject({
      userName: owner.email,
      emails: [{ value: owner.email, primary: true }],
    });
    const found = await scim.list("Users", { filter: `userName eq "${owner.email.toUpperCase()}"` });
    expect(found.body.Resources.map((u: Json) => u.id)).toEqual([owner.id]);
  });

  it("returns only requested attributes (plus schemas and id), or all but excluded ones", async () => {
    const created = await create(user("projection@example.com", { externalId: "proj-1" }));
    const only = await scim.get(`/Users/${created.id}?attributes=userName,emails.value,EXTERNALID`);
    expect(only.body).toEqual({
      schemas: [USER],
      id: created.id,
      userName: "projection@example.com",
      externalId: "proj-1",
      emails: [{ value: "projection@example.com" }],
    });
    const without = await scim.get(`/Users/${created.id}?excludedAttributes=groups,meta,name.givenName,id`);
    expect(without.body).not.toHaveProperty("groups");
    expect(without.body).not.toHaveProperty("meta");
    expect(without.body.name).toEqual({
      familyName: "Family",
      fullName: "Given Family",
      formatted: "Given Family",
    });
    expect(without.body.id).toBe(created.id);
  });
});

describe("listing", () => {
  let org: TestOrg;
  let list: ScimClient;

  beforeAll(async () => {
    org = await createOrg(t.prisma, "Paging");
    list = scimClient(t.app, org.key);
    for (const [name, family] of [
      ["carol", "Zeta"],
      ["alice", "Young"],
      ["bob", null],
      ["dave", "Alpha"],
    ] as const) {
      const body = user(`${name}@paging.example`, {
        name: family ? { givenName: name, familyName: family } : { givenName: name },
        displayName: name.toUpperCase(),
      });
      const response = await list.post("/Users", body);
      expect(response.status).toBe(201);
    }
  });

  const userNames = (body: Json) => body.Resources.map((u: Json) => u.userName);

  it("pages with 1-based startIndex and count; itemsPerPage is the page's length", async () => {
    const all = await list.list("Users");
    expect(all.body).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 5 });
    const page = await list.list("Users", { startIndex: 2, count: 2 });
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(userNames(page.body)).toEqual(userNames(all.body).slice(1, 3));
    const last = await list.list("Users", { startIndex: 5, count: 10 });
    expect(last.body).toMatchObject({ totalResults: 5, itemsPerPage: 1 });
    const beyond = await list.list("Users", { startIndex: 50 });
    expect(beyond.body).toMatchObject({ totalResults: 5, startIndex: 50, itemsPerPage: 0, Resources: [] });
  });

  it("count=0 gives totalResults only; startIndex below 1 is 1; a negative count is 0", async () => {
    const zero = await list.list("Users", { count: 0, filter: 'userName sw "a" or userName sw "b"' });
    expect(zero.body).toEqual({
      schemas: [LIST],
      totalResults: 2,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
    const low = await list.list("Users", { startIndex: -3, count: 1 });
    expect(low.body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    const negative = await list.list("Users", { count: -5 });
    expect(negative.body).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
  });

  it("caps count at 200", async () => {
    const capped = await list.list("Users", { count: 100000 });
    expect(capped.status).toBe(200);
    expect(capped.body.itemsPerPage).toBe(5);
  });

  it("reads a count above the maximum as the maximum however long it is, and a negative one as 0", async () => {
    for (const count of [
      "99999999999999999999",
      "+1000000000000000000000000000000",
      "201",
      "00000000000000000007",
    ]) {
      const response = await list.list("Users", { count });
      expect(response.status, `${count}: ${JSON.stringify(response.body)}`).toBe(200);
      expect(response.body).toMatchObject({ totalResults: 5, itemsPerPage: 5 });
    }
    const negative = await list.list("Users", { count: "-99999999999999999999" });
    expect(negative.status).toBe(200);
    expect(negative.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    // The same in a SearchRequest, where count is a JSON number.
    const searched = await list.post("/Users/.search", { count: 1e21 });
    expect(searched.body).toMatchObject({ totalResults: 5, itemsPerPage: 5 });
    expectScimError(await list.post("/Users/.search", { count: 1.5 }), 400, "invalidValue");
    // A startIndex beyond any page is an empty page, however long.
    const far = await list.list("Users", { startIndex: "99999999999999999999" });
    expect(far.status).toBe(200);
    expect(far.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  });

  it("refuses startIndex or count that are not integers", async () => {
    expectScimError(await list.list("Users", { count: "ten" }), 400, "invalidValue");
    expectScimError(await list.list("Users", { startIndex: "1.5" }), 400, "invalidValue");
  });

  it("sorts by sortBy/sortOrder, case-insensitively, absent values last ascending and first descending", async () => {
    const filter = 'name.givenName pr and userName ew "paging.example"';
    const ascending = await list.list("Users", { sortBy: "name.familyName", filter });
    expect(userNames(ascending.body)).toEqual([
      "dave@paging.example",
      "alice@paging.example",
      "carol@paging.example",
      "bob@paging.example",
    ]);
    const descending = await list.list("Users", {
      sortBy: "NAME.FAMILYNAME",
      sortOrder: "DESCENDING",
      filter,
    });
    expect(userNames(descending.body)).toEqual([
      "bob@paging.example",
      "carol@paging.example",
      "alice@paging.example",
      "dave@paging.example",
    ]);
    const byEmail = await list.list("Users", { sortBy: "emails", count: 2, startIndex: 2 });
    expect(userNames(byEmail.body)).toEqual(["bob@paging.example", "carol@paging.example"]);
    expect(byEmail.body.totalResults).toBe(5);
  });

  it("refuses an unknown sortBy or sortOrder", async () => {
    expectScimError(await list.list("Users", { sortBy: "shoeSize" }), 400, "invalidValue");
    // Complex attributes without a value to sort by: invalidValue like every other sortBy error.
    expectScimError(await list.list("Users", { sortBy: "name" }), 400, "invalidValue");
    expectScimError(await list.list("Users", { sortBy: ENTERPRISE }), 400, "invalidValue");
    expectScimError(await list.post("/Users/.search", { sortBy: "NAME" }), 400, "invalidValue");
    expectScimError(
      await list.list("Users", { sortBy: "userName", sortOrder: "sideways" }),
      400,
      "invalidValue",
    );
  });

  it("projects every resource of a list", async () => {
    const response = await list.list("Users", { attributes: "userName", count: 1 });
    expect(Object.keys(response.body.Resources[0]).sort()).toEqual(["id", "schemas", "userName"]);
    const excluded = await list.list("Users", { excludedAttributes: "groups", count: 1 });
    expect(excluded.body.Resources[0]).not.toHaveProperty("groups");
  });

  it("searches with POST /Users/.search and a SearchRequest body", async () => {
    const response = await list.post("/Users/.search", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      filter: 'name.givenName eq "ALICE"',
      attributes: ["userName", "displayName"],
      startIndex: 1,
      count: 10,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ totalResults: 1 });
    expect(response.body.Resources[0]).toEqual({
      schemas: [USER],
      id: expect.stringMatching(UUID),
      userName: "alice@paging.example",
      displayName: "ALICE",
    });
    expectScimError(await list.post("/Users/.search", ["not", "an", "object"]), 400, "invalidSyntax");
  });
});

describe("filters", () => {
  let org: TestOrg;
  let c: ScimClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    org = await createOrg(t.prisma, "Filters");
    c = scimClient(t.app, org.key);
    const bodies: Record<string, Record<string, unknown>> = {
      ann: user("Ann.Smith@filters.example", {
        externalId: "EXT-ann",
        name: { givenName: "Ann", familyName: "Smith" },
        [ENTERPRISE]: { department: "Sales", employeeNumber: "7" },
        roles: [{ value: "admin" }],
      }),
      ben: user("ben@filters.example", {
        active: false,
        name: { givenName: "Ben" },
        displayName: "Benjamin",
      }),
      cy: user("cy", {
        emails: [{ value: "cy@home.example", type: "home", primary: true }],
        name: { familyName: "Young" },
        [ENTERPRISE]: { department: "Engineering" },
      }),
    };
    for (const [key, body] of Object.entries(bodies)) ids[key] = (await create2(c, body)).id;
  });

  async function create2(client: ScimClient, body: Record<string, unknown>): Promise<Json> {
    const response = await client.post("/Users", body);
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body;
  }

  async function matching(filter: string): Promise<string[]> {
    const response = await c.list("Users", { filter });
    if (response.status !== 200) throw new Error(`${filter}: ${JSON.stringify(response.body)}`);
    expect(response.body.totalResults).toBe(response.body.Resources.length);
    return response.body.Resources.map(
      (u: Json) => Object.entries(ids).find(([, id]) => id === u.id)?.[0] ?? "owner",
    );
  }

  it.each([
    ['userName eq "ann.smith@filters.example"', ["ann"]],
    ['USERNAME EQ "ANN.SMITH@FILTERS.EXAMPLE"', ["ann"]],
    ['userName ne "ann.smith@filters.example" and userName ew "filters.example"', ["ben", "owner"]],
    ['userName co "SMITH"', ["ann"]],
    ['userName sw "b"', ["ben"]],
    ['userName gt "c" and userName lt "d"', ["cy"]],
    ['userName ge "cy" and userName le "cy"', ["cy"]],
    ['emails.value ew "@home.example"', ["cy"]],
    ['emails eq "BEN@filters.example"', ["ben"]],
    ['emails[type eq "work" and value sw "ann"]', ["ann"]],
    ['emails[value ew "home.example"]', ["cy"]],
    // cy's only address was sent as type "home": the type is kept as sent
    ['emails[type eq "home"]', ["cy"]],
    ['emails[type eq "work"]', ["ann", "ben", "owner"]],
    ["emails[primary eq true] and active eq false", ["ben"]],
    ['displayName eq "benjamin"', ["ben"]],
    ['name.givenName eq "ann" or name.familyName eq "young"', ["ann", "cy"]],
    ["name.familyName pr and not (name.givenName pr)", ["cy"]],
    ["not (active eq true)", ["ben"]],
    ['externalId eq "EXT-ann"', ["ann"]],
    ['externalId eq "ext-ann"', []],
    ["externalId pr", ["ann"]],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', ["ann"]],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "cy"', ["cy"]],
    ['roles[value eq "ADMIN"]', ["ann"]],
    ['(userName sw "a" or userName sw "b") and active eq true', ["ann"]],
    ['userName sw "a" or userName sw "b" and active eq true', ["ann"]],
    ['meta.resourceType eq "User" and userName sw "c"', ["cy"]],
    ['meta.created gt "2000-01-01T00:00:00Z" and name.givenName eq "Ben"', ["ben"]],
    ['meta.lastModified lt "2000-01-01T00:00:00Z"', []],
    ['title eq "x" or userName eq "cy"', null],
  ] as Array<[string, string[] | null]>)("%s", async (filter, expected) => {
    if (expected === null) {
      expectScimError(await c.list("Users", { filter }), 400, "invalidFilter");
      return;
    }
    expect((await matching(filter)).sort()).toEqual([...expected].sort());
  });

  it("filters by id, and by group membership", async () => {
    expect(await matching(`id eq "${ids.ben}"`)).toEqual(["ben"]);
    expect(await matching('id eq "not-a-uuid"')).toEqual([]);
    const group = await c.post("/Groups", { displayName: "Sales", members: [{ value: ids.ann }] });
    expect(await matching(`groups.value eq "${group.body.id}"`)).toEqual(["ann"]);
    expect(await matching('groups[display eq "sales"]')).toEqual(["ann"]);
  });

  it.each([
    ["userName eq", "a missing value"],
    ['userName eq "unterminated', "an unterminated string"],
    ['userName xx "a"', "an unknown operator"],
    ['userName eq "a" and', "a dangling and"],
    ['(userName eq "a"', "an unclosed parenthesis"],
    ['emails[type eq "work"', "an unclosed bracket"],
    ['emails[value[type eq "x"]]', "a nested value filter"],
    ['userName eq "a" userName eq "b"', "two expressions without and/or"],
    ['shoeSize eq "44"', "an unknown attribute"],
    ['name eq "x"', "a complex attribute compared as a whole"],
    ["active gt true", "an ordering on a boolean"],
    ['active eq "yes"', "a boolean compared with a string"],
    ['meta.created gt "last tuesday"', "a date that is not a date"],
    ["userName eq 42", "a string compared with a number"],
    ["", "an empty filter"],
  ])("400 invalidFilter for %s (%s)", async (filter) => {
    expectScimError(await c.list("Users", { filter }), 400, "invalidFilter");
  });

  it("400 invalidFilter for a filter longer than 4096 characters", async () => {
    const filter = Array.from({ length: 400 }, (_, i) => `userName eq "user${i}"`).join(" or ");
    expect(filter.length).toBeGreaterThan(4096);
    const response = await c.post("/Users/.search", { filter });
    expectScimError(response, 400, "invalidFilter");
  });
});

describe("creating", () => {
  it("derives displayName and the e-mail when they are not given", async () => {
    const created = await create({
      schemas: [USER],
      userName: "derived@example.com",
      name: { givenName: "De", familyName: "Rived" },
    });
    expect(created).toMatchObject({
      displayName: "De Rived",
      emails: [{ value: "derived@example.com", primary: true }],
    });
    const bare = await create({ schemas: [USER], userName: "Bare@Example.com" });
    expect(bare).toMatchObject({
      userName: "Bare@Example.com",
      displayName: "Bare@Example.com",
      active: true,
    });
    expect(bare.emails).toEqual([{ value: "bare@example.com", type: "work", primary: true }]);
  });

  it("keeps every e-mail; the primary one (or the work one, or the first) is the user's e-mail", async () => {
    const created = await create(
      user("many-emails", {
        emails: [
          { value: "home@many.example", type: "home" },
          { value: "Work@Many.example", type: "work" },
          { value: "primary@many.example", type: "other", primary: "True" },
          { value: "HOME@many.example", type: "home" },
        ],
      }),
    );
    expect(created.emails).toEqual([
      { value: "home@many.example", type: "home" },
      { value: "work@many.example", type: "work" },
      { value: "primary@many.example", type: "other", primary: true },
    ]);
    expect((await scim.get(`/Users/${created.id}`)).body.emails).toEqual(created.emails);
    const row = await t.prisma.user.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.email).toBe("primary@many.example");
    const work = await create(
      user("work-email", {
        emails: [
          { value: "h@work-email.example", type: "home" },
          { value: "w@work-email.example", type: "work" },
        ],
      }),
    );
    expect(work.emails).toEqual([
      { value: "h@work-email.example", type: "home" },
      { value: "w@work-email.example", type: "work", primary: true },
    ]);
  });

  it("409 uniqueness for a taken userName (case-insensitively), e-mail or externalId", async () => {
    await create(user("taken@example.com", { externalId: "taken-ext" }));
    expectScimError(
      await scim.post("/Users", user("TAKEN@example.com", { emails: [{ value: "other@example.com" }] })),
      409,
      "uniqueness",
    );
    expectScimError(
      await scim.post("/Users", user("other-name", { emails: [{ value: "Taken@Example.com" }] })),
      409,
      "uniqueness",
    );
    expectScimError(
      await scim.post("/Users", user("third@example.com", { externalId: "taken-ext" })),
      409,
      "uniqueness",
    );
    const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: acme.ownerId } });
    expectScimError(await scim.post("/Users", user(owner.email)), 409, "uniqueness");
  });

  it.each([
    [{ schemas: [USER] }, "invalidValue", "no userName"],
    [{ schemas: [USER], userName: "   " }, "invalidValue", "a blank userName"],
    [{ schemas: [USER], userName: 42 }, "invalidValue", "a userName that is not a string"],
    [{ schemas: [USER], userName: "no-email" }, "invalidValue", "no e-mail at all"],
    [
      user("bad-email", { emails: [{ value: "not an address" }] }),
      "invalidValue",
      "an e-mail that is not one",
    ],
    [user("x@example.com", { emails: "x@example.com" }), "invalidValue", "emails that are not a list"],
    [user("x@example.com", { active: "maybe" }), "invalidValue", "active that is not a boolean"],
    [user("x@example.com", { name: "X" }), "invalidValue", "name that is not an object"],
    [user("x@example.com", { roles: [{ value: "" }] }), "invalidValue", "an empty role"],
    [user("x@example.com", { [ENTERPRISE]: "Sales" }), "invalidValue", "an extension that is not an object"],
    [user("x@example.com", { externalId: "a\u0001b" }), "invalidValue", "a control character"],
    [["not", "an", "object"], "invalidSyntax", "a JSON array"],
  ])("400 %s for %s", async (body, scimType, _case) => {
    expectScimError(await scim.post("/Users", body), 400, scimType as string);
  });

  it("ignores attributes it does not keep (title, phoneNumbers, addresses) and read-only ones (groups, meta, id)", async () => {
    const created = await create(
      user("ignored@example.com", {
        id: "chosen-by-client",
        title: "Boss",
        phoneNumbers: [{ value: "555", type: "work" }],
        addresses: [{ formatted: "1 Main St", type: "work" }],
        groups: [{ value: MISSING }],
        meta: { resourceType: "Printer" },
      }),
    );
    expect(created.id).toMatch(UUID);
    expect(created.groups).toEqual([]);
    expect(created.meta.resourceType).toBe("User");
    expect(created).not.toHaveProperty("title");
    expect(created).not.toHaveProperty("phoneNumbers");
  });
});

describe("PUT (replace)", () => {
  it("replaces the user: omitted attributes are cleared, active keeps its value; version bumps", async () => {
    const created = await create(
      user("put@example.com", {
        externalId: "put-1",
        roles: [{ value: "r" }],
        [ENTERPRISE]: { department: "D" },
        active: false,
      }),
    );
    const response = await scim.put(`/Users/${created.id}`, {
      schemas: [USER],
      userName: "put-renamed@example.com",
      displayName: "Put Renamed",
    });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('W/"2"');
    expect(response.body).toMatchObject({
      id: created.id,
      userName: "put-renamed@example.com",
      displayName: "Put Renamed",
      active: false,
      emails: [{ value: "put-renamed@example.com" }],
      meta: { version: 'W/"2"' },
    });
    for (const gone of ["externalId", "roles", "name", ENTERPRISE])
      expect(response.body).not.toHaveProperty(gone);
    expect(response.body.schemas).toEqual([USER]);
  });

  it("keeps the version when nothing changes", async () => {
    const created = await create(user("same@example.com"));
    const { meta: _meta, ...same } = created;
    const response = await scim.put(`/Users/${created.id}`, same);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('W/"1"');
  });

  it("400 mutability for another id; 404 for an unknown user; 409 for another user's userName", async () => {
    const created = await create(user("put-errors@example.com"));
    expectScimError(
      await scim.put(`/Users/${created.id}`, user("put-errors@example.com", { id: MISSING })),
      400,
      "mutability",
    );
    expectScimError(await scim.put(`/Users/${MISSING}`, user("put-missing@example.com")), 404);
    await create(user("put-other@example.com"));
    expectScimError(await scim.put(`/Users/${created.id}`, user("PUT-OTHER@example.com")), 409, "uniqueness");
  });
});

describe("If-Match", () => {
  it("412 on a stale ETag for PUT, PATCH and DELETE, with nothing changed and the current ETag sent", async () => {
    const created = await create(user("ifmatch@example.com"));
    const id = created.id;
    await scim.patch(`/Users/${id}`, [{ op: "replace", path: "displayName", value: "Second" }]);
    const stale = { "if-match": 'W/"1"' };
    const put = await scim.put(`/Users/${id}`, user("ifmatch@example.com", { displayName: "Third" }), stale);
    expectScimError(put, 412);
    expect(put.headers.etag).toBe('W/"2"');
    expectScimError(
      await scim.patch(`/Users/${id}`, [{ op: "replace", path: "displayName", value: "Third" }], stale),
      412,
    );
    expectScimError(await scim.delete(`/Users/${id}`, stale), 412);
    const after = await scim.get(`/Users/${id}`);
    expect(after.body).toMatchObject({ displayName: "Second", meta: { version: 'W/"2"' } });
  });

  it("accepts the current ETag (weak or not), a list holding it, and *", async () => {
    const created = await create(user("ifmatch-ok@example.com"));
    const id = created.id;
    const weak = await scim.patch(`/Users/${id}`, [{ op: "replace", path: "displayName", value: "A" }], {
      "if-match": 'W/"1"',
    });
    expect(weak.headers.etag).toBe('W/"2"');
    const strong = await scim.patch(`/Users/${id}`, [{ op: "replace", path: "displayName", value: "B" }], {
      "if-match": '"2"',
    });
    expect(strong.headers.etag).toBe('W/"3"');
    const listed = await scim.put(`/Users/${id}`, user("ifmatch-ok@example.com"), {
      "if-match": 'W/"1", W/"3"',
    });
    expect(listed.headers.etag).toBe('W/"4"');
    expect((await scim.delete(`/Users/${id}`, { "if-match": "*" })).status).toBe(200);
  });
});

describe("PATCH", () => {
  async function patched(id: string, operations: unknown[], status = 200): Promise<Json> {
    const response = await scim.patch(`/Users/${id}`, operations);
    if (response.status !== status) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  it("replaces with a path, and without one (Entra ID's {active:false}, capitalised ops)", async () => {
    const created = await create(user("patch1@example.com"));
    const first = await patched(created.id, [{ op: "replace", path: "name.givenName", value: "Newgiven" }]);
    expect(first.name).toMatchObject({ givenName: "Newgiven", formatted: "Newgiven Family" });
    const second = await patched(created.id, [
      { op: "Replace", value: { active: false, displayName: "Quiet", "name.familyName": "Fam" } },
    ]);
    expect(second).toMatchObject({
      active: false,
      displayName: "Quiet",
      name: { givenName: "Newgiven", familyName: "Fam" },
    });
    expect(second.meta.version).toBe('W/"3"');
    const third = await patched(created.id, [{ op: "Replace", path: "active", value: "True" }]);
    expect(third.active).toBe(true);
  });

  it('changes the e-mail through emails[type eq "work"].value, add or replace', async () => {
    const created = await create(user("patch-mail@example.com"));
    const replaced = await patched(created.id, [
      { op: "replace", path: 'emails[type eq "work"].value', value: "New@Mail.example" },
    ]);
    expect(replaced.emails).toEqual([{ value: "new@mail.example", type: "work", primary: true }]);
    const added = await patched(created.id, [
      { op: "Add", path: 'emails[type eq "work"].value', value: "again@mail.example" },
    ]);
    expect(added.emails[0].value).toBe("again@mail.example");
    const primary = await patched(created.id, [
      { op: "add", path: "emails", value: [{ value: "home@mail.example", type: "home", primary: true }] },
    ]);
    // The added primary clears `primary` on the other address, which stays (RFC 7644 §3.5.2.1).
    expect(primary.emails).toEqual([
      { value: "again@mail.example", type: "work" },
      { value: "home@mail.example", type: "home", primary: true },
    ]);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: created.id } })).email).toBe(
      "home@mail.example",
    );
  });

  it("an add of a second e-mail appends it; the primary stays the user's e-mail; GET and filters see both", async () => {
    const created = await create(
      user("two-mails@example.com", { emails: [{ value: "one@two.example", primary: true }] }),
    );
    const added = await patched(created.id, [
      { op: "add", path: "emails", value: [{ value: "Second@Two.example", type: "home" }] },
    ]);
    expect(added.emails).toEqual([
      { value: "one@two.example", type: "work", primary: true },
      { value: "second@two.example", type: "home" },
    ]);
    expect(added.meta.version).toBe('W/"2"');
    const read = await scim.get(`/Users/${created.id}`);
    expect(read.body.emails).toEqual(added.emails);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: created.id } })).email).toBe(
      "one@two.example",
    );
    // Both addresses find the user, through SQL narrowing and in-memory evaluation alike.
    for (const filter of [
      'emails.value eq "second@two.example"',
      'emails[value eq "SECOND@two.example"]',
      'emails[type eq "home" and value ew "@two.example"]',
      'emails.value eq "one@two.example"',
    ]) {
      const listed = await scim.list("Users", { filter });
      expect(
        listed.body.Resources.map((u: Json) => u.id),
        filter,
      ).toEqual([created.id]);
    }
    // Adding it again merges (compared by value), never duplicates.
    const again = await patched(created.id, [
      { op: "add", path: "emails", value: [{ value: "second@two.example", type: "home" }] },
    ]);
    expect(again.emails).toHaveLength(2);
    expect(again.meta.version).toBe('W/"2"');
    // A third, path-less add (Okta's form) appends too.
    const third = await patched(created.id, [
      { op: "add", value: { emails: [{ value: "third@two.example", type: "other" }] } },
    ]);
    expect(third.emails.map((e: Json) => e.value)).toEqual([
      "one@two.example",
      "second@two.example",
      "third@two.example",
    ]);
    // replace of one value by filter changes that one only
    const replaced = await patched(created.id, [
      { op: "replace", path: 'emails[type eq "home"].value', value: "second-new@two.example" },
    ]);
    expect(replaced.emails).toEqual([
      { value: "one@two.example", type: "work", primary: true },
      { value: "second-new@two.example", type: "home" },
      { value: "third@two.example", type: "other" },
    ]);
    // remove by filter removes that one only
    const removed = await patched(created.id, [
      { op: "remove", path: 'emails[value eq "third@two.example"]' },
    ]);
    expect(removed.emails.map((e: Json) => e.value)).toEqual(["one@two.example", "second-new@two.example"]);
    expect(
      (await scim.list("Users", { filter: 'emails.value eq "third@two.example"' })).body.totalResults,
    ).toBe(0);
    // removing the primary makes the remaining address the primary and the user's e-mail
    const noPrimary = await patched(created.id, [{ op: "remove", path: "emails[primary eq true]" }]);
    expect(noPrimary.emails).toEqual([{ value: "second-new@two.example", type: "home", primary: true }]);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: created.id } })).email).toBe(
      "second-new@two.example",
    );
    // replace of the whole attribute replaces every address
    const whole = await patched(created.id, [
      { op: "replace", path: "emails", value: [{ value: "only@two.example", type: "work", primary: true }] },
    ]);
    expect(whole.emails).toEqual([{ value: "only@two.example", type: "work", primary: true }]);
    // PUT without emails falls back to the userName, as on create
    const put = await scim.put(`/Users/${created.id}`, user("two-mails@example.com"));
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.emails).toEqual([{ value: "two-mails@example.com", type: "work", primary: true }]);
  });

  it("400 invalidValue for a second e-mail that is no address; nothing changes", async () => {
    const created = await create(user("bad-second@example.com"));
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [{ op: "add", path: "emails", value: [{ value: "nope" }] }]),
      400,
      "invalidValue",
    );
    expect((await scim.get(`/Users/${created.id}`)).body.emails).toEqual([
      { value: "bad-second@example.com", type: "work", primary: true },
    ]);
  });

  it("adds, replaces and removes enterprise attributes; a bare manager id becomes {value}", async () => {
    const created = await create(user("patch-ent@example.com"));
    const added = await patched(created.id, [
      { op: "add", path: `${ENTERPRISE}:department`, value: "Sales" },
      { op: "replace", path: `${ENTERPRISE}:manager`, value: "mgr-1" },
    ]);
    expect(added.schemas).toEqual([USER, ENTERPRISE]);
    expect(added[ENTERPRISE]).toEqual({ department: "Sales", manager: { value: "mgr-1" } });
    const merged = await patched(created.id, [{ op: "add", value: { [ENTERPRISE]: { costCenter: "42" } } }]);
    expect(merged[ENTERPRISE]).toEqual({
      department: "Sales",
      manager: { value: "mgr-1" },
      costCenter: "42",
    });
    const removed = await patched(created.id, [
      { op: "remove", path: `${ENTERPRISE}:department` },
      { op: "remove", path: `${ENTERPRISE}:manager.value` },
    ]);
    expect(removed[ENTERPRISE]).toEqual({ manager: {}, costCenter: "42" });
    const whole = await patched(created.id, [{ op: "remove", path: ENTERPRISE }]);
    expect(whole).not.toHaveProperty(ENTERPRISE);
    expect(whole.schemas).toEqual([USER]);
  });

  it("400 for __proto__, constructor and prototype: invalidPath in paths, invalidValue in values; nothing changes", async () => {
    const created = await create(user("proto@example.com", { [ENTERPRISE]: { department: "Sales" } }));
    const path = `/Users/${created.id}`;
    for (const name of ["__proto__", "constructor", "prototype", "Constructor", "__PROTO__"]) {
      for (const operations of [
        [{ op: "add", path: `${ENTERPRISE}:${name}`, value: { polluted: true } }],
        [{ op: "replace", path: `${ENTERPRISE}:${name}`, value: "x" }],
        [{ op: "remove", path: `${ENTERPRISE}:${name}` }],
        [{ op: "add", path: `${ENTERPRISE}:manager.${name}`, value: "x" }],
        [{ op: "add", value: { [`${ENTERPRISE}:${name}`]: "x" } }],
      ]) {
        expectScimError(await scim.patch(path, operations), 400, "invalidPath");
      }
    }
    for (const name of ["constructor", "prototype"]) {
      for (const operations of [
        [{ op: "add", path: ENTERPRISE, value: { [name]: { polluted: true } } }],
        [{ op: "replace", value: { [ENTERPRISE]: { costCenter: "1", nested: { [name]: 1 } } } }],
        [{ op: "add", path: `${ENTERPRISE}:department`, value: [{ [name]: "x" }] }],
      ]) {
        expectScimError(await scim.patch(path, operations), 400, "invalidValue");
      }
      expectScimError(
        await scim.put(path, user("proto@example.com", { [ENTERPRISE]: { [name]: "x" } })),
        400,
        "invalidValue",
      );
    }
    // "__proto__" as a JSON key never reaches SCIM: the JSON parser refuses the body.
    const raw = `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"${ENTERPRISE}","value":{"__proto__":{"polluted":true}}}]}`;
    expectScimError(await scim.call("PATCH", path, raw), 400, "invalidSyntax");
    const after = await scim.get(path);
    expect(after.body[ENTERPRISE]).toEqual({ department: "Sales" });
    expect(after.headers.etag).toBe('W/"1"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("adds and removes roles, by value filter and by value", async () => {
    const created = await create(user("patch-roles@example.com"));
    const added = await patched(created.id, [
      { op: "add", path: "roles", value: [{ value: "a" }, { value: "b" }, { value: "c" }] },
    ]);
    expect(added.roles).toEqual([{ value: "a" }, { value: "b" }, { value: "c" }]);
    const again = await patched(created.id, [{ op: "add", path: "roles", value: [{ value: "A" }] }]);
    expect(again.meta.version).toBe(added.meta.version);
    const filtered = await patched(created.id, [{ op: "remove", path: 'roles[value eq "a"]' }]);
    expect(filtered.roles).toEqual([{ value: "b" }, { value: "c" }]);
    const byValue = await patched(created.id, [{ op: "remove", path: "roles", value: [{ value: "b" }] }]);
    expect(byValue.roles).toEqual([{ value: "c" }]);
    const all = await patched(created.id, [{ op: "remove", path: "roles" }]);
    expect(all).not.toHaveProperty("roles");
  });

  it("repeats the id harmlessly (Okta) but 400 mutability when it would change, or when groups/meta are targeted", async () => {
    const created = await create(user("patch-id@example.com"));
    const same = await patched(created.id, [
      { op: "replace", value: { id: created.id, displayName: "Same Id" } },
    ]);
    expect(same.displayName).toBe("Same Id");
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [{ op: "replace", path: "id", value: MISSING }]),
      400,
      "mutability",
    );
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [{ op: "replace", value: { id: MISSING } }]),
      400,
      "mutability",
    );
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [{ op: "add", path: "groups", value: [{ value: MISSING }] }]),
      400,
      "mutability",
    );
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [{ op: "remove", path: "meta.created" }]),
      400,
      "mutability",
    );
  });

  it("applies operations in order, atomically: one failing operation changes nothing", async () => {
    const created = await create(user("patch-atomic@example.com"));
    const response = await scim.patch(`/Users/${created.id}`, [
      { op: "replace", path: "displayName", value: "Changed" },
      { op: "remove", path: 'emails[type eq "home"]' },
    ]);
    expectScimError(response, 400, "noTarget");
    expect((await scim.get(`/Users/${created.id}`)).body).toMatchObject({
      displayName: "Given Family",
      meta: { version: 'W/"1"' },
    });
  });

  it("ignores attributes this server does not keep, without a new version", async () => {
    const created = await create(user("patch-ignored@example.com"));
    const response = await patched(created.id, [
      { op: "replace", path: "title", value: "Boss" },
      { op: "add", path: 'phoneNumbers[type eq "work"].value', value: "555" },
    ]);
    expect(response.meta.version).toBe('W/"1"');
    expect(response).not.toHaveProperty("title");
  });

  it.each([
    [[{ op: "remove" }], "noTarget", "a remove without a path"],
    [[{ op: "remove", path: 'emails[type eq "home"]' }], "noTarget", "a remove whose filter matches nothing"],
    [
      [{ op: "replace", path: 'roles[value eq "nope"]', value: { display: "x" } }],
      "noTarget",
      "a replace whose filter matches nothing",
    ],
    [[{ op: "replace", path: "shoeSize", value: 44 }], "invalidPath", "an unknown attribute"],
    [[{ op: "replace", path: "name.middle.deep", value: "x" }], "invalidPath", "a malformed path"],
    [[{ op: "replace", path: 'emails[type eq "work"', value: "x" }], "invalidPath", "an unclosed bracket"],
    [
      [{ op: "replace", path: 'displayName[value eq "x"]', value: "x" }],
      "invalidPath",
      "a filter on a simple attribute",
    ],
    [
      [{ op: "replace", path: 'emails[shoe eq "x"].value', value: "x" }],
      "invalidFilter",
      "an unknown attribute in the filter",
    ],
    [[{ op: "replace", path: "userName", value: "" }], "invalidValue", "a blank userName"],
    [[{ op: "remove", path: "userName" }], "invalidValue", "removing userName"],
    [[{ op: "replace", path: "active", value: "maybe" }], "invalidValue", "active that is not a boolean"],
    [
      [{ op: "replace", path: "name", value: "Just A String" }],
      "invalidValue",
      "a complex attribute given a string",
    ],
    [[{ op: "replace", value: "not an object" }], "invalidValue", "a path-less value that is not an object"],
    [[{ op: "move", path: "displayName", value: "x" }], "invalidSyntax", "an unknown op"],
    [[{ op: "replace", path: "displayName" }], "invalidSyntax", "a replace without a value"],
    [[{ op: "replace", path: 7, value: "x" }], "invalidPath", "a path that is not a string"],
    [["replace"], "invalidSyntax", "an operation that is not an object"],
  ])("400 %s for %s", async (operations, scimType, _case) => {
    const created = await create(user(`patch-err-${Math.random().toString(36).slice(2)}@example.com`));
    expectScimError(
      await scim.patch(`/Users/${created.id}`, operations as unknown[]),
      400,
      scimType as string,
    );
  });

  it("400 invalidSyntax for a body that is not a PatchOp", async () => {
    const created = await create(user("patch-syntax@example.com"));
    const path = `/Users/${created.id}`;
    expectScimError(
      await scim.call("PATCH", path, { schemas: [USER], Operations: [] }),
      400,
      "invalidSyntax",
    );
    expectScimError(
      await scim.call("PATCH", path, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"] }),
      400,
      "invalidSyntax",
    );
    expectScimError(await scim.call("PATCH", path, { Operations: [] }), 400, "invalidSyntax");
    expectScimError(await scim.call("PATCH", path, [{ op: "remove", path: "title" }]), 400, "invalidSyntax");
    // schemas may be left out; operation keys are case-insensitive
    const lenient = await scim.call("PATCH", path, {
      operations: [{ OP: "replace", PATH: "displayName", VALUE: "Lenient" }],
    });
    expect(lenient.body.displayName).toBe("Lenient");
  });

  it("409 uniqueness when the new userName is another user's; 404 for an unknown user", async () => {
    const created = await create(user("patch-unique@example.com"));
    await create(user("patch-unique-other@example.com"));
    expectScimError(
      await scim.patch(`/Users/${created.id}`, [
        { op: "replace", path: "userName", value: "Patch-Unique-Other@example.com" },
      ]),
      409,
      "uniqueness",
    );
    expectScimError(
      await scim.patch(`/Users/${MISSING}`, [{ op: "replace", path: "displayName", value: "x" }]),
      404,
    );
  });
});

describe("deactivation", () => {
  it("refuses a deactivated user's API key with 401, and accepts it again once reactivated", async () => {
    const created = await create(user("keyholder@example.com"));
    const key = await createKey(t.prisma, acme, { scopes: ["users:read"], userId: created.id });
    const call = () => t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
    expect((await call()).statusCode).toBe(200);
    await scim.patch(`/Users/${created.id}`, [{ op: "replace", value: { active: false } }]);
    const refused = await call();
    expect(refused.statusCode).toBe(401);
    await scim.patch(`/Users/${created.id}`, [{ op: "replace", path: "active", value: true }]);
    expect((await call()).statusCode).toBe(200);
  });

  it("409 for deactivating or deleting the organisation's last active owner", async () => {
    const org = await createOrg(t.prisma, "Owned");
    const c = scimClient(t.app, await createKey(t.prisma, org, { scopes: ["scim"] }));
    expectScimError(
      await c.patch(`/Users/${org.ownerId}`, [{ op: "replace", value: { active: false } }]),
      409,
    );
    expectScimError(await c.delete(`/Users/${org.ownerId}`), 409);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: org.ownerId } })).active).toBe(true);
  });

  it("bumps the version when /v1/users changes the user too", async () => {
    const created = await create(user("v1-change@example.com"));
    const response = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${created.id}`,
      headers: { ...bearer(acme.key), "content-type": "application/json" },
      payload: { role: "admin" },
    });
    expect(response.statusCode).toBe(200);
    expect((await scim.get(`/Users/${created.id}`)).headers.etag).toBe('W/"2"');
  });
});

describe("DELETE", () => {
  it("accepts a Content-Type with no body on DELETE and GET (generic clients send it on every request)", async () => {
    for (const type of [
      "application/scim+json",
      "application/json",
      "application/scim+json; charset=utf-8",
    ]) {
      const created = await create(user(`typed-${type.length}@example.com`));
      const path = `/Users/${created.id}`;
      const read = await scim.call("GET", path, undefined, { "content-type": type });
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      const deleted = await scim.call("DELETE", path, undefined, { "content-type": type });
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(deleted.body).toEqual({ status: "200" });
      expectScimError(await scim.get(path), 404);
    }
    const group = await scim.post("/Groups", { schemas: [GROUP], displayName: "Typed Delete" });
    const deleted = await scim.call("DELETE", `/Groups/${group.body.id}`, undefined, {
      "content-type": "application/scim+json",
      "content-length": "0",
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    // A body that is there is still parsed: malformed JSON stays invalidSyntax.
    const created = await create(user("typed-body@example.com"));
    expectScimError(await scim.call("DELETE", `/Users/${created.id}`, "{", {}), 400, "invalidSyntax");
    expect((await scim.get(`/Users/${created.id}`)).status).toBe(200);
  });

  it('answers 200 {"status": "200"} (seed 003) and hides the user: 404 afterwards, gone from lists and groups, its key refused', async () => {
    const created = await create(user("leaver@example.com", { externalId: "leaver-ext" }));
    const id = created.id;
    const key = await createKey(t.prisma, acme, { scopes: ["users:read"], userId: id });
    const group = await scim.post("/Groups", { displayName: "Leavers", members: [{ value: id }] });
    await t.prisma.catalogItem.create({
      data: {
        organizationId: acme.id,
        space: id,
        ownerId: id,
        kind: "FOLDER",
        type: "REGULAR_FOLDER",
        name: "Mine",
        path: "@Personal/Mine",
      },
    });

    const response = await scim.delete(`/Users/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(response.body).toEqual({ status: "200" });

    expectScimError(await scim.get(`/Users/${id}`), 404);
    expectScimError(await scim.put(`/Users/${id}`, user("leaver@example.com")), 404);
    expectScimError(await scim.patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }]), 404);
    expectScimError(await scim.delete(`/Users/${id}`), 404);
    const listed = await scim.list("Users", { filter: `id eq "${id}" or userName eq "leaver@example.com"` });
    expect(listed.body.totalResults).toBe(0);
    const all = await scim.list("Users", { count: 200 });
    expect(all.body.Resources.map((u: Json) => u.id)).not.toContain(id);
    const groupNow = await scim.get(`/Groups/${group.body.id}`);
    expect(groupNow.body.members).toEqual([]);
    expect(groupNow.body.meta.version).toBe('W/"2"');
    expect((await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) })).statusCode).toBe(
      401,
    );

    // The row stays, deactivated, so what the user made keeps its author.
    const row = await t.prisma.user.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ active: false, userName: null, externalId: null });
    expect(await t.prisma.catalogItem.count({ where: { ownerId: id } })).toBe(1);

    // userName, e-mail and externalId are free again: a new user, with a new id.
    const again = await create(user("leaver@example.com", { externalId: "leaver-ext" }));
    expect(again.id).not.toBe(id);
  });
});
