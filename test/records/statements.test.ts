// Statements per request on the warm path, counted at the pool (Prisma's and the stores' alike),
// whatever the page size: a REST read sends at most 2, a GraphQL page with `module` and
// `createdBy` at most 3.
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
  ])("REST %s: at most 2", async (_name, url) => {
    expect(await warmStatements(rest(url()))).toBeLessThanOrEqual(2);
  });

  it.each([5, 100])("GraphQL page of %i with module and createdBy: at most 3", async (first) => {
    const count = await warmStatements(async () => {
      const result = await gql<{ module: { records: { edges: unknown[] } } }>(t.app, org.key, PAGE(first));
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.module.records.edges).toHaveLength(first);
    });
    expect(count).toBeLessThanOrEqual(3);
  });
});
