// Property (issue 12): the typed graph's `filter`, the generic graph's RecordFilter and the REST
// advancedFilter select the same records, for random records and random nested filter trees over
// every operator, through the real HTTP stack. And each operator alone, deterministically.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operator } from "../../src/records/advanced-filter.js";
import { createOrg, createTestApp, gql, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { rest } from "./fixtures.js";

type Values = Record<string, unknown>;
type Cond = { fieldSlug: string; operator: Operator; value?: unknown; values?: unknown[] };
type Tree = { conjunction: "AND" | "OR"; conditions: Array<Cond | Tree> };

const text = fc.constantFrom("a", "A", "ab", "aB%", "b_a", "%", "_", "ba", "abc");
const number = fc.integer({ min: -5, max: 5 });
const date = fc.constantFrom("2024-01-01", "2024-01-02", "2024-02-10", "2023-12-31");
const option = fc.constantFrom("x", "y", "z");
const FIELDS = [
  { slug: "t", label: "T", type: "TEXT" },
  { slug: "n", label: "N", type: "NUMBER" },
  { slug: "b", label: "B", type: "BOOLEAN" },
  { slug: "d", label: "D", type: "DATE" },
  { slug: "s", label: "S", type: "SELECT", options: ["x", "y", "z"] },
  { slug: "m", label: "M", type: "MULTI_SELECT", options: ["x", "y", "z"] },
];

const recordArb: fc.Arbitrary<Values> = fc.record(
  {
    t: text,
    n: number,
    b: fc.boolean(),
    d: date,
    s: option,
    m: fc.subarray(["x", "y", "z"], { minLength: 1 }),
  },
  { requiredKeys: [] },
);

const ops = (...list: Operator[]) => fc.constantFrom<Operator>(...list);
const condArb: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({
    fieldSlug: fc.constant("t"),
    operator: ops("eq", "neq", "contains", "notContains", "startsWith", "endsWith"),
    value: text,
  }),
  fc.record({
    fieldSlug: fc.constant("t"),
    operator: ops("in", "notIn"),
    values: fc.array(text, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    fieldSlug: fc.constant("n"),
    operator: ops("eq", "neq", "gt", "gte", "lt", "lte"),
    value: number,
  }),
  fc.record({
    fieldSlug: fc.constant("n"),
    operator: ops("in", "notIn", "between"),
    values: fc.tuple(number, number),
  }),
  fc.record({ fieldSlug: fc.constant("b"), operator: ops("eq", "neq"), value: fc.boolean() }),
  fc.record({
    fieldSlug: fc.constant("d"),
    operator: ops("eq", "neq", "before", "after", "gt", "gte", "lt", "lte"),
    value: date,
  }),
  fc.record({
    fieldSlug: fc.constant("d"),
    operator: ops("between", "in", "notIn"),
    values: fc.tuple(date, date),
  }),
  fc.record({ fieldSlug: fc.constantFrom("s", "m"), operator: ops("eq", "neq"), value: option }),
  fc.record({
    fieldSlug: fc.constantFrom("s", "m"),
    operator: ops("in", "notIn"),
    values: fc.array(option, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    fieldSlug: fc.constantFrom("t", "n", "b", "d", "s", "m"),
    operator: ops("isNull", "isNotNull"),
  }),
);

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree; node: Cond | Tree }>((tie) => ({
  tree: fc.record({
    conjunction: fc.constantFrom<"AND" | "OR">("AND", "OR"),
    conditions: fc.array(tie("node"), { minLength: 0, maxLength: 3 }),
  }),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, condArb, tie("tree")),
})).tree;

const isTree = (node: Cond | Tree): node is Tree => "conjunction" in node;
const enumValue = (field: string, v: unknown) =>
  field === "s" || field === "m" ? String(v).toUpperCase() : v;

/** The same tree as the typed graph's filter input. */
function typed(node: Cond | Tree): Json {
  if (isTree(node)) return { [node.conjunction === "AND" ? "and" : "or"]: node.conditions.map(typed) };
  const { fieldSlug: f, operator, value, values } = node;
  if (operator === "isNull" || operator === "isNotNull") return { [f]: { isNull: operator === "isNull" } };
  const operand = values ? values.map((v) => enumValue(f, v)) : enumValue(f, value);
  return { [f]: { [operator]: operand } };
}

