// Compiles a semantic query against a model into one SELECT for the layer's platform.
// Rules where the seed is silent are in docs/semantic.md.
import { ValidationError } from "../../errors.js";
import type { FieldRef, FilterInput, SemanticQuery } from "../semantic.inputs.js";
import {
  type DimensionDef,
  type EntityDef,
  findEntity,
  type LayerDef,
  type MeasureDef,
  type SemanticModelDocument,
} from "../semantic.model.js";
import {
  aliasSql,
  booleanLiteral,
  checkDate,
  DIALECTS,
  type Dialect,
  nextDay,
  numberLiteral,
} from "./dialects.js";

export type CompiledColumn = { name: string; dataType: string; kind: "dimension" | "measure" };
export type CompiledQuery = { sql: string; platform: string; columns: CompiledColumn[] };

const LIST_OPERATORS = [
  "EQUALS",
  "NOT_EQUALS",
  "CONTAINS",
  "NOT_CONTAINS",
  "STARTS_WITH",
  "NOT_STARTS_WITH",
  "ENDS_WITH",
  "NOT_ENDS_WITH",
] as const;
const COMPARISON_OPERATORS = {
  GREATER_THAN: ">",
  GREATER_THAN_OR_EQUAL: ">=",
  LESS_THAN: "<",
  LESS_THAN_OR_EQUAL: "<=",
} as const;
const DATE_RANGE_OPERATORS = ["IN_DATE_RANGE", "NOT_IN_DATE_RANGE"] as const;
const DATE_OPERATORS = ["BEFORE_DATE", "AFTER_DATE", "BEFORE_OR_ON_DATE", "AFTER_OR_ON_DATE"] as const;
const NULL_OPERATORS = ["IS_NULL", "IS_NOT_NULL"] as const;
const MAX_FILTER_DEPTH = 16;

type Resolved =
  | { kind: "dimension"; entity: EntityDef; def: DimensionDef }
  | { kind: "measure"; entity: EntityDef; def: MeasureDef };

const NUMERIC = new Set(["NUMBER", "INTEGER", "FLOAT", "DECIMAL"]);
const SIMPLE_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function compileSemanticQuery(model: SemanticModelDocument, query: SemanticQuery): CompiledQuery {
  if (query.dimensions.length === 0 && query.measures.length === 0) {
    throw new ValidationError("At least one dimension or measure is required");
  }
  if (query.limit && query.limit.fetch <= 0) throw new ValidationError("Fetch must be greater than 0");
  if (query.limit && query.limit.skip < 0) throw new ValidationError("Skip must be 0 or greater");

  const used = new Map<string, { layer: LayerDef; entity: EntityDef }>();
  const resolve = (ref: FieldRef, expected?: "dimension" | "measure"): Resolved => {
    const located = findEntity(model, ref.entity);
    if (!located) throw new ValidationError(`Entity not found: ${ref.entity}`);
    const { entity } = located;
    const dimension = entity.dimensions.find((d) => d.name === ref.field);
    const measure = entity.measures.find((m) => m.name === ref.field);
    const found: Resolved | undefined = dimension
      ? { kind: "dimension", entity, def: dimension }
      : measure
        ? { kind: "measure", entity, def: measure }
        : undefined;
    if (!found || (expected && found.kind !== expected)) {
      throw new ValidationError(`Field not found: ${ref.field} in entity ${ref.entity}`);
    }
    if (found.def.hidden) throw new ValidationError(`Field is hidden: ${ref.field} in entity ${ref.entity}`);
    used.set(entity.name, located);
    return found;
  };

  const dimensions = query.dimensions.map((ref) => ({ ref, field: resolve(ref, "dimension") }));
  const measures = query.measures.map((ref) => ({ ref, field: resolve(ref, "measure") }));
  const orderBy = query.order_by.map((o) => ({ ...o, resolved: resolve(o.field) }));
  const filterEntities = (filters: FilterInput[], depth: number) => {
    for (const f of filters) {
      if (depth > MAX_FILTER_DEPTH)
        throw new ValidationError(`Filters nest deeper than ${MAX_FILTER_DEPTH} levels`);
      if (f.type === "CONDITION" && f.field) resolve(f.field);
      if (f.filters) filterEntities(f.filters, depth + 1);
    }
  };
  filterEntities(query.filters, 1);

  const layers = new Set([...used.values()].map((u) => u.layer));
  if (layers.size > 1) {
    throw new ValidationError(
      `Entities of different layers cannot be combined: ${[...used.keys()].join(", ")}`,
    );
  }
  const layer = [...layers][0] as LayerDef;
  const dialect = DIALECTS[layer.environment.platform];
  const base = (measures[0] ?? dimensions[0])!.field.entity;
  const joined = used.size > 1;

  const column = (r: Resolved) =>
    joined && SIMPLE_COLUMN.test(r.def.expr) ? `${r.entity.name}.${r.def.expr}` : r.def.expr;
  const measureSql = (r: Extract<Resolved, { kind: "measure" }>) =>
    dialect.aggregate(r.def.aggregation_type, column(r));
  const selected = (r: Resolved) => (r.kind === "measure" ? measureSql(r) : column(r));

  const select: string[] = [];
  const columns: CompiledColumn[] = [];
  for (const { ref, field } of [...dimensions, ...measures]) {
    const sql = selected(field);
    const name = ref.alias ?? field.def.name;
    select.push(ref.alias !== undefined || sql !== name ? `${sql} AS ${aliasSql(dialect, name)}` : sql);
    columns.push({ name, dataType: field.def.data_type, kind: field.kind });
  }

  const where = query.filters.map((f) => renderFilter(f, dialect, resolve, column, 1));
  const parts = [
    `SELECT ${select.join(", ")}`,
    `FROM ${fromClause(layer, base, new Set(used.keys()), joined)}`,
  ];
  if (where.length > 0) parts.push(`WHERE ${where.join(" AND ")}`);
  if (measures.length > 0 && dimensions.length > 0) {
    parts.push(`GROUP BY ${dimensions.map(({ field }) => column(field)).join(", ")}`);
  }
  if (orderBy.length > 0) {
    const selectedDimensions = new Set(
      dimensions.map(({ field }) => `${field.entity.name}.${field.def.name}`),
    );
    parts.push(
      `ORDER BY ${orderBy
        .map(({ resolved, desc, field }) => {
          if (
            resolved.kind === "dimension" &&
            measures.length > 0 &&
            !selectedDimensions.has(`${resolved.entity.name}.${resolved.def.name}`)
          ) {
            throw new ValidationError(
              `Order by field must be a selected dimension: ${field.field} in entity ${field.entity}`,
            );
          }
          return `${selected(resolved)}${desc ? " DESC" : ""}`;
        })
        .join(", ")}`,
    );
  }
  if (query.limit) parts.push(dialect.limit(query.limit.fetch, query.limit.skip));
  return { sql: parts.join(" "), platform: layer.environment.platform, columns };
}

