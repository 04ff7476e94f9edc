// Property: GET /Users with a random filter (and random paging and sorting) returns exactly what a
// small reference evaluator, written here from RFC 7644 §3.4.2.2 and independent of src/scim,
// selects from the users the test created. The endpoint runs as it does in production: SQL
// narrows where it can (userName, emails, displayName, names, externalId, id, active eq), the
// rest is evaluated in memory.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrg, createTestApp, type Json, type TestApp } from "../helpers/app.js";
import { ENTERPRISE, type ScimClient, scimClient, USER } from "./helpers.js";

type Model = {
  id: string;
  userName: string;
  email: string;
  displayName: string;
  givenName?: string;
  familyName?: string;
  externalId?: string;
  active: boolean;
  department?: string;
  created: string;
};

type Kind = "ci" | "exact" | "bool" | "date";
type Attr = { name: string; kind: Kind; get: (u: Model) => Array<string | boolean | undefined> };
type Email = { value: string; type: string; primary: boolean };
type SubAttr = { name: string; kind: Kind; get: (e: Email) => Array<string | boolean> };

const ATTRS: Attr[] = [
  { name: "userName", kind: "ci", get: (u) => [u.userName] },
  { name: "displayName", kind: "ci", get: (u) => [u.displayName] },
  { name: "name.givenName", kind: "ci", get: (u) => [u.givenName] },
  { name: "name.familyName", kind: "ci", get: (u) => [u.familyName] },
  { name: "emails", kind: "ci", get: (u) => [u.email] },
  { name: "emails.value", kind: "ci", get: (u) => [u.email] },
  { name: "emails.type", kind: "ci", get: () => ["work"] },
  { name: "externalId", kind: "exact", get: (u) => [u.externalId] },
  { name: "id", kind: "exact", get: (u) => [u.id] },
  { name: "active", kind: "bool", get: (u) => [u.active] },
  { name: "meta.created", kind: "date", get: (u) => [u.created] },
  { name: `${ENTERPRISE}:department`, kind: "ci", get: (u) => [u.department] },
];
const EMAIL_SUBS: SubAttr[] = [
  { name: "value", kind: "ci", get: (e) => [e.value] },
  { name: "type", kind: "ci", get: (e) => [e.type] },
  { name: "primary", kind: "bool", get: (e) => [e.primary] },
];
const SORTABLE = ["userName", "displayName", "name.familyName", "emails", "meta.created", "externalId"];

const OPS: Record<Kind, string[]> = {
  ci: ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"],
  exact: ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"],
  bool: ["eq", "ne"],
  date: ["eq", "ne", "gt", "ge", "lt", "le"],
};

type Value = string | boolean | null;
type Leaf<A> =
  | { t: "cmp"; attr: A; op: string; value: Value; spelling: Spelling }
  | { t: "pr"; attr: A; spelling: Spelling };
type Node =
  | Leaf<Attr>
  | { t: "and" | "or"; left: Node; right: Node; parens: boolean; spelling: Spelling }
  | { t: "not"; node: Node }
  | { t: "vp"; inner: SubNode; spelling: Spelling };
type SubNode =
  | Leaf<SubAttr>
  | { t: "and" | "or"; left: SubNode; right: SubNode; parens: boolean; spelling: Spelling };
type Spelling = "as-is" | "upper" | "lower";

// Letters whose case folds, accented ones (no SQL narrowing), LIKE's wildcards and escape, quotes.
const ALPHABET = ["a", "A", "b", "B", "z", "é", "É", "_", "%", ".", "-", "\\", '"', "'"];
const word = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 })
  .map((chars) => chars.join(""));