/** The same tree as the generic graph's RecordFilter. */
function generic(tree: Tree): Json {
  return {
    conjunction: tree.conjunction,
    conditions: tree.conditions
      .filter((c): c is Cond => !isTree(c))
      .map((c) => ({
        fieldSlug: c.fieldSlug,
        operator: c.operator.replace(/([A-Z])/g, "_$1").toUpperCase(),
        ...(c.value !== undefined ? { value: c.value } : {}),
        ...(c.values ? { values: c.values } : {}),
      })),
    groups: tree.conditions.filter(isTree).map(generic),
  };
}

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Typed props");
  const made = await gql<Json>(
    t.app,
    org.key,
    `mutation($i: CreateModuleInput!) { createModule(input: $i) { typeName } }`,
    { i: { slug: "things", name: "Things", fields: FIELDS } },
  );
  expect(made.body.data.createModule.typeName).toBe("Thing");
  const records = fc.sample(fc.array(recordArb, { minLength: 40, maxLength: 40 }), {
    numRuns: 1,
    seed: 7,
  })[0]!;
  for (const fields of records) {
    const created = await rest(t.app, org.key).post("/v1/modules/things/records", { fields });
    expect(created.status).toBe(201);
  }
}, 180_000);
afterAll(() => t?.close());

async function idsOfAllThree(tree: Tree): Promise<{ rest: string[]; generic: string[]; typed: string[] }> {
  const restIds = await rest(t.app, org.key).get(
    `/v1/modules/things/records?pageSize=100&advancedFilter=${encodeURIComponent(JSON.stringify({ root: tree }))}`,
  );
  expect(restIds.status).toBe(200);
  const graph = await gql<Json>(
    t.app,
    org.key,
    `query($g: RecordFilter, $f: ThingFilter) {
      module(slug: "things") { records(first: 100, filter: $g) { edges { node { recordId } } } }
      things(first: 100, filter: $f) { totalCount edges { node { recordId } } }
    }`,
    { g: generic(tree), f: typed(tree) },
  );
  expect(graph.body.errors).toBeUndefined();
  const data = graph.body.data;
  expect(data.things.totalCount).toBe(data.things.edges.length);
  return {
    rest: (restIds.body.records as Json[]).map((r) => r.id).sort(),
    generic: data.module.records.edges.map((e: Json) => e.node.recordId).sort(),
    typed: data.things.edges.map((e: Json) => e.node.recordId).sort(),
  };
}

describe("typed filter, generic filter and REST advancedFilter", () => {
  it("select the same records for each operator on its own", async () => {
    const samples: Cond[] = [
      ...["eq", "neq", "contains", "notContains", "startsWith", "endsWith"].map((operator) => ({
        fieldSlug: "t",
        operator: operator as Operator,
        value: "a",
      })),
      { fieldSlug: "t", operator: "in", values: ["a", "ab"] },
      { fieldSlug: "t", operator: "notIn", values: ["a", "ab"] },
      ...["eq", "neq", "gt", "gte", "lt", "lte"].map((operator) => ({
        fieldSlug: "n",
        operator: operator as Operator,
        value: 0,
      })),
      { fieldSlug: "n", operator: "between", values: [-2, 2] },
      { fieldSlug: "d", operator: "before", value: "2024-01-02" },
      { fieldSlug: "d", operator: "after", value: "2024-01-01" },
      { fieldSlug: "b", operator: "eq", value: true },
      { fieldSlug: "s", operator: "in", values: ["x", "z"] },
      { fieldSlug: "m", operator: "eq", value: "y" },
      { fieldSlug: "d", operator: "isNull" },
      { fieldSlug: "n", operator: "isNotNull" },
    ];
    for (const condition of samples) {
      const ids = await idsOfAllThree({ conjunction: "AND", conditions: [condition] });
      expect(ids.typed, JSON.stringify(condition)).toEqual(ids.rest);
      expect(ids.generic, JSON.stringify(condition)).toEqual(ids.rest);
    }
  });

  it("select the same records for random trees", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async (tree) => {
        const ids = await idsOfAllThree(tree);
        expect(ids.typed).toEqual(ids.rest);
        expect(ids.generic).toEqual(ids.rest);
      }),
      { numRuns: 60, seed: 12 },
    );
  });
});
