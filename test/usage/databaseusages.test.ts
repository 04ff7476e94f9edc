// GET /api/v2/databaseusages (seed 004): exact, tenant-confined rows and bytes per resource type,
// as a cursor-paged v2 list.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Viewer } from "../../src/identity/viewer.js";
import { RefreshTokenService } from "../../src/tokens/tokens.service.js";
import { DERIVED_TABLES, RESOURCE_TYPES, RESOURCES } from "../../src/usage/usage.service.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let counted: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  counted = await createOrg(t.prisma, "Counted");
  other = await createOrg(t.prisma, "Other");
});
afterAll(() => t.close());

type Usage = { resourceType: string; rows: number; bytes: number };

async function usage(org: TestOrg, query = ""): Promise<Json> {
  const response = await t.app.inject({
    method: "GET",
    url: `/api/v2/databaseusages${query}`,
    headers: bearer(org.key),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function byType(org: TestOrg): Promise<Record<string, Usage>> {
  const body = await usage(org, "?limit=100");
  return Object.fromEntries(body.data.map((u: Usage) => [u.resourceType, u]));
}

/** Data of every kind for `org`; returns how many rows of each type it made. */
async function populate(org: TestOrg, n: number): Promise<Record<string, number>> {
  const organizationId = org.id;
  const users = [];
  for (let i = 0; i < n; i++) {
    users.push(
      await t.prisma.user.create({
        data: {
          organizationId,
          email: `u${i}-${randomBytes(4).toString("hex")}@x.example`,
          displayName: `U${i}`,
        },
      }),
    );
  }
  const module = await t.prisma.recordModule.create({
    data: { organizationId, slug: `m-${randomBytes(4).toString("hex")}`, name: "M", fields: [] },
  });
  for (let i = 0; i < 2 * n; i++) {
    await t.prisma.moduleRecord.create({
      data: { organizationId, moduleId: module.id, displayName: `R${i}` },
    });
  }
  for (let i = 0; i < n + 1; i++) {
    await t.prisma.entity.create({ data: { organizationId, type: "widget", name: `E${i}` } });
  }
  const project = await t.prisma.project.create({ data: { organizationId, name: "P" } });
  await t.prisma.projectMember.create({
    data: { organizationId, projectId: project.id, userId: users[0]!.id, role: "owner" },
  });
  await t.prisma.catalogItem.create({
    data: {
      organizationId,
      space: "@Shared",
      kind: "FOLDER",
      type: "REGULAR_FOLDER",
      name: "F",
      path: "@Shared/F",
    },
  });
  const group = await t.prisma.group.create({ data: { organizationId, displayName: "G", permissions: [] } });
  for (const user of users)
    await t.prisma.groupMember.create({ data: { groupId: group.id, userId: user.id } });
  await createKey(t.prisma, org, { scopes: ["usage:read"] });
  const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: org.ownerId } });
  await new RefreshTokenService(
    t.prisma,
    Viewer.system({ id: org.id, name: org.name }, owner),
    t.config.tokens,
  ).create({ userId: users[0]!.id, name: "T" });
  await t.prisma.auditEvent.create({
    data: { organizationId, transport: "rest", action: "POST /x", status: 201, requestId: "req_1" },
  });
  return {
    users: n + 1, // and the owner
    modules: 1,
    records: 2 * n,
    entities: n + 1,
    projects: 1,
    project_members: 1,
    catalog_items: 1,
    groups: 1,
    group_members: n,
    api_keys: 2, // and the owner key
    refresh_tokens: 1,
    access_tokens: 0,
    audit_events: 1,
    idempotency_keys: 0,
    data_connections: 0,
    semantic_models: 0,
  };
}

describe("GET /api/v2/databaseusages", () => {
  it("reports every resource type, in name order, as one v2 page", async () => {
    const body = await usage(counted);
    expect(body.data.map((u: Usage) => u.resourceType)).toEqual([...RESOURCE_TYPES].sort());
    expect(body.metadata).toEqual({ hasNext: false, hasPrevious: false, next: null, previous: null });
  });

  it("counts exactly the organisation's rows, and only its own", async () => {
    const expected = await populate(counted, 3);
    const before = await byType(counted);
    for (const [type, rows] of Object.entries(expected)) expect(before[type]?.rows, type).toBe(rows);
    for (const u of Object.values(before)) expect(u.bytes > 0, u.resourceType).toBe(u.rows > 0);

    // Another organisation's data, of every kind, changes nothing here.
    await populate(other, 5);
    expect(await byType(counted)).toEqual(before);
    expect((await byType(other)).records?.rows).toBe(10);
  });

  it("bytes are the stored size of the rows", async () => {
    const before = (await byType(counted)).entities!;
    // Random base64 does not compress: the row grows by at least its length.
    const big = randomBytes(15_000).toString("base64");
    await t.prisma.entity.create({
      data: { organizationId: counted.id, type: "widget", name: "big", attributes: { blob: big } },
    });
    const after = (await byType(counted)).entities!;
    expect(after.rows).toBe(before.rows + 1);
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(big.length);
    expect(after.bytes - before.bytes).toBeLessThan(big.length + 500);
  });

  it("covers every table that has an organisation", async () => {
    const tables = await t.prisma.$queryRaw<Array<{ table_name: string }>>`
      SELECT table_name::text AS table_name FROM information_schema.columns
      WHERE column_name = 'organization_id' AND table_schema = current_schema()`;
    const covered = new Set([...RESOURCES.map((r) => r.from.split(" ")[0]), ...DERIVED_TABLES]);
    for (const { table_name } of tables) expect(covered.has(table_name), table_name).toBe(true);
  });

  it("pages with cursors forward and backward", async () => {
    const all = (await usage(counted, "?limit=100")).data.map((u: Usage) => u.resourceType);
    const seen: string[] = [];
    let page = await usage(counted, "?limit=5");
    expect(page.metadata.hasPrevious).toBe(false);
    seen.push(...page.data.map((u: Usage) => u.resourceType));
    const pages = [page];
    while (page.metadata.next) {
      page = await usage(counted, `?limit=5&${page.metadata.next}`);
      expect(page.metadata.hasPrevious).toBe(true);
      seen.push(...page.data.map((u: Usage) => u.resourceType));
      pages.push(page);
    }
    expect(seen).toEqual(all);
    expect(pages).toHaveLength(Math.ceil(all.length / 5));
    expect(page.metadata).toMatchObject({ hasNext: false, next: null });

    const back: string[] = [];
    while (page.metadata.previous) {
      page = await usage(counted, `?limit=5&${page.metadata.previous}`);
      back.unshift(...page.data.map((u: Usage) => u.resourceType));
    }
    expect(back).toEqual(all.slice(0, all.length - pages.at(-1)!.data.length));
    expect(page.metadata.hasPrevious).toBe(false);
  });

  it("needs usage:read", async () => {
    const key = await createKey(t.prisma, counted, { scopes: ["users:read"] });
    const response = await t.app.inject({
      method: "GET",
      url: "/api/v2/databaseusages",
      headers: bearer(key),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      message: "Forbidden: not enough permissions",
      detail: 'This API key lacks the scope "usage:read"',
      code: "forbidden",
    });
  });
});