let t: TestApp;
let scim: ScimClient;
const users: Model[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const org = await createOrg(t.prisma, "Property");
  scim = scimClient(t.app, org.key);
  const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: org.ownerId } });
  users.push({
    id: owner.id,
    userName: owner.email,
    email: owner.email,
    displayName: owner.displayName,
    active: true,
    created: owner.createdAt.toISOString(),
  });
  // Users made outside SCIM have no userName: they answer to their e-mail.
  for (const [index, local] of ["Outside", "out_side", "é-out"].entries()) {
    const row = await t.prisma.user.create({
      data: {
        organizationId: org.id,
        email: `${local.toLowerCase()}${index}@ex.com`,
        displayName: `${local} ${index}`,
      },
    });
    users.push({
      id: row.id,
      userName: row.email,
      email: row.email,
      displayName: row.displayName,
      active: true,
      created: row.createdAt.toISOString(),
    });
  }
  const shapes = fc.sample(
    fc.record({
      userName: word,
      domain: fc.constantFrom("ex.com", "Ex.ORG", "é.net"),
      displayName: word,
      givenName: fc.option(word, { nil: undefined }),
      familyName: fc.option(word, { nil: undefined }),
      externalId: fc.option(word, { nil: undefined }),
      active: fc.boolean(),
      department: fc.option(word, { nil: undefined }),
    }),
    { numRuns: 24, seed: 20261129 },
  );
  for (const [index, shape] of shapes.entries()) {
    const model = {
      userName: `${shape.userName}${index}`,
      email: `${shape.userName}${index}@${shape.domain}`,
      displayName: shape.displayName,
      givenName: shape.givenName,
      familyName: shape.familyName,
      externalId: shape.externalId === undefined ? undefined : `${shape.externalId}-${index}`,
      active: shape.active,
      department: shape.department,
    };
    const name = { givenName: model.givenName, familyName: model.familyName };
    const response = await scim.post("/Users", {
      schemas: [USER, ENTERPRISE],
      userName: model.userName,
      displayName: model.displayName,
      emails: [{ value: model.email, primary: true }],
      active: model.active,
      ...(model.externalId === undefined ? {} : { externalId: model.externalId }),
      ...(model.givenName || model.familyName ? { name } : {}),
      ...(model.department === undefined ? {} : { [ENTERPRISE]: { department: model.department } }),
    });
    if (response.status !== 201) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
    users.push({ ...model, id: response.body.id, created: response.body.meta.created });
  }
});
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------
// The reference evaluator

function present<T>(values: Array<T | undefined>): T[] {
  return values.filter((v): v is T => v !== undefined && v !== null && v !== "");
}

function compareOne(actual: string | boolean, op: string, expected: string | boolean, kind: Kind): boolean {
  if (kind === "bool") return op === "eq" && actual === expected;
  if (typeof actual !== "string" || typeof expected !== "string") return false;
  let a: string | number = actual;
  let b: string | number = expected;
  if (kind === "date") {
    a = Date.parse(actual);
    b = Date.parse(expected);
  } else if (kind === "ci") {
    a = actual.toLowerCase();
    b = expected.toLowerCase();
  }
  switch (op) {
    case "eq":
      return a === b;
    case "co":
      return String(a).includes(String(b));
    case "sw":
      return String(a).startsWith(String(b));
    case "ew":
      return String(a).endsWith(String(b));
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      throw new Error(op);
  }
}

function evalLeaf<T>(
  leaf: Leaf<{ kind: Kind; get: (x: T) => Array<string | boolean | undefined> }>,
  item: T,
): boolean {
  const values = present(leaf.attr.get(item));
  if (leaf.t === "pr") return values.length > 0;
  const { op, value } = leaf;
  if (value === null) return op === "eq" ? values.length === 0 : values.length > 0;
  if (op === "ne") return !values.some((v) => compareOne(v, "eq", value, leaf.attr.kind));
  return values.some((v) => compareOne(v, op, value, leaf.attr.kind));
}

function evalSub(node: SubNode, email: Email): boolean {
  if (node.t === "cmp" || node.t === "pr") return evalLeaf(node, email);
  return node.t === "and"
    ? evalSub(node.left, email) && evalSub(node.right, email)
    : evalSub(node.left, email) || evalSub(node.right, email);
}

function evaluate(node: Node, u: Model): boolean {
  switch (node.t) {
    case "and":
      return evaluate(node.left, u) && evaluate(node.right, u);
    case "or":
      return evaluate(node.left, u) || evaluate(node.right, u);
    case "not":
      return !evaluate(node.node, u);
    case "vp":
      return evalSub(node.inner, { value: u.email, type: "work", primary: true });
    default:
      return evalLeaf(node, u);
  }
}