function source(entity: EntityDef, alias: boolean): string {
  if (entity.query !== undefined) return `(${entity.query}) AS ${entity.name}`;
  return alias ? `${entity.table_name} AS ${entity.name}` : (entity.table_name as string);
}

/** The base entity, then a LEFT JOIN per entity on the shortest relationship path to each one needed. */
function fromClause(layer: LayerDef, base: EntityDef, needed: Set<string>, joined: boolean): string {
  if (!joined) return source(base, false);
  const entities = new Map(layer.domains.flatMap((d) => d.entities.map((e) => [e.name, e] as const)));
  const edges = new Map<string, Array<{ to: string; expr: string }>>();
  const addEdge = (from: string, to: string, expr: string) =>
    edges.set(from, [...(edges.get(from) ?? []), { to, expr }]);
  for (const entity of entities.values()) {
    for (const rel of entity.relationships) {
      addEdge(entity.name, rel.to_entity, rel.expr);
      addEdge(rel.to_entity, entity.name, rel.expr);
    }
  }
  const parent = new Map<string, { from: string; expr: string } | null>([[base.name, null]]);
  const order: string[] = [base.name];
  for (let i = 0; i < order.length; i++) {
    const current = order[i] as string;
    for (const edge of edges.get(current) ?? []) {
      if (parent.has(edge.to)) continue;
      parent.set(edge.to, { from: current, expr: edge.expr });
      order.push(edge.to);
    }
  }
  const include = new Set<string>([base.name]);
  for (const name of needed) {
    if (!parent.has(name)) throw new ValidationError(`No relationship path from ${base.name} to ${name}`);
    for (let at: string | undefined = name; at && !include.has(at); at = parent.get(at)?.from)
      include.add(at);
  }
  const joins = order
    .filter((name) => name !== base.name && include.has(name))
    .map((name) => `LEFT JOIN ${source(entities.get(name) as EntityDef, true)} ON ${parent.get(name)?.expr}`);
  return [source(base, true), ...joins].join(" ");
}

