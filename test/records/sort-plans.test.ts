// Every default order of a records listing is walked from its index, not sorted: EXPLAIN of the
// exact statement each surface sends shows a Limit over an index scan of
// (module_id, created_at DESC, id DESC) with no Sort under it. With `created_at DESC NULLS LAST`
// (the index's DESC puts nulls first), PostgreSQL scanned and sorted the whole module on every
// default page: 86–106 ms at 100 000 records, 12–14 pages/s on the embedded database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, insertDeals } from "./fixtures.js";

const RECORDS = 20_000;
const INDEX = "records_module_id_created_at_id_idx";

type PlanNode = { "Node Type": string; "Index Name"?: string; Plans?: PlanNode[] };

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createRecordsOrg(t.prisma);
  await insertDeals(t.prisma, org, RECORDS);
}, 180_000);

afterAll(() => t?.close());

/** The statements a request sends that read a page of records. */
async function pageStatements(send: () => Promise<unknown>) {
  const seen: Array<{ text: string; values: unknown[] }> = [];
  const stop = t.db.observeStatements((text, values) => {
    if (/FROM records r/.test(text) && /ORDER BY/.test(text) && /LIMIT/.test(text))
      seen.push({ text, values });
  });
  try {
    await send();
  } finally {
    stop();
  }
  return seen;
}

async function plan(statement: { text: string; values: unknown[] }): Promise<PlanNode> {
  const rows = await t.db.sql.rows<{ "QUERY PLAN": unknown }>({
    text: `EXPLAIN (FORMAT JSON) ${statement.text}`,
    values: statement.values,
  });
  const raw = rows[0]!["QUERY PLAN"];
  const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
  return parsed[0]!.Plan;
}

function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

/** A Limit whose rows come in index order: an index scan of INDEX under it, and no Sort. */
function walksTheIndex(root: PlanNode): boolean {
  return nodes(root)
    .filter((n) => n["Node Type"] === "Limit")
    .some((limit) => {
      const below = nodes(limit).slice(1);
      return (
        !below.some((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort") &&
        below.some((n) => n["Node Type"].startsWith("Index") && n["Index Name"] === INDEX)
      );
    });
}

describe("default orders use the index", () => {
  it.each([
    ["REST list, newest first", "/v1/modules/deals/records?pageSize=25"],
    ["REST list, oldest first", "/v1/modules/deals/records?pageSize=25&sortDirection=asc"],
  ])("%s", async (_name, url) => {
    const statements = await pageStatements(async () => {
      const response = await t.app.inject({ method: "GET", url, headers: bearer(org.key) });
      expect(response.statusCode).toBe(200);
      expect(response.json().total).toBeGreaterThanOrEqual(RECORDS);
    });
    expect(statements).toHaveLength(1);
    expect(walksTheIndex(await plan(statements[0]!)), JSON.stringify(await plan(statements[0]!))).toBe(true);
  });

  it.each([
    ["GraphQL connection, first page", "first: 25"],
    ["GraphQL connection, last page", "last: 25"],
  ])("%s", async (_name, args) => {
    const statements = await pageStatements(async () => {
      const result = await gql<{ module: { records: { totalCount: number; edges: unknown[] } } }>(
        t.app,
        org.key,
        `{ module(slug: "deals") { records(${args}) { totalCount edges { node { id } } } } }`,
      );
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.module.records.edges).toHaveLength(25);
      expect(result.body.data!.module.records.totalCount).toBeGreaterThanOrEqual(RECORDS);
    });
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(walksTheIndex(await plan(statement))).toBe(true);
  });
});
