// What a records listing asks for, as SQL fragments over `records r`: the visibility rule of
// the viewer, the trash state, search, simple and advanced filters, sort keys with their ORDER
// BY, and keyset cursors. Pure: nothing here runs a statement (records.store.ts does).
import { cursorValue, decodeCursor, encodeCursor } from "../db/cursor.js";
import { isUuid } from "../db/ids.js";
import { empty, join, type Prisma, raw, sql } from "../db/sql.js";
import { ValidationError } from "../errors.js";
import type { Viewer } from "../identity/viewer.js";
import {
  type CoreColumn,
  compileFilter,
  type FilterNode,
  type FilterTarget,
  type Group,
  parseAdvancedFilter,
  parseSimpleFilters,
  resolveTarget,
  targetExpression,
} from "./advanced-filter.js";
import { isMultiValued } from "./field-values.js";
import type { ModuleDef } from "./modules.service.js";
import { userRestId } from "./records.inputs.js";
import type { RecordRow } from "./records.store.js";

export type SortDirection = "asc" | "desc";
export type SortKey = { target: FilterTarget; direction: SortDirection };
export type Trashed = "exclude" | "only" | "include";

export type FilterQuery = {
  search?: string | null | undefined;
  labelIds?: string[] | null | undefined;
  typeIds?: string[] | null | undefined;
  filters?: Record<string, string> | undefined;
  advancedFilter?: unknown;
  /** An already-parsed filter (the typed graph's), ANDed with the others. */
  predicate?: FilterNode | undefined;
};

/** The trash lists the latest deletions first. */
export const TRASH_ORDER: SortKey = {
  target: { source: "core", slug: "deleted_at", kind: "datetime", column: "deleted_at" as CoreColumn },
  direction: "desc",
};

export class RecordQuery {
  constructor(private readonly viewer: Viewer) {}

  private isManager(): boolean {
    return this.viewer.user.role === "owner" || this.viewer.user.role === "admin";
  }

  /** SQL twin of visibleTo(): the privacy rule for lists. */
  visibility(module: ModuleDef): Prisma.Sql {
    const me = userRestId(this.viewer.user.id);
    const assigned = module.fields
      .filter((f) => f.type === "user")
      .map((f) => JSON.stringify({ [f.slug]: isMultiValued(f) ? [me] : me }))
      .map((json) => sql`r.fields @> ${json}::jsonb`);
    const team = this.isManager()
      ? sql`TRUE`
      : assigned.length > 0
        ? sql`(${join(assigned, " OR ")})`
        : sql`FALSE`;
    return sql`(r.privacy_level = 'account' OR r.created_by_id = ${this.viewer.user.id}::uuid OR (r.privacy_level = 'team' AND ${team}))`;
  }

  /**
   * The privacy rule (docs/records.md): account: everyone in the organisation; private: only
   * the record's creator; team: the creator, the users named in its user fields, owners/admins.
   */
  visibleTo(row: RecordRow, module: ModuleDef): boolean {
    if (row.privacyLevel === "account" || row.createdById === this.viewer.user.id) return true;
    if (row.privacyLevel !== "team") return false;
    if (this.isManager()) return true;
    const me = userRestId(this.viewer.user.id);
    const fields = row.fields as Record<string, unknown>;
    return module.fields.some((f) => {
      const value = fields[f.slug];
      return f.type === "user" && (value === me || (Array.isArray(value) && value.includes(me)));
    });
  }

  trashed(trashed: Trashed): Prisma.Sql {
    if (trashed === "only") return sql`r.deleted_at IS NOT NULL`;
    if (trashed === "exclude") return sql`r.deleted_at IS NULL`;
    return sql`TRUE`;
  }

  /** The organisation, the module, the trash state and the visibility rule. */
  base(module: ModuleDef, trashed: Trashed): Prisma.Sql[] {
    return [
      sql`r.organization_id = ${this.viewer.organization.id}::uuid`,
      sql`r.module_id = ${module.id}::uuid`,
      this.trashed(trashed),
      this.visibility(module),
    ];
  }

