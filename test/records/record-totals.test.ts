// List totals are remembered per statement and trusted only while the module's data version
// (bumped by triggers on `records`) is unchanged (src/records/record-totals.ts); the same
// triggers keep record_module_stats.record_count, which the record limit reads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../../src/generated/prisma/client.js";
import { TotalCache } from "../../src/records/record-totals.js";
import { purgeExpiredRecords } from "../../src/records/records.service.js";
import { createKey, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, type Json, qs, rest } from "./fixtures.js";

let t: TestApp;
let acme: TestOrg;
let api: ReturnType<typeof rest>;
const C = "/v1/modules/contacts/records";
const FILTER = {
  root: {
    conjunction: "AND",
    conditions: [{ fieldSlug: "name", operator: "startsWith", value: "Totals" }],
  },
};
const filtered = `${C}?${qs({ advancedFilter: JSON.stringify(FILTER), pageSize: 2 })}`;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createRecordsOrg(t.prisma, "Acme");
  api = rest(t.app, acme.key);
});
afterAll(() => t.close());

const total = async (url = filtered, as = api) => {
  const res = await as.get(url);
  expect(res.status).toBe(200);
  return res.body.total as number;
};
const create = async (name: string, extra: Json = {}) =>
  (await api.post(C, { fields: { name }, ...extra })).body.record.id as string;
const uuid = (id: string) => id.replace(/^rec_/, "");

/** Stats of every module of the organisation next to a fresh count of its records. */
async function statsAgainstCounts() {
  return t.prisma.$queryRaw<Array<{ slug: string; kept: number; counted: number }>>`
    SELECT m.slug, s.record_count AS kept,
      (SELECT count(*)::int FROM records r WHERE r.module_id = m.id) AS counted
    FROM record_modules m JOIN record_module_stats s ON s.module_id = m.id
    WHERE m.organization_id = ${acme.id}::uuid ORDER BY m.slug`;
}

/** Runs `sql` with the triggers of `records` switched off: a write the stats never see. */
function behindTheTriggers(sql: Prisma.Sql) {
  return t.prisma.$transaction([
    t.prisma.$executeRaw`SET LOCAL session_replication_role = replica`,
    t.prisma.$executeRaw(sql),
  ]);
}

describe("list totals", () => {
  it("stay exact across creates, updates, trash, restore, purge and raw SQL writes", async () => {
    expect(await total()).toBe(0);
    const a = await create("Totals A");
    expect(await total()).toBe(1);
    const b = await create("Totals B");
    await create("Other");
    expect(await total()).toBe(2);
    expect((await api.patch(`${C}/${b}`, { fields: { name: "Renamed B" } })).status).toBe(200);
    expect(await total()).toBe(1);
    expect((await api.delete(`${C}/${a}`)).status).toBe(200);
    expect(await total()).toBe(0);
    expect((await api.post(`${C}/${a}/restore`)).status).toBe(200);
    expect(await total()).toBe(1);
    await t.prisma.$executeRaw`UPDATE records SET fields = fields || '{"name": "Totals B"}'
      WHERE id = ${uuid(b)}::uuid`;
    expect(await total()).toBe(2);
    await api.delete(`${C}/${b}`);
    expect((await api.delete(`${C}/${b}/purge`)).status).toBe(200);
    expect(await total()).toBe(1);
    await api.delete(`${C}/${a}`);
  });

  it("are answered from the version check while the module is unchanged", async () => {
    const id = await create("Totals C");
    expect(await total()).toBe(1);
    // Invisible to the triggers, so the data version stays: the remembered total is served.
    await behindTheTriggers(Prisma.sql`UPDATE records SET deleted_at = now() WHERE id = ${uuid(id)}::uuid`);
    expect(await total()).toBe(1);
    // Any write the triggers see moves the version, and the next list counts again.
    await create("Unrelated");
    expect(await total()).toBe(0);
    expect((await api.get(filtered)).body.records).toEqual([]);
  });

  it("are per viewer: a private record counts for its creator only", async () => {
    const member = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "pat@acme.example", displayName: "Pat", role: "member" },
    });
    const pat = rest(t.app, await createKey(t.prisma, acme, { scopes: ["*"], userId: member.id }));
    await create("Totals Private", { privacyLevel: "private" });
    await create("Totals Public");
    expect(await total()).toBe(2);
    expect(await total(filtered, pat)).toBe(1);
    expect(await total()).toBe(2);
  });

  it("are exact in GraphQL's totalCount, with or without the page", async () => {
    const query = `query($filter: RecordFilter) { module(slug: "contacts") {
      withPage: records(first: 1, filter: $filter) { totalCount edges { node { displayName } } }
      alone: records(first: 0, filter: $filter) { totalCount } } }`;
    const filter = {
      conjunction: "AND",
      conditions: FILTER.root.conditions.map((c) => ({ ...c, operator: "STARTS_WITH" })),
    };
    const counts = async () => {
      const { body } = await gql<Json>(t.app, acme.key, query, { filter });
      expect(body.errors).toBeUndefined();
      return [body.data?.module.withPage.totalCount, body.data?.module.alone.totalCount];
    };
    expect(await counts()).toEqual([2, 2]);
    await create("Totals D");
    expect(await counts()).toEqual([3, 3]);
  });
});

describe("record_module_stats", () => {
  it("counts every module's records, however they are written", async () => {
    const check = async () => {
      for (const row of await statsAgainstCounts()) expect(row.kept).toBe(row.counted);
    };
    await check();
    const ids = [await create("Stats 1"), await create("Stats 2"), await create("Stats 3")];
    await api.post(`${C}/bulk-delete`, { recordIds: ids });
    await check();
    await api.post(`${C}/empty-trash`);
    await check();
    const old = await create("Stats old");
    await api.delete(`${C}/${old}`);
    await t.prisma.$executeRaw`UPDATE records SET deleted_at = now() - interval '40 days'
      WHERE id = ${uuid(old)}::uuid`;
    expect(await purgeExpiredRecords(t.prisma)).toBeGreaterThanOrEqual(1);
    await check();
    const [contacts] = await t.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM record_modules WHERE organization_id = ${acme.id}::uuid AND slug = 'contacts'`;
    await t.prisma.$executeRaw`INSERT INTO records (id, organization_id, module_id, display_name, fields)
      SELECT gen_random_uuid(), ${acme.id}::uuid, ${contacts!.id}::uuid, 'Bulk ' || g, '{}'
      FROM generate_series(1, 50) g`;
    await check();
    const deleted = await gql(
      t.app,
      acme.key,
      `mutation { deleteModule(input: { slug: "deals" }) { slug } }`,
    );
    expect(deleted.body.errors).toBeUndefined();
    await check();
    expect((await statsAgainstCounts()).map((r) => r.slug)).toEqual(["accounts", "contacts"]);
  });
});

describe("TotalCache", () => {
  it("forgets the least recently used total beyond its capacity", () => {
    const cache = new TotalCache(2);
    cache.set("a", { version: "1", total: 1 });
    cache.set("b", { version: "1", total: 2 });
    expect(cache.get("a")?.total).toBe(1);
    cache.set("c", { version: "1", total: 3 });
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.total).toBe(1);
    expect(cache.get("c")?.total).toBe(3);
  });
});
