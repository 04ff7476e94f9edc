// Group displayName uniqueness: checked only when a write changes the name (case-insensitively,
// the group itself excluded), and a unique violation from the database (a concurrent write that
// won) is a SCIM 409 uniqueness too. Relies on the unique index on
// (organization_id, lower(display_name)) of migration 20261129170613: the last test drops it to
// recreate rows from before it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUniqueViolation } from "../../src/scim/scim.errors.js";
import { createOrg, createTestApp, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { expectScimError, GROUP, type ScimClient, scimClient, user } from "./helpers.js";

let t: TestApp;
let acme: TestOrg;
let scim: ScimClient;
let ann: Json;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  scim = scimClient(t.app, acme.key);
  ann = (await scim.post("/Users", user("ann@example.com"))).body;
});
afterAll(() => t.close());

async function createGroup(displayName: string): Promise<Json> {
  const response = await scim.post("/Groups", { schemas: [GROUP], displayName });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

describe("group displayName uniqueness", () => {
  it("is checked case-insensitively when the name changes, never when it stays", async () => {
    await createGroup("Platform");
    const group = await createGroup("Infra");
    const path = `/Groups/${group.id}`;
    expectScimError(
      await scim.patch(path, [{ op: "replace", path: "displayName", value: "PLATFORM" }]),
      409,
      "uniqueness",
    );
    // Its own name in another case is no clash.
    const recased = await scim.patch(path, [{ op: "replace", path: "displayName", value: "INFRA" }]);
    expect(recased.status).toBe(200);
    expect(recased.body.displayName).toBe("INFRA");
    const described = await scim.patch(path, [{ op: "replace", path: "description", value: "servers" }]);
    expect(described.status).toBe(200);
    expectScimError(await scim.post("/Groups", { displayName: "platform" }), 409, "uniqueness");
  });

  it("answers 409 uniqueness when the database's unique index refuses the write (a concurrent writer won)", async () => {
    // Between the check and the write, "another request" creates the clashing group: a trigger
    // plays it, deterministically, on both PGlite and PostgreSQL.
    await t.prisma.$executeRawUnsafe(`
      CREATE FUNCTION scim_test_race() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.display_name = 'Race' THEN
          INSERT INTO groups (id, organization_id, display_name, updated_at)
          VALUES (gen_random_uuid(), NEW.organization_id, 'RACE', now());
        END IF;
        RETURN NEW;
      END $$`);
    await t.prisma.$executeRawUnsafe(`
      CREATE TRIGGER scim_test_race BEFORE INSERT OR UPDATE OF display_name ON groups
      FOR EACH ROW EXECUTE FUNCTION scim_test_race()`);
    try {
      expectScimError(await scim.post("/Groups", { displayName: "Race" }), 409, "uniqueness");
      const group = await createGroup("Not Yet");
      expectScimError(
        await scim.patch(`/Groups/${group.id}`, [{ op: "replace", path: "displayName", value: "Race" }]),
        409,
        "uniqueness",
      );
      // Rolled back whole: neither the group nor its "concurrent" twin is there.
      expect(await t.prisma.group.count({ where: { displayName: { in: ["Race", "RACE"] } } })).toBe(0);
      expect((await scim.get(`/Groups/${group.id}`)).body.displayName).toBe("Not Yet");
    } finally {
      await t.prisma.$executeRawUnsafe("DROP TRIGGER scim_test_race ON groups");
      await t.prisma.$executeRawUnsafe("DROP FUNCTION scim_test_race()");
    }
  });

  it("recognises unique violations however Prisma reports them", () => {
    expect(isUniqueViolation({ code: "P2002", meta: { target: ["organization_id", "display_name"] } })).toBe(
      true,
    );
    expect(isUniqueViolation({ code: "P2010", meta: { code: "23505" }, message: "Raw query failed" })).toBe(
      true,
    );
    expect(
      isUniqueViolation({
        code: "P2010",
        message: "Raw query failed. Code: `23505`. Message: duplicate key",
      }),
    ).toBe(true);
    expect(isUniqueViolation({ meta: { driverAdapterError: { cause: { originalCode: "23505" } } } })).toBe(
      true,
    );
    expect(isUniqueViolation({ code: "23505" })).toBe(true);
    expect(isUniqueViolation({ code: "P2003" })).toBe(false);
    expect(isUniqueViolation({ code: "P2010", meta: { code: "23503" } })).toBe(false);
    expect(isUniqueViolation(new Error("boom"))).toBe(false);
  });

  it("a change that keeps the name never answers 409, even beside a case-variant made before the index", async () => {
    // Rows from before the case-insensitive index: "Legacy Ops" and "LEGACY OPS" side by side.
    await t.prisma.$executeRawUnsafe('DROP INDEX IF EXISTS "groups_organization_id_lower_display_name_key"');
    const legacy = await t.prisma.group.create({
      data: { organizationId: acme.id, displayName: "Legacy Ops" },
    });
    await t.prisma.group.create({ data: { organizationId: acme.id, displayName: "LEGACY OPS" } });
    const path = `/Groups/${legacy.id}`;
    const described = await scim.patch(path, [{ op: "replace", path: "description", value: "on call" }]);
    expect(described.status, JSON.stringify(described.body)).toBe(200);
    const joined = await scim.patch(path, [{ op: "add", path: "members", value: [{ value: ann.id }] }]);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const put = await scim.put(path, {
      schemas: [GROUP],
      displayName: "Legacy Ops",
      description: "still on call",
      members: [{ value: ann.id }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // A rename onto their name is still a clash.
    const other = await createGroup("Other Team");
    expectScimError(
      await scim.patch(`/Groups/${other.id}`, [{ op: "replace", path: "displayName", value: "legacy ops" }]),
      409,
      "uniqueness",
    );
  });
});