  /** Every term in the display name or a text-like field (case-insensitive). */
  search(module: ModuleDef, search: string): Prisma.Sql | null {
    const terms = search.trim().split(/\s+/).filter(Boolean).slice(0, 10);
    if (terms.length === 0) return null;
    const textFields = module.fields.filter((f) =>
      ["text", "long_text", "email", "phone", "url", "select"].includes(f.type),
    );
    return join(
      terms.map((term) => {
        const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const columns = [
          sql`r.display_name ILIKE ${pattern}::text`,
          ...textFields.map((f) => sql`(r.fields ->> ${f.slug}::text) ILIKE ${pattern}::text`),
        ];
        return sql`(${join(columns, " OR ")})`;
      }),
      " AND ",
    );
  }

  /** Every filter of a list request, parsed against the schema (400 naming the problem). */
  where(module: ModuleDef, q: FilterQuery, trashed: Trashed): Prisma.Sql[] {
    const where = this.base(module, trashed);
    if (q.search) {
      const search = this.search(module, q.search);
      if (search) where.push(search);
    }
    if (q.labelIds && q.labelIds.length > 0) where.push(sql`r.label_ids && ${q.labelIds}::text[]`);
    if (q.typeIds && q.typeIds.length > 0) where.push(sql`r.type_ids && ${q.typeIds}::text[]`);
    if (q.filters && Object.keys(q.filters).length > 0) {
      where.push(compileFilter(parseSimpleFilters(q.filters, module.fields)));
    }
    if (q.advancedFilter !== undefined && q.advancedFilter !== null && q.advancedFilter !== "") {
      const tree: Group = parseAdvancedFilter(q.advancedFilter, module.fields);
      where.push(compileFilter(tree));
    }
    if (q.predicate) where.push(compileFilter(q.predicate));
    return where;
  }
}

/** The sort keys of an ordering, then creation time (newest first) when nothing else decides. */
export function sortKeys(
  module: ModuleDef,
  order: Array<{ field: string; direction: SortDirection }>,
): SortKey[] {
  const keys: SortKey[] = [];
  for (const [index, { field, direction }] of order.entries()) {
    const target = resolveTarget(field, module.fields);
    const name = order.length === 1 ? "sortField" : `orderBy.${index}.field`;
    if (!target) {
      throw new ValidationError(`${name}: unknown field "${field}" in module ${module.slug}`, [
        { field: name, message: `unknown field "${field}"` },
      ]);
    }
    if (target.kind === "multi") {
      throw new ValidationError(`${name}: cannot sort by the multi-valued field "${field}"`, [
        { field: name, message: `cannot sort by the multi-valued field "${field}"` },
      ]);
    }
    keys.push({ target, direction });
  }
  if (!keys.some((k) => k.target.source === "core" && k.target.column === "created_at")) {
    keys.push({ target: resolveTarget("created_at", [])!, direction: "desc" });
  }
  return keys;
}

/** `expr AS k0, …`: the sort values a page row carries for its cursor. */
export function keyColumns(keys: SortKey[]): Prisma.Sql[] {
  return keys.map((k, i) => sql`${targetExpression(k.target)} AS ${raw(`k${i}`)}`);
}

/**
 * ORDER BY for `keys` then id; `column` names them otherwise than `records r` does. Custom
 * fields sort nulls last in both directions. Core columns are NOT NULL and get no NULLS clause,
 * so `created_at DESC, id DESC` is exactly the index (module_id, created_at DESC, id DESC): with
 * NULLS LAST, which that index (nulls first under DESC) cannot give, PostgreSQL scanned and sorted
 * the whole module for every default page (test/records/sort-plans.test.ts).
 */
