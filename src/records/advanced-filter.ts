// The Records API's filter language: the seed's advancedFilter tree (and the simple
// filter[field]=a,b form, which becomes one `in` condition) parsed against a module's field
// schema, then compiled to one SQL predicate over `records r`. Field slugs are checked against
// the schema and then travel as bound parameters, as do all values: nothing the caller sends is
// spliced into SQL text.

import { type FieldIssue, ValidationError } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { isMultiValued, isValidDate, normalizeDatetime } from "./field-values.js";
import type { FieldDefinition } from "./records.inputs.js";

export const OPERATORS = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "contains",
  "notContains",
  "startsWith",
  "endsWith",
  "in",
  "notIn",
  "isNull",
  "isNotNull",
  "between",
  "before",
  "after",
] as const;
export type Operator = (typeof OPERATORS)[number];

/** How a field compares: decides which operators apply and how values are read. */
export type FilterKind = "text" | "id" | "number" | "boolean" | "date" | "datetime" | "multi";

/** Dates and datetimes compare alike: ordering, ranges and before/after. */
const TEMPORAL_OPERATORS: readonly Operator[] = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "between",
  "before",
  "after",
  "in",
  "notIn",
  "isNull",
  "isNotNull",
];

const OPERATORS_BY_KIND: Record<FilterKind, readonly Operator[]> = {
  text: [
    "eq",
    "neq",
    "contains",
    "notContains",
    "startsWith",
    "endsWith",
    "in",
    "notIn",
    "isNull",
    "isNotNull",
  ],
  id: ["eq", "neq", "in", "notIn", "isNull", "isNotNull"],
  number: ["eq", "neq", "gt", "gte", "lt", "lte", "between", "in", "notIn", "isNull", "isNotNull"],
  boolean: ["eq", "neq", "isNull", "isNotNull"],
  date: TEMPORAL_OPERATORS,
  datetime: TEMPORAL_OPERATORS,
  multi: ["eq", "neq", "in", "notIn", "isNull", "isNotNull"],
};

/** Record columns that filters and sorts accept beside the module's own field slugs. */
export const CORE_FIELDS = {
  created_at: { column: "created_at", kind: "datetime" },
  createdDateTime: { column: "created_at", kind: "datetime" },
  updated_at: { column: "updated_at", kind: "datetime" },
  updatedDateTime: { column: "updated_at", kind: "datetime" },
  display_name: { column: "display_name", kind: "text" },
  displayName: { column: "display_name", kind: "text" },
} as const satisfies Record<string, { column: string; kind: FilterKind }>;
export type CoreColumn = (typeof CORE_FIELDS)[keyof typeof CORE_FIELDS]["column"];
export const RESERVED_SLUGS = Object.keys(CORE_FIELDS);

/** What a condition's fieldSlug resolved to. */
export type FilterTarget =
  | { source: "field"; slug: string; kind: FilterKind; field: FieldDefinition }
  | { source: "core"; slug: string; kind: FilterKind; column: CoreColumn };

export type Condition = { type: "condition"; target: FilterTarget; operator: Operator; values: unknown[] };
export type Group = { type: "group"; conjunction: "AND" | "OR"; conditions: FilterNode[] };
/** A predicate built elsewhere (the typed graph's `not`, nested and id filters), compiled as is. */
export type Predicate = { type: "predicate"; sql: Prisma.Sql };
export type FilterNode = Condition | Group | Predicate;

export const MAX_DEPTH = 8;
export const MAX_CONDITIONS = 200;

export function kindOf(field: FieldDefinition): FilterKind {
  if (isMultiValued(field)) return "multi";
  switch (field.type) {
    case "number":
    case "currency":
      return "number";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "datetime":
      return "datetime";
    case "reference":
    case "user":
      return "id";
    default:
      return "text";
  }
}

export function resolveTarget(slug: unknown, schema: FieldDefinition[]): FilterTarget | null {
  if (typeof slug !== "string") return null;
  const field = schema.find((f) => f.slug === slug);
  if (field) return { source: "field", slug, kind: kindOf(field), field };
  if (Object.hasOwn(CORE_FIELDS, slug)) {
    const core = CORE_FIELDS[slug as keyof typeof CORE_FIELDS];
    return { source: "core", slug, kind: core.kind, column: core.column };
  }
  return null;
}