// ---------------------------------------------------------------------------------------------
// Random filters, written out as text with random spellings

function spell(text: string, spelling: Spelling): string {
  return spelling === "upper" ? text.toUpperCase() : spelling === "lower" ? text.toLowerCase() : text;
}

function literal(value: Value, spelling: Spelling): string {
  if (value === null) return spell("null", spelling);
  if (typeof value === "boolean") return spell(String(value), spelling);
  return JSON.stringify(value);
}

function leafText(leaf: Leaf<{ name: string }>): string {
  const name = spell(leaf.attr.name, leaf.spelling);
  if (leaf.t === "pr") return `${name} ${spell("pr", leaf.spelling)}`;
  return `${name} ${spell(leaf.op, leaf.spelling)} ${literal(leaf.value, leaf.spelling)}`;
}

const PRECEDENCE = { or: 1, and: 2 };

function text(node: Node | SubNode, parent: number): string {
  switch (node.t) {
    case "and":
    case "or": {
      const own = PRECEDENCE[node.t];
      const inner = `${text(node.left, own)} ${spell(node.t, node.spelling)} ${text(node.right, own)}`;
      return node.parens || parent > own ? `(${inner})` : inner;
    }
    case "not":
      return `not (${text(node.node, 0)})`;
    case "vp":
      return `${spell("emails", node.spelling)}[${text(node.inner, 0)}]`;
    default:
      return leafText(node);
  }
}

const spelling = fc.constantFrom<Spelling>("as-is", "upper", "lower");

/** Values near the data: existing ones, case-flipped, cut, or new; dates around the creation times. */
function valueFor(attr: { kind: Kind; name: string }, pool: () => string[]): fc.Arbitrary<Value> {
  if (attr.kind === "bool") return fc.boolean();
  if (attr.kind === "date") {
    const times = users.map((u) => Date.parse(u.created));
    return fc
      .tuple(fc.constantFrom(...times), fc.constantFrom(-1, 0, 0, 1, 3_600_000))
      .map(([time, delta]) => new Date(time + delta).toISOString());
  }
  const existing = fc.tuple(fc.constantFrom(...pool()), spelling).map(([value, s]) => spell(value, s));
  const cut = fc
    .tuple(fc.constantFrom(...pool()), fc.nat(), fc.nat(), spelling)
    .map(([value, from, length, s]) => {
      const start = from % (value.length + 1);
      return spell(value.slice(start, start + 1 + (length % value.length)), s);
    });
  return fc.oneof(
    { weight: 3, arbitrary: existing },
    { weight: 2, arbitrary: cut },
    { weight: 1, arbitrary: word },
  );
}

function leafArb<A extends { kind: Kind; name: string }>(
  attrs: A[],
  pool: (attr: A) => string[],
): fc.Arbitrary<Leaf<A>> {
  return fc.constantFrom(...attrs).chain((attr) => {
    const compare = fc
      .tuple(
        fc.constantFrom(...OPS[attr.kind]),
        valueFor(attr, () => pool(attr)),
        spelling,
        fc.integer({ min: 0, max: 9 }),
      )
      .map(
        ([op, value, s, n]): Leaf<A> => ({
          t: "cmp",
          attr,
          op,
          // eq null / ne null now and then: "absent" / "present"
          value: n === 0 && (op === "eq" || op === "ne") ? null : value,
          spelling: s,
        }),
      );
    const pr = spelling.map((s): Leaf<A> => ({ t: "pr", attr, spelling: s }));
    return fc.oneof({ weight: 5, arbitrary: compare }, { weight: 1, arbitrary: pr });
  });
}

function poolOf(attr: { get: (u: Model) => Array<string | boolean | undefined> }): string[] {
  const values = users.flatMap((u) => present(attr.get(u))).filter((v): v is string => typeof v === "string");
  return values.length > 0 ? values : ["none"];
}

