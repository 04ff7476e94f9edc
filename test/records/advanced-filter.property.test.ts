// Property: the SQL the filter compiler produces selects exactly the records a plain in-memory
// evaluator of the same tree accepts, for random records and random nested filter trees.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { Viewer } from "../../src/identity/viewer.js";
import { type Operator, parseAdvancedFilter } from "../../src/records/advanced-filter.js";
import { recordRestId } from "../../src/records/records.inputs.js";
import { RecordService } from "../../src/records/records.service.js";
import { createOrg, createTestApp, type TestApp } from "../helpers/app.js";

type Values = Record<string, unknown>;
type Cond = { fieldSlug: string; operator: Operator; value?: unknown; values?: unknown[] };
type Tree = { conjunction: "AND" | "OR"; conditions: Array<Cond | Tree> };

const TEXTS = ["", "a", "A", "ab", "aB%", "b_a", "%", "_", "ba", "abc"];
const text = fc.constantFrom(...TEXTS.filter(Boolean));
const number = fc.integer({ min: -5, max: 5 });
const date = fc.constantFrom("2024-01-01", "2024-01-02", "2024-02-10", "2023-12-31");
const multi = fc.subarray(["x", "y", "z"]);
const schema = [
  { slug: "t", label: "T", type: "text" as const, required: false },
  { slug: "n", label: "N", type: "number" as const, required: false },
  { slug: "b", label: "B", type: "boolean" as const, required: false },
  { slug: "d", label: "D", type: "date" as const, required: false },
  { slug: "m", label: "M", type: "multi_select" as const, required: false, options: ["x", "y", "z"] },
];

const recordArb: fc.Arbitrary<Values> = fc.record(
  { t: text, n: number, b: fc.boolean(), d: date, m: multi },
  { requiredKeys: [] },
);

const condArb: fc.Arbitrary<Cond> = fc.oneof(
  fc.record({
    fieldSlug: fc.constant("t"),
    operator: fc.constantFrom<Operator>("eq", "neq", "contains", "notContains", "startsWith", "endsWith"),
    value: text,
  }),
  fc.record({
    fieldSlug: fc.constant("t"),
    operator: fc.constantFrom<Operator>("in", "notIn"),
    values: fc.array(text, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    fieldSlug: fc.constant("n"),
    operator: fc.constantFrom<Operator>("eq", "neq", "gt", "gte", "lt", "lte"),
    value: number,
  }),
  fc.record({
    fieldSlug: fc.constant("n"),
    operator: fc.constantFrom<Operator>("in", "notIn", "between"),
    values: fc.tuple(number, number),
  }),
  fc.record({
    fieldSlug: fc.constant("b"),
    operator: fc.constantFrom<Operator>("eq", "neq"),
    value: fc.boolean(),
  }),
  fc.record({
    fieldSlug: fc.constant("d"),
    operator: fc.constantFrom<Operator>("eq", "neq", "before", "after", "gt", "lte"),
    value: date,
  }),
  fc.record({
    fieldSlug: fc.constant("d"),
    operator: fc.constant<Operator>("between"),
    values: fc.tuple(date, date),
  }),
  fc.record({
    fieldSlug: fc.constant("m"),
    operator: fc.constantFrom<Operator>("eq", "neq"),
    value: fc.constantFrom("x", "y", "z"),
  }),
  fc.record({
    fieldSlug: fc.constant("m"),
    operator: fc.constantFrom<Operator>("in", "notIn"),
    values: fc.array(fc.constantFrom("x", "y", "z"), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    fieldSlug: fc.constantFrom("t", "n", "b", "d", "m"),
    operator: fc.constantFrom<Operator>("isNull", "isNotNull"),
  }),
);

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree; node: Cond | Tree }>((tie) => ({
  tree: fc.record({
    conjunction: fc.constantFrom<"AND" | "OR">("AND", "OR"),
    conditions: fc.array(tie("node"), { minLength: 0, maxLength: 3 }),
  }),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, condArb, tie("tree")),
})).tree;

function evalCond(c: Cond, r: Values): boolean {
  const v = r[c.fieldSlug];
  const eq = (x: unknown) => (Array.isArray(v) ? v.includes(x) : v === x);
  const [a, b] = c.values ?? [];
  const cmp = (op: (x: never, y: never) => boolean, x: unknown) =>
    v !== undefined && op(v as never, x as never);
  const lower = (x: unknown) => String(x).toLowerCase();
  switch (c.operator) {
    case "eq":
      return eq(c.value);
    case "neq":
      return !eq(c.value);
    case "in":
      return c.values!.some(eq);
    case "notIn":
      return !c.values!.some(eq);
    case "gt":
    case "after":
      return cmp((x, y) => x > y, c.value);
    case "gte":
      return cmp((x, y) => x >= y, c.value);
    case "lt":
    case "before":
      return cmp((x, y) => x < y, c.value);
    case "lte":
      return cmp((x, y) => x <= y, c.value);
    case "between":
      return cmp((x, y) => x >= y, a) && cmp((x, y) => x <= y, b);
    case "contains":
      return v !== undefined && lower(v).includes(lower(c.value));
    case "notContains":
      return v === undefined || !lower(v).includes(lower(c.value));
    case "startsWith":
      return v !== undefined && lower(v).startsWith(lower(c.value));
    case "endsWith":
      return v !== undefined && lower(v).endsWith(lower(c.value));
    case "isNull":
      return v === undefined;
    case "isNotNull":
      return v !== undefined;
  }
}

/** An empty group, of either conjunction, places no constraint (the compiler's documented rule). */
function evalTree(tree: Tree, r: Values): boolean {
  if (tree.conditions.length === 0) return true;
  const results = tree.conditions.map((c) => ("conjunction" in c ? evalTree(c, r) : evalCond(c, r)));
  return tree.conjunction === "AND" ? results.every(Boolean) : results.some(Boolean);
}

let t: TestApp;
let service: RecordService;
let stored: Array<{ id: string; values: Values }> = [];

beforeAll(async () => {
  t = await createTestApp();
  const org = await createOrg(t.prisma, "Props");
  const viewer = Viewer.system(
    { id: org.id, name: "Props" },
    { id: org.ownerId, displayName: "Owner", email: "o@x.example", role: "owner" },
  );
  service = new RecordService(t.prisma, viewer);
  await service.modules.create({ slug: "things", name: "Things", fields: schema });
  const records = fc.sample(fc.array(recordArb, { minLength: 40, maxLength: 40 }), {
    numRuns: 1,
    seed: 42,
  })[0]!;
  for (const values of records) {
    const clean = Object.fromEntries(
      Object.entries(values).filter(([, v]) => !(Array.isArray(v) && v.length === 0)),
    );
    const row = await service.create("things", { fields: clean });
    stored.push({ id: recordRestId(row.id), values: clean });
  }
  stored = stored.filter(Boolean);
});
afterAll(() => t.close());

describe("advanced filter compiler", () => {
  it("agrees with an in-memory evaluator on random trees", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, async (tree) => {
        const page = await service.list("things", { advancedFilter: { root: tree }, page: 1, pageSize: 100 });
        const got = page.rows.map((r) => recordRestId(r.id)).sort();
        const want = stored
          .filter((s) => evalTree(tree, s.values))
          .map((s) => s.id)
          .sort();
        expect(got).toEqual(want);
        expect(page.total).toBe(want.length);
      }),
      { numRuns: 120 },
    );
  });

  it("never throws anything but a ValidationError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        try {
          parseAdvancedFilter(value, schema);
          parseAdvancedFilter({ root: value }, schema);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