class FilterProblems {
  readonly issues: FieldIssue[] = [];
  add(field: string, message: string): void {
    this.issues.push({ field, message });
  }
}

/** One filter value, read for the target's kind; `fromText` for query-string values. */
function readValue(
  target: FilterTarget,
  value: unknown,
  fromText: boolean,
): { value: unknown } | { error: string } {
  const label = `${target.kind === "multi" ? "multi-valued" : target.kind} field "${target.slug}"`;
  switch (target.kind) {
    case "number": {
      const n = fromText && typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      return typeof n === "number" && Number.isFinite(n)
        ? { value: n }
        : { error: `${label} needs a number` };
    }
    case "boolean": {
      const b = fromText && (value === "true" || value === "false") ? value === "true" : value;
      return typeof b === "boolean" ? { value: b } : { error: `${label} needs true or false` };
    }
    case "date":
      return typeof value === "string" && isValidDate(value)
        ? { value }
        : { error: `${label} needs a date as YYYY-MM-DD` };
    case "datetime": {
      const text = typeof value === "string" && isValidDate(value) ? `${value}T00:00:00Z` : value;
      const normalized = typeof text === "string" ? normalizeDatetime(text) : null;
      return normalized ? { value: normalized } : { error: `${label} needs an ISO 8601 date or date-time` };
    }
    default:
      return typeof value === "string" ? { value } : { error: `${label} needs a string` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseNode(
  raw: unknown,
  schema: FieldDefinition[],
  path: string,
  depth: number,
  problems: FilterProblems,
  counter: { n: number },
): FilterNode | null {
  if (!isObject(raw)) {
    problems.add(
      path,
      "must be an object: a group {conjunction, conditions} or a condition {fieldSlug, operator}",
    );
    return null;
  }
  if ("conditions" in raw || "conjunction" in raw) {
    if (depth >= MAX_DEPTH) {
      problems.add(path, `groups nest at most ${MAX_DEPTH} deep`);
      return null;
    }
    const conjunction = typeof raw.conjunction === "string" ? raw.conjunction.toUpperCase() : raw.conjunction;
    if (conjunction !== "AND" && conjunction !== "OR")
      problems.add(`${path}.conjunction`, 'must be "AND" or "OR"');
    if (!Array.isArray(raw.conditions)) {
      problems.add(`${path}.conditions`, "must be a list");
      return null;
    }
    const conditions = raw.conditions.map((child, index) =>
      parseNode(child, schema, `${path}.conditions[${index}]`, depth + 1, problems, counter),
    );
    return {
      type: "group",
      conjunction: conjunction === "OR" ? "OR" : "AND",
      conditions: conditions.filter((c): c is FilterNode => c !== null),
    };
  }
  counter.n += 1;
  if (counter.n === MAX_CONDITIONS + 1) problems.add(path, `at most ${MAX_CONDITIONS} conditions`);
  const target = resolveTarget(raw.fieldSlug, schema);
  if (!target) {
    problems.add(
      `${path}.fieldSlug`,
      typeof raw.fieldSlug === "string" ? `unknown field "${raw.fieldSlug}"` : "must name a field",
    );
    return null;
  }
  const operator = raw.operator;
  if (typeof operator !== "string" || !(OPERATORS as readonly string[]).includes(operator)) {
    problems.add(
      `${path}.operator`,
      `unknown operator ${JSON.stringify(operator)}; one of ${OPERATORS.join(", ")}`,
    );
    return null;
  }
  return parseCondition(target, operator as Operator, raw, path, problems, false);
}

function parseCondition(
  target: FilterTarget,
  operator: Operator,
  raw: Record<string, unknown>,
  path: string,
  problems: FilterProblems,
  fromText: boolean,
): Condition | null {
  if (!OPERATORS_BY_KIND[target.kind].includes(operator)) {
    problems.add(
      `${path}.operator`,
      `operator "${operator}" does not apply to ${target.kind} field "${target.slug}"; use one of ${OPERATORS_BY_KIND[target.kind].join(", ")}`,
    );
    return null;
  }
  let rawValues: unknown[];
  if (operator === "isNull" || operator === "isNotNull") rawValues = [];
  else if (operator === "in" || operator === "notIn" || operator === "between") {
    const list = Array.isArray(raw.values) ? raw.values : Array.isArray(raw.value) ? raw.value : undefined;
    if (!list) {
      problems.add(`${path}.values`, `operator "${operator}" needs a "values" list`);
      return null;
    }
    if (operator === "between" && list.length !== 2) {
      problems.add(`${path}.values`, 'operator "between" needs exactly two values [from, to]');
      return null;
    }
    if (list.length === 0 || list.length > 500) {
      problems.add(`${path}.values`, "needs 1 to 500 values");
      return null;
    }
    rawValues = list;
  } else {
    if (raw.value === undefined || raw.value === null) {
      problems.add(`${path}.value`, `operator "${operator}" needs a "value"`);
      return null;
    }
    rawValues = [raw.value];
  }
  const values: unknown[] = [];
  for (const [index, value] of rawValues.entries()) {
    const read = readValue(target, value, fromText);
    if ("error" in read) {
      problems.add(
        rawValues.length > 1 || operator === "in" ? `${path}.values[${index}]` : `${path}.value`,
        read.error,
      );
      return null;
    }
    values.push(read.value);
  }
  return { type: "condition", target, operator, values };
}

/**
 * One condition on `target`, checked as an advancedFilter condition is (the same operators per
 * kind, the same value rules, the same errors), for the typed graph's filter inputs.
 */
export function checkedCondition(
  target: FilterTarget,
  operator: Operator,
  operand: { value?: unknown; values?: unknown[] },
  path: string,
): Condition {
  const problems = new FilterProblems();
  const condition = parseCondition(target, operator, operand, path, problems, false);
  if (!condition || problems.issues.length > 0) fail(problems, "filter");
  return condition;
}

function fail(problems: FilterProblems, what: string): never {
  const first = problems.issues[0]!;
  throw new ValidationError(
    problems.issues.length === 1 ? `Invalid ${what}: ${first.field}: ${first.message}` : `Invalid ${what}`,
    problems.issues,
  );
}

/** The advancedFilter parameter: JSON text (REST) or an already-decoded tree (GraphQL). */
export function parseAdvancedFilter(
  input: unknown,
  schema: FieldDefinition[],
  name = "advancedFilter",
): Group {
  const problems = new FilterProblems();
  let raw = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch {
      problems.add(name, "is not valid JSON");
      fail(problems, name);
    }
  }
  const hasRoot = isObject(raw) && "root" in raw;
  const root = hasRoot ? (raw as Record<string, unknown>).root : raw;
  const path = hasRoot ? `${name}.root` : name;
  if (!isObject(root) || !("conditions" in root)) {
    problems.add(path, 'must be a group: {"root": {"conjunction": "AND", "conditions": [...]}}');
    fail(problems, name);
  }
  const node = parseNode(root, schema, path, 0, problems, { n: 0 });
  if (problems.issues.length > 0 || !node) fail(problems, name);
  return node as Group;
}

/** `filter[slug]=a,b` parameters: each becomes `slug in (a, b)`; several are ANDed. */
export function parseSimpleFilters(filters: Record<string, string>, schema: FieldDefinition[]): Group {
  const problems = new FilterProblems();
  const conditions: FilterNode[] = [];
  for (const [slug, text] of Object.entries(filters)) {
    const path = `filter[${slug}]`;
    const target = resolveTarget(slug, schema);
    if (!target) {
      problems.add(path, `unknown field "${slug}"`);
      continue;
    }
    const values = text.split(",").map((v) => v.trim());
    const condition = parseCondition(target, "in", { values }, path, problems, true);
    if (condition) conditions.push(condition);
  }
  if (problems.issues.length > 0) fail(problems, "filter");
  return { type: "group", conjunction: "AND", conditions };
}

// ---------------------------------------------------------------------------------------------
// SQL

/** The expression a target reads as, typed for comparisons and sorting. */
export function targetExpression(target: FilterTarget): Prisma.Sql {
  if (target.source === "core") return Prisma.raw(`r.${target.column}`);
  const slug = target.slug;
  switch (target.kind) {
    case "number":
      return Prisma.sql`(CASE WHEN jsonb_typeof(r.fields -> ${slug}::text) = 'number' THEN (r.fields ->> ${slug}::text)::numeric END)`;
    case "boolean":
      return Prisma.sql`(CASE WHEN jsonb_typeof(r.fields -> ${slug}::text) = 'boolean' THEN (r.fields ->> ${slug}::text)::boolean END)`;
    case "multi":
      return Prisma.sql`(r.fields -> ${slug}::text)`;
    case "date":
    case "datetime":
      return Prisma.sql`((r.fields ->> ${slug}::text) COLLATE "C")`;
    default:
      return Prisma.sql`(r.fields ->> ${slug}::text)`;
  }
}

function typedValue(target: FilterTarget, value: unknown): Prisma.Sql {
  if (target.source === "core" && target.kind === "datetime") return Prisma.sql`${value}::timestamptz`;
  switch (target.kind) {
    case "number":
      return Prisma.sql`${value}::numeric`;
    case "boolean":
      return Prisma.sql`${value}::boolean`;
    case "date":
    case "datetime":
      return Prisma.sql`(${value}::text COLLATE "C")`;
    default:
      return Prisma.sql`${value}::text`;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function equals(target: FilterTarget, value: unknown): Prisma.Sql {
  if (target.source === "core") return Prisma.sql`${targetExpression(target)} = ${typedValue(target, value)}`;
  // Containment is answered by the GIN index on records.fields.
  const json = JSON.stringify({ [target.slug]: target.kind === "multi" ? [value] : value });
  return Prisma.sql`r.fields @> ${json}::jsonb`;
}

function anyOf(target: FilterTarget, values: unknown[]): Prisma.Sql {
  return Prisma.sql`(${Prisma.join(
    values.map((v) => equals(target, v)),
    " OR ",
  )})`;
}

function compileCondition(c: Condition): Prisma.Sql {
  const expr = targetExpression(c.target);
  const [first, second] = c.values;
  const like = (pattern: string) => Prisma.sql`${expr} ILIKE ${pattern}::text`;
  switch (c.operator) {
    case "eq":
      return equals(c.target, first);
    case "neq":
      return Prisma.sql`NOT (${equals(c.target, first)})`;
    case "in":
      return anyOf(c.target, c.values);
    case "notIn":
      return Prisma.sql`NOT ${anyOf(c.target, c.values)}`;
    case "gt":
    case "after":
      return Prisma.sql`${expr} > ${typedValue(c.target, first)}`;
    case "gte":
      return Prisma.sql`${expr} >= ${typedValue(c.target, first)}`;
    case "lt":
    case "before":
      return Prisma.sql`${expr} < ${typedValue(c.target, first)}`;
    case "lte":
      return Prisma.sql`${expr} <= ${typedValue(c.target, first)}`;
    case "between":
      return Prisma.sql`(${expr} >= ${typedValue(c.target, first)} AND ${expr} <= ${typedValue(c.target, second)})`;
    case "contains":
      return like(`%${escapeLike(String(first))}%`);
    case "notContains":
      return Prisma.sql`(${expr} IS NULL OR NOT (${like(`%${escapeLike(String(first))}%`)}))`;
    case "startsWith":
      return like(`${escapeLike(String(first))}%`);
    case "endsWith":
      return like(`%${escapeLike(String(first))}`);
    case "isNull":
      return Prisma.sql`${expr} IS NULL`;
    case "isNotNull":
      return Prisma.sql`${expr} IS NOT NULL`;
  }
}

/** One SQL predicate for a parsed tree; an empty group matches everything. */
export function compileFilter(node: FilterNode): Prisma.Sql {
  if (node.type === "condition") return compileCondition(node);
  if (node.type === "predicate") return node.sql;
  if (node.conditions.length === 0) return Prisma.sql`TRUE`;
  return Prisma.sql`(${Prisma.join(
    node.conditions.map(compileFilter),
    node.conjunction === "AND" ? " AND " : " OR ",
  )})`;
}