function emailPool(sub: SubAttr): string[] {
  return users
    .flatMap((u) => sub.get({ value: u.email, type: "work", primary: true }))
    .filter((v) => typeof v === "string") as string[];
}

function filterArb(): fc.Arbitrary<Node> {
  const subLeaf = leafArb(EMAIL_SUBS, emailPool);
  const sub: fc.Arbitrary<SubNode> = fc.oneof(
    { weight: 3, arbitrary: subLeaf },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom<"and" | "or">("and", "or"), subLeaf, subLeaf, fc.boolean(), spelling)
        .map(([op, left, right, parens, s]): SubNode => ({ t: op, left, right, parens, spelling: s })),
    },
  );
  const { node } = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { weight: 4, arbitrary: leafArb(ATTRS, poolOf) as fc.Arbitrary<Node> },
      {
        weight: 1,
        arbitrary: fc.tuple(sub, spelling).map(([inner, s]): Node => ({ t: "vp", inner, spelling: s })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom<"and" | "or">("and", "or"), tie("node"), tie("node"), fc.boolean(), spelling)
          .map(([op, left, right, parens, s]): Node => ({ t: op, left, right, parens, spelling: s })),
      },
      { weight: 1, arbitrary: tie("node").map((inner): Node => ({ t: "not", node: inner })) },
    ),
  }));
  return node;
}

// ---------------------------------------------------------------------------------------------

/** The reference order: creation time, then id (what the endpoint uses when nothing else decides). */
function byCreation(a: Model, b: Model): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sortKey(u: Model, sortBy: string): string | undefined {
  const attr = ATTRS.find((a) => a.name === sortBy)!;
  const [value] = present(attr.get(u));
  if (value === undefined) return undefined;
  if (attr.kind === "date") return String(Date.parse(value as string)).padStart(16, "0");
  return attr.kind === "ci" ? (value as string).toLowerCase() : (value as string);
}

function referenceOrder(matches: Model[], sortBy: string | null, descending: boolean): Model[] {
  const ordered = [...matches].sort(byCreation);
  if (!sortBy) return ordered;
  return ordered.sort((a, b) => {
    const x = sortKey(a, sortBy);
    const y = sortKey(b, sortBy);
    const result =
      x === undefined || y === undefined
        ? Number(x === undefined) - Number(y === undefined)
        : x < y
          ? -1
          : x > y
            ? 1
            : 0;
    return descending ? -result : result;
  });
}

it(
  "agrees with the reference evaluator on random filters, pages and sort orders",
  { timeout: 600_000 },
  async () => {
    const paging = fc.record({
      startIndex: fc.integer({ min: 1, max: 30 }),
      count: fc.integer({ min: 0, max: 30 }),
      sortBy: fc.option(fc.constantFrom(...SORTABLE), { nil: null }),
      descending: fc.boolean(),
      paged: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(filterArb(), paging, async (node, page) => {
        const filter = text(node, 0);
        const params: Record<string, string | number> = { filter };
        if (page.paged) Object.assign(params, { startIndex: page.startIndex, count: page.count });
        else params.count = 200;
        if (page.sortBy)
          Object.assign(params, {
            sortBy: page.sortBy,
            sortOrder: page.descending ? "descending" : "ascending",
          });
        const response = await scim.list("Users", params);
        if (response.status !== 200)
          throw new Error(`${filter}: ${response.status} ${JSON.stringify(response.body)}`);

        const matching = users.filter((u) => evaluate(node, u));
        const ordered = referenceOrder(matching, page.sortBy, page.descending);
        const startIndex = page.paged ? page.startIndex : 1;
        const count = page.paged ? page.count : 200;
        const expected = ordered.slice(startIndex - 1, startIndex - 1 + count).map((u) => u.id);
        const body: Json = response.body;
        expect(body.totalResults, filter).toBe(matching.length);
        expect(body.startIndex).toBe(startIndex);
        expect(body.itemsPerPage).toBe(expected.length);
        const got = body.Resources.map((r: Json) => r.id);
        if (page.sortBy) expect(got, `${filter} sortBy ${page.sortBy}`).toEqual(expected);
        else expect(got, filter).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  },
);