export function orderBy(
  keys: SortKey[],
  reverse = false,
  column: (index: number | null) => Prisma.Sql = (i) =>
    i === null ? raw("r.id") : targetExpression(keys[i]!.target),
): Prisma.Sql {
  const parts = keys.map(({ direction, target }, i) => {
    const dir = raw((direction === "asc") !== reverse ? "ASC" : "DESC");
    const nulls = target.source === "core" ? empty : raw(reverse ? " NULLS FIRST" : " NULLS LAST");
    return sql`${column(i)} ${dir}${nulls}`;
  });
  const last = keys[keys.length - 1]!.direction;
  parts.push(sql`${column(null)} ${raw((last === "asc") !== reverse ? "ASC" : "DESC")}`);
  return join(parts, ", ");
}

/** The same order over a page's output columns (`p.k0`…, `p.id`). */
export function outerOrderBy(keys: SortKey[], reverse = false): Prisma.Sql {
  return orderBy(keys, reverse, (i) => raw(i === null ? "p.id" : `p.k${i}`));
}

/** Rows strictly after (or before) the cursor in the order of `keys`, then id. */
export function keyset(keys: SortKey[], cursor: unknown[], side: "after" | "before"): Prisma.Sql {
  const all = [
    ...keys.map((k, i) => ({
      expr: targetExpression(k.target),
      dir: k.direction,
      value: cursor[i],
      target: k.target as FilterTarget | null,
    })),
    { expr: sql`r.id`, dir: keys[keys.length - 1]!.direction, value: cursor[keys.length], target: null },
  ];
  const typed = (target: FilterTarget | null, value: unknown) => {
    if (!target) return sql`${value}::uuid`;
    if (target.source === "core" && target.kind === "datetime") return sql`${value}::timestamptz`;
    if (target.kind === "number") return sql`${value}::numeric`;
    if (target.kind === "boolean") return sql`${value}::boolean`;
    if (target.kind === "date" || target.kind === "datetime") return sql`(${value}::text COLLATE "C")`;
    return sql`${value}::text`;
  };
  const branches: Prisma.Sql[] = [];
  for (let i = 0; i < all.length; i++) {
    const key = all[i]!;
    const equal = all
      .slice(0, i)
      .map((k) => (k.value === null ? sql`${k.expr} IS NULL` : sql`${k.expr} = ${typed(k.target, k.value)}`));
    // Nulls sort last in both directions.
    const forward = (key.dir === "asc") === (side === "after");
    const op = raw(forward ? ">" : "<");
    let beyond: Prisma.Sql;
    if (side === "after") {
      beyond =
        key.value === null
          ? sql`FALSE`
          : sql`(${key.expr} ${op} ${typed(key.target, key.value)} OR ${key.expr} IS NULL)`;
    } else {
      beyond =
        key.value === null
          ? sql`${key.expr} IS NOT NULL`
          : sql`${key.expr} ${op} ${typed(key.target, key.value)}`;
    }
    branches.push(join([...equal, beyond], " AND "));
  }
  return sql`(${join(
    branches.map((b) => sql`(${b})`),
    " OR ",
  )})`;
}

/** A row's cursor: its sort values (`k0`…) and its id. */
export function rowCursor(row: Record<string, unknown>, keys: number): string {
  const values = Array.from({ length: keys }, (_, i) => cursorValue(row[`k${i}`]));
  return encodeCursor([...values, row.id]);
}

/** The sort values and id of a cursor made for an ordering of `keys` keys; 400 otherwise. */
export function cursorValues(cursor: string, keys: number, name: string): unknown[] {
  const values = decodeCursor(cursor);
  if (
    Array.isArray(values) &&
    values.length === keys + 1 &&
    typeof values[keys] === "string" &&
    isUuid(values[keys]) &&
    values.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))
  ) {
    return values;
  }
  throw new ValidationError(`${name}: not a cursor of this ordering`, [
    { field: name, message: "not a cursor of this ordering; cursors depend on orderBy" },
  ]);
}

/** A page row without the sort-key columns (`k0`, `k1`...) it carries for cursors. */
export function withoutKeys(row: RecordRow & Record<string, unknown>, keys: number): RecordRow {
  const node: Record<string, unknown> = { ...row };
  for (let i = 0; i < keys; i++) delete node[`k${i}`];
  return node as RecordRow;
}
