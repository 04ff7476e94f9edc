// The typed graph's `filter` argument, turned into the Records API's filter tree. Each operator
// of a field becomes the advancedFilter condition REST would run (checkedCondition: the same
// operators per kind, the same value rules and error codes), so the REST advancedFilter, the
// generic graph's RecordFilter and the typed filter can never select different records.
// What only the typed filter has — `not`, the record's own `id`, and nested filters through
// references — compiles to predicates over the same `records r`.

import { join, type Prisma, sql } from "../db/sql.js";
import { ValidationError } from "../errors.js";
import {
  checkedCondition,
  compileFilter,
  type FilterNode,
  MAX_DEPTH,
  type Operator,
  resolveTarget,
} from "./advanced-filter.js";
import { isMultiValued } from "./field-values.js";
import type { ModuleDef } from "./modules.store.js";
import { type FieldDefinition, parsePrefixedId, RECORD_PREFIX } from "./records.inputs.js";

/** Operator fields of the typed operator inputs, as the filter language names them. */
export const TYPED_OPERATORS = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "notIn",
  "between",
  "contains",
  "notContains",
  "startsWith",
  "endsWith",
  "before",
  "after",
  "isNull",
] as const;

export type TypedFilterInput = { [name: string]: unknown };

export type FilterScope = {
  /** The organisation's modules by slug: the targets of nested filters. */
  modules: ReadonlyMap<string, ModuleDef>;
  /** GraphQL field names by module id, then slug. */
  fieldNames: (module: ModuleDef) => ReadonlyMap<string, string>;
  /** What makes a record of a module visible to the viewer (records.query.ts `base`). */
  visible: (module: ModuleDef) => Prisma.Sql[];
  /** A record id as callers give it (global id or rec_…) → rec_…, or the id unchanged. */
  recordId: (id: string) => string;
  /** A user id as callers give it (global id or usr_…) → usr_…, or the id unchanged. */
  userId: (id: string) => string;
};

const CORE_TARGETS: Record<string, string> = {
  displayName: "displayName",
  createdAt: "created_at",
  updatedAt: "updated_at",
};

/** The filter tree of one typed `filter` value over `module`'s records. */
export function typedFilter(
  input: TypedFilterInput,
  module: ModuleDef,
  scope: FilterScope,
  path = "filter",
  depth = 0,
): FilterNode {
  if (depth > MAX_DEPTH) {
    throw new ValidationError(`${path}: filters nest at most ${MAX_DEPTH} deep`, [
      { field: path, message: `filters nest at most ${MAX_DEPTH} deep` },
    ]);
  }
  const bySlug = scope.fieldNames(module);
  const byName = new Map(
    [...bySlug].map(([slug, name]) => [name, module.fields.find((f) => f.slug === slug)!]),
  );
  const conditions: FilterNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const at = `${path}.${key}`;
    if (key === "and" || key === "or") {
      const children = (value as TypedFilterInput[]).map((child, i) =>
        typedFilter(child, module, scope, `${at}[${i}]`, depth + 1),
      );
      conditions.push({ type: "group", conjunction: key === "and" ? "AND" : "OR", conditions: children });
    } else if (key === "not") {
      const child = compileFilter(typedFilter(value as TypedFilterInput, module, scope, at, depth + 1));
      // A record the inner filter cannot decide for (a missing value) is one it does not match.
      conditions.push({ type: "predicate", sql: sql`NOT coalesce(${child}, FALSE)` });
    } else if (key === "id") {
      conditions.push(...idConditions(value as TypedFilterInput, scope));
    } else if (CORE_TARGETS[key]) {
      const target = resolveTarget(CORE_TARGETS[key], [])!;
      conditions.push(...operatorConditions(target, value as TypedFilterInput, at, (v) => v));
    } else {
      const field = byName.get(key);
      if (!field)
        throw new ValidationError(`${at}: unknown field`, [{ field: at, message: "unknown field" }]);
      if (field.type === "reference") {
        conditions.push(nestedCondition(field, value as TypedFilterInput, scope, at, depth));
      } else {
        const target = resolveTarget(field.slug, module.fields)!;
        const read = field.type === "user" ? (v: unknown) => scope.userId(String(v)) : (v: unknown) => v;
        conditions.push(...operatorConditions(target, value as TypedFilterInput, at, read));
      }
    }
  }
  return { type: "group", conjunction: "AND", conditions };
}

type Target = NonNullable<ReturnType<typeof resolveTarget>>;

/** Every operator given for one field, each an advancedFilter condition; several are ANDed. */
function operatorConditions(
  target: Target,
  operators: TypedFilterInput,
  path: string,
  read: (value: unknown) => unknown,
): FilterNode[] {
  const conditions: FilterNode[] = [];
  for (const [name, operand] of Object.entries(operators)) {
    if (operand === undefined || operand === null) continue;
    const at = `${path}.${name}`;
    if (name === "isNull") {
      conditions.push(checkedCondition(target, operand ? "isNull" : "isNotNull", {}, at));
      continue;
    }
    const operator = name as Operator;
    const listed = operator === "in" || operator === "notIn" || operator === "between";
    const values = (listed ? (operand as unknown[]) : [operand]).map((v) => read(scalar(v)));
    conditions.push(checkedCondition(target, operator, listed ? { values } : { value: values[0] }, at));
  }
  return conditions;
}

/** DateTime inputs arrive as Date objects; the filter language reads ISO 8601 text. */
function scalar(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/** The record's own id: `eq`, `neq`, `in`, `notIn` (global ids or rec_ ids), `isNull`. */
function idConditions(operators: TypedFilterInput, scope: FilterScope): FilterNode[] {
  const uuids = (values: unknown[]) =>
    values.map((v) => parsePrefixedId(scope.recordId(String(v)), RECORD_PREFIX)).filter((v) => v !== null);
  const anyOf = (values: unknown[]) => sql`r.id = ANY(${uuids(values)}::uuid[])`;
  const conditions: FilterNode[] = [];
  for (const [name, operand] of Object.entries(operators)) {
    if (operand === undefined || operand === null) continue;
    const predicate =
      name === "eq"
        ? anyOf([operand])
        : name === "neq"
          ? sql`NOT ${anyOf([operand])}`
          : name === "in"
            ? anyOf(operand as unknown[])
            : name === "notIn"
              ? sql`NOT ${anyOf(operand as unknown[])}`
              : operand
                ? sql`FALSE`
                : sql`TRUE`;
    conditions.push({ type: "predicate", sql: predicate });
  }
  return conditions;
}

/**
 * Records whose reference points at a visible, live record of the target module that matches
 * the nested filter: many_to_one by its one id, many_to_many by any of its ids.
 */
function nestedCondition(
  field: FieldDefinition,
  input: TypedFilterInput,
  scope: FilterScope,
  path: string,
  depth: number,
): FilterNode {
  const target = scope.modules.get(field.targetModuleSlug ?? "");
  if (!target) return { type: "predicate", sql: sql`FALSE` };
  const inner = compileFilter(typedFilter(input, target, scope, path, depth + 1));
  // The subquery's own `records r` shadows the outer one; the outer value is read before it.
  const targets = sql`SELECT ${RECORD_PREFIX}::text || r.id::text FROM records r
    WHERE ${join([...scope.visible(target), inner], " AND ")}`;
  return {
    type: "predicate",
    sql: isMultiValued(field)
      ? sql`coalesce((r.fields -> ${field.slug}::text) ?| ARRAY(${targets}), FALSE)`
      : sql`(r.fields ->> ${field.slug}::text) IN (${targets})`,
  };
}