function renderFilter(
  filter: FilterInput,
  dialect: Dialect,
  resolve: (ref: FieldRef) => Resolved,
  column: (r: Resolved) => string,
  depth: number,
): string {
  if (filter.type === "AND" || filter.type === "OR") {
    const children = filter.filters ?? [];
    if (children.length === 0) throw new ValidationError(`A ${filter.type} filter needs at least one filter`);
    const rendered = children.map((f) => renderFilter(f, dialect, resolve, column, depth + 1));
    const joined = rendered.join(` ${filter.type} `);
    // The outermost AND needs no parentheses (the seed's example); every other group does.
    return depth === 1 && filter.type === "AND" ? joined : rendered.length === 1 ? joined : `(${joined})`;
  }
  if (filter.type !== "CONDITION") throw new ValidationError(`Invalid filter type: ${filter.type}`);
  if (!filter.field) throw new ValidationError("A CONDITION filter needs a field");
  if (!filter.operator) throw new ValidationError("A CONDITION filter needs an operator");
  const field = resolve(filter.field);
  const op = filter.operator.type;
  const name = `${filter.field.field}`;
  if (field.kind === "measure" && field.def.aggregation_type === "CUSTOM") {
    throw new ValidationError(`Field cannot be filtered: ${name} in entity ${filter.field.entity}`);
  }
  const expr = column(field);
  const type = field.def.data_type;
  const isDate = type === "DATE" || type === "DATETIME";
  const values = (): string[] => {
    const list = filter.operator?.values;
    if (!list || list.length === 0)
      throw new ValidationError(`Operator ${op} requires a non-empty values array`);
    return list.map(String);
  };
  const value = (): string => {
    const v = filter.operator?.value;
    if (v === undefined) throw new ValidationError(`Operator ${op} requires a value`);
    return String(v);
  };
  const literal = (v: string): string => {
    if (NUMERIC.has(type)) return numberLiteral(v, name);
    if (type === "BOOLEAN") return booleanLiteral(v, name);
    if (isDate) return dialect.string(checkDate(v, name).text);
    return dialect.string(v);
  };
  const text = (v: string): string => {
    if (type !== "TEXT")
      throw new ValidationError(
        `Operator ${op} needs a TEXT field: ${name} in entity ${filter.field?.entity}`,
      );
    return dialect.string(v);
  };
  const anyOf = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(" OR ")})`);
  const date = (v: string) => {
    if (!isDate)
      throw new ValidationError(
        `Operator ${op} needs a DATE or DATETIME field: ${name} in entity ${filter.field?.entity}`,
      );
    return checkDate(v, name);
  };
  // On a DATETIME field a date-only upper bound means the whole day: compare with the next day.
  const endOfDay = (d: { text: string; dateOnly: boolean }) => type === "DATETIME" && d.dateOnly;

  switch (op) {
    case "EQUALS":
    case "NOT_EQUALS": {
      const list = values().map(literal);
      const not = op === "NOT_EQUALS";
      if (list.length === 1) return `${expr} ${not ? "<>" : "="} ${list[0]}`;
      return `${expr} ${not ? "NOT IN" : "IN"} (${list.join(", ")})`;
    }
    case "CONTAINS":
    case "STARTS_WITH":
    case "ENDS_WITH":
      return anyOf(values().map((v) => stringTest(op, dialect, expr, text(v))));
    case "NOT_CONTAINS":
    case "NOT_STARTS_WITH":
    case "NOT_ENDS_WITH": {
      const positive = op.slice(4) as "CONTAINS" | "STARTS_WITH" | "ENDS_WITH";
      return `NOT (${values()
        .map((v) => stringTest(positive, dialect, expr, text(v)))
        .join(" OR ")})`;
    }
    case "GREATER_THAN":
    case "GREATER_THAN_OR_EQUAL":
    case "LESS_THAN":
    case "LESS_THAN_OR_EQUAL":
      return `${expr} ${COMPARISON_OPERATORS[op]} ${literal(value())}`;
    case "IN_DATE_RANGE":
    case "NOT_IN_DATE_RANGE": {
      const list = values();
      if (list.length !== 2) throw new ValidationError(`Operator ${op} requires exactly two dates`);
      const [from, to] = [date(list[0] as string), date(list[1] as string)];
      const lo = dialect.string(from.text);
      if (endOfDay(to)) {
        const hi = dialect.string(nextDay(to.text));
        return op === "IN_DATE_RANGE"
          ? `(${expr} >= ${lo} AND ${expr} < ${hi})`
          : `(${expr} < ${lo} OR ${expr} >= ${hi})`;
      }
      return `${expr} ${op === "IN_DATE_RANGE" ? "BETWEEN" : "NOT BETWEEN"} ${lo} AND ${dialect.string(to.text)}`;
    }
    case "BEFORE_DATE":
    case "AFTER_OR_ON_DATE": {
      const d = date(value());
      return `${expr} ${op === "BEFORE_DATE" ? "<" : ">="} ${dialect.string(d.text)}`;
    }
    case "AFTER_DATE":
    case "BEFORE_OR_ON_DATE": {
      const d = date(value());
      if (endOfDay(d))
        return `${expr} ${op === "AFTER_DATE" ? ">=" : "<"} ${dialect.string(nextDay(d.text))}`;
      return `${expr} ${op === "AFTER_DATE" ? ">" : "<="} ${dialect.string(d.text)}`;
    }
    case "IS_NULL":
      return `${expr} IS NULL`;
    case "IS_NOT_NULL":
      return `${expr} IS NOT NULL`;
    default:
      throw new ValidationError(`Invalid operator type: ${op}`);
  }
}

function stringTest(
  op: "CONTAINS" | "STARTS_WITH" | "ENDS_WITH",
  dialect: Dialect,
  expr: string,
  literal: string,
): string {
  if (op === "CONTAINS") return dialect.contains(expr, literal);
  if (op === "STARTS_WITH") return dialect.startsWith(expr, literal);
  return dialect.endsWith(expr, literal);
}

export const OPERATOR_TYPES = [
  ...LIST_OPERATORS,
  ...Object.keys(COMPARISON_OPERATORS),
  ...DATE_RANGE_OPERATORS,
  ...DATE_OPERATORS,
  ...NULL_OPERATORS,
];
