// Statements per request on the warm path, counted at the pool (Prisma's and the stores' alike),
// whatever the page size: a REST read sends one (the key and the modules come from the caches
// the change feed keeps current), a GraphQL page with `module` and `createdBy` at most 2, and a
// typed page with two levels of references and `createdBy` at most 4.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, insertDeals } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let recordId: string;

beforeAll(async () => {
  t = await createTestApp();
  org = await createRecordsOrg(t.prisma);
  await insertDeals(t.prisma, org, 150);
  // Every deal points at an account and two contacts (each with its account): references to load.
  await t.prisma.$executeRaw`
    WITH a AS (SELECT array_agg('rec_' || r.id ORDER BY r.id) AS ids FROM records r JOIN record_modules m
        ON m.id = r.module_id WHERE m.organization_id = ${org.id}::uuid AND m.slug = 'accounts'),
      c AS (SELECT array_agg('rec_' || r.id ORDER BY r.id) AS ids FROM records r JOIN record_modules m
        ON m.id = r.module_id WHERE m.organization_id = ${org.id}::uuid AND m.slug = 'contacts'),
      d AS (SELECT r.id, row_number() OVER (ORDER BY r.id) AS n FROM records r JOIN record_modules m
        ON m.id = r.module_id WHERE m.organization_id = ${org.id}::uuid AND m.slug = 'deals')
    UPDATE records SET fields = records.fields || jsonb_build_object(
        'account', a.ids[1 + d.n % array_length(a.ids, 1)],
        'related_contacts', jsonb_build_array(c.ids[1 + d.n % array_length(c.ids, 1)],
          c.ids[1 + (d.n + 1) % array_length(c.ids, 1)]))
    FROM a, c, d WHERE records.id = d.id`;
  const list = await t.app.inject({
    method: "GET",
    url: "/v1/modules/deals/records?pageSize=1",
    headers: bearer(org.key),
  });
  recordId = list.json().records[0].id;
});
afterAll(() => t?.close());

/** Statements sent by `send`, run once before to warm the caches (key, totals, connections). */
async function warmStatements(send: () => Promise<void>): Promise<number> {
  await send();
  const before = t.db.statementCount();
  await send();
  return t.db.statementCount() - before;
}

const rest = (url: string) => async () => {
  const response = await t.app.inject({ method: "GET", url, headers: bearer(org.key) });
  expect(response.statusCode).toBe(200);
};

const PAGE = (first: number) => `{ module(slug: "deals") { records(first: ${first}) {
  totalCount edges { node { id displayName module { slug } createdBy { displayName } } } } } }`;

describe("statements per request", () => {
  it.each([
    ["get one record", () => `/v1/modules/deals/records/${recordId}`],
    ["page of 25 with its total", () => "/v1/modules/deals/records?pageSize=25"],
    ["page of 100 with its total", () => "/v1/modules/deals/records?pageSize=100"],
  ])("REST %s: one", async (_name, url) => {
    expect(await warmStatements(rest(url()))).toBe(1);
  });

  it.each([5, 100])("GraphQL page of %i with module and createdBy: at most 2", async (first) => {
    const count = await warmStatements(async () => {
      const result = await gql<{ module: { records: { edges: unknown[] } } }>(t.app, org.key, PAGE(first));
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.module.records.edges).toHaveLength(first);
    });
    expect(count).toBeLessThanOrEqual(2);
  });

  // Level 1: each deal's account and related contacts; level 2: those contacts' accounts.
  const TYPED = (first: number) => `{ deals(first: ${first}) { totalCount edges { node {
    name createdBy { displayName } account { name }
    relatedContacts { edges { node { name account { name } } } } } } } }`;

  it.each([
    5, 25, 100,
  ])("typed page of %i with two levels of references and createdBy: at most 4", async (first) => {
    const count = await warmStatements(async () => {
      type Deal = {
        account: { name: string } | null;
        relatedContacts: { edges: Array<{ node: { account: unknown } }> };
      };
      const result = await gql<{ deals: { edges: Array<{ node: Deal }> } }>(t.app, org.key, TYPED(first));
      expect(result.body.errors).toBeUndefined();
      const deals = result.body.data!.deals.edges.map((e) => e.node);
      expect(deals).toHaveLength(first);
      expect(deals.every((d) => d.account !== null && d.relatedContacts.edges.length === 2)).toBe(true);
      expect(deals.every((d) => d.relatedContacts.edges.every((e) => e.node.account !== null))).toBe(true);
    });
    expect(count).toBeLessThanOrEqual(4);
  });

  it("typed page of accounts with each one's deals (a reverse reference): at most 2", async () => {
    const count = await warmStatements(async () => {
      const result = await gql<{
        accounts: { edges: Array<{ node: { dealsByAccount: { totalCount: number } } }> };
      }>(
        t.app,
        org.key,
        `{ accounts { edges { node { name dealsByAccount(first: 3) { totalCount edges { node { name } } } } } } }`,
      );
      expect(result.body.errors).toBeUndefined();
      const totals = result.body.data!.accounts.edges.map((e) => e.node.dealsByAccount.totalCount);
      expect(totals.reduce((a, b) => a + b, 0)).toBe(153);
    });
    expect(count).toBeLessThanOrEqual(2);
  });
});
