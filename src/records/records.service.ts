// Records of a module: list/search/filter/sort, CRUD with optimistic locking, bulk actions,
// trash, references. Every statement is confined to the viewer's organisation, and privacy
// levels are enforced for the viewer's user (docs/records.md):
//   account: everyone in the organisation;  private: only the record's creator;
//   team: the creator, the users named in the record's user fields, and owners/admins.
import { randomUUID } from "node:crypto";
import DataLoader from "dataloader";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../errors.js";
import { type ModuleRecord, Prisma, type PrismaClient, type User } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import {
  type CoreColumn,
  compileFilter,
  type FilterTarget,
  type Group,
  parseAdvancedFilter,
  parseSimpleFilters,
  resolveTarget,
  targetExpression,
} from "./advanced-filter.js";
import { applyFieldValues, fieldValidationError, isMultiValued } from "./field-values.js";
import { displayFieldsOf, type ModuleDef, ModuleService, referencesOf } from "./modules.service.js";
import { recordTotals, rememberTotal, type TotalColumns, totalKey, totalSql } from "./record-totals.js";
import {
  BulkUpdateInput,
  CreateRecordInput,
  type FieldDefinition,
  PickerInput,
  parsePrefixedId,
  RECORD_PREFIX,
  RecordIdsInput,
  recordRestId,
  UpdateRecordInput,
  USER_PREFIX,
  userRestId,
} from "./records.inputs.js";

export type RecordRow = ModuleRecord;

/** Records stay in the trash this long before the purge job removes them. */
export const TRASH_RETENTION_DAYS = 30;
/** Record limit of an organisation whose `record_limit` column is null. */
export const DEFAULT_RECORD_LIMIT = 1_000_000;

const DAY_MS = 86_400_000;

/** The trash lists the latest deletions first. */
const TRASH_ORDER: SortKey = {
  target: { source: "core", slug: "deleted_at", kind: "datetime", column: "deleted_at" as CoreColumn },
  direction: "desc",
};

const SELECT = Prisma.sql`r.id, r.organization_id AS "organizationId", r.module_id AS "moduleId",
  r.display_name AS "displayName", r.display_name_auto AS "displayNameAuto", r.fields,
  coalesce(r.label_ids, '{}') AS "labelIds", coalesce(r.type_ids, '{}') AS "typeIds",
  r.privacy_level AS "privacyLevel", r.description_html AS "descriptionHtml",
  r.created_by_id AS "createdById", r.updated_by_id AS "updatedById", r.version,
  r.deleted_at AS "deletedAt", r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

/**
 * The display names of a record's creator and last editor, read with the record where REST
 * shows them (lists, get, create): one statement fewer than asking the users table afterwards.
 */
const USER_NAMES = Prisma.sql`(SELECT u.display_name FROM users u
    WHERE u.id = r.created_by_id AND u.organization_id = r.organization_id) AS "createdByName",
  (SELECT u.display_name FROM users u
    WHERE u.id = r.updated_by_id AND u.organization_id = r.organization_id) AS "updatedByName"`;
type UserNameColumns = { createdByName: string | null; updatedByName: string | null };

export type SortDirection = "asc" | "desc";
export type SortKey = { target: FilterTarget; direction: SortDirection };
export type Trashed = "exclude" | "only" | "include";

export type ListQuery = {
  search?: string | undefined;
  sortField?: string | undefined;
  sortDirection?: SortDirection | undefined;
  labelIds?: string[] | undefined;
  typeIds?: string[] | undefined;
  filters?: Record<string, string> | undefined;
  advancedFilter?: unknown;
  fields?: string[] | undefined;
  page: number;
  pageSize: number;
};

export type RecordPage = {
  module: ModuleDef;
  rows: RecordRow[];
  total: number;
  page: number;
  pageSize: number;
  /** Field slugs to return, when the caller selected some. */
  fieldSelection: string[] | null;
};

export type ConnectionQuery = {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
  offset?: number | null | undefined;
  search?: string | null | undefined;
  filter?: unknown;
  labelIds?: string[] | null | undefined;
  typeIds?: string[] | null | undefined;
  orderBy?: Array<{ field: string; direction: SortDirection }> | null | undefined;
  trashed?: Trashed | null | undefined;
};

export type RecordConnectionResult = {
  edges: Array<{ cursor: string; node: RecordRow }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: () => Promise<number>;
};

export type LinkedItem = {
  id: string;
  displayName: string;
  moduleSlug: string | null;
  row: RecordRow | null;
};

type Filters = { where: Prisma.Sql[] };

export class RecordService {
  readonly modules: ModuleService;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
    modules?: ModuleService,
  ) {
    this.modules = modules ?? new ModuleService(prisma, viewer);
  }

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  // -------------------------------------------------------------------------------------------
  // Visibility

  private isManager(): boolean {
    return this.viewer.user.role === "owner" || this.viewer.user.role === "admin";
  }

  /** SQL twin of visibleTo(): the privacy rule for lists. */
  private visibilitySql(module: ModuleDef): Prisma.Sql {
    const me = userRestId(this.viewer.user.id);
    const assigned = module.fields
      .filter((f) => f.type === "user")
      .map((f) => JSON.stringify({ [f.slug]: isMultiValued(f) ? [me] : me }))
      .map((json) => Prisma.sql`r.fields @> ${json}::jsonb`);
    const team = this.isManager()
      ? Prisma.sql`TRUE`
      : assigned.length > 0
        ? Prisma.sql`(${Prisma.join(assigned, " OR ")})`
        : Prisma.sql`FALSE`;
    return Prisma.sql`(r.privacy_level = 'account' OR r.created_by_id = ${this.viewer.user.id}::uuid OR (r.privacy_level = 'team' AND ${team}))`;
  }

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

  // -------------------------------------------------------------------------------------------
  // Reading

  private trashedSql(trashed: Trashed): Prisma.Sql {
    if (trashed === "only") return Prisma.sql`r.deleted_at IS NOT NULL`;
    if (trashed === "exclude") return Prisma.sql`r.deleted_at IS NULL`;
    return Prisma.sql`TRUE`;
  }

  private baseWhere(module: ModuleDef, trashed: Trashed): Prisma.Sql[] {
    return [
      Prisma.sql`r.organization_id = ${this.organizationId}::uuid`,
      Prisma.sql`r.module_id = ${module.id}::uuid`,
      this.trashedSql(trashed),
      this.visibilitySql(module),
    ];
  }

  private searchSql(module: ModuleDef, search: string): Prisma.Sql | null {
    const terms = search.trim().split(/\s+/).filter(Boolean).slice(0, 10);
    if (terms.length === 0) return null;
    const textFields = module.fields.filter((f) =>
      ["text", "long_text", "email", "phone", "url", "select"].includes(f.type),
    );
    return Prisma.join(
      terms.map((term) => {
        const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const columns = [
          Prisma.sql`r.display_name ILIKE ${pattern}::text`,
          ...textFields.map((f) => Prisma.sql`(r.fields ->> ${f.slug}::text) ILIKE ${pattern}::text`),
        ];
        return Prisma.sql`(${Prisma.join(columns, " OR ")})`;
      }),
      " AND ",
    );
  }

  /** Every filter of a list request, parsed against the schema (400 naming the problem). */
  private filters(
    module: ModuleDef,
    q: {
      search?: string | null | undefined;
      labelIds?: string[] | null | undefined;
      typeIds?: string[] | null | undefined;
      filters?: Record<string, string> | undefined;
      advancedFilter?: unknown;
    },
    trashed: Trashed,
  ): Filters {
    const where = this.baseWhere(module, trashed);
    if (q.search) {
      const search = this.searchSql(module, q.search);
      if (search) where.push(search);
    }
    if (q.labelIds && q.labelIds.length > 0) where.push(Prisma.sql`r.label_ids && ${q.labelIds}::text[]`);
    if (q.typeIds && q.typeIds.length > 0) where.push(Prisma.sql`r.type_ids && ${q.typeIds}::text[]`);
    if (q.filters && Object.keys(q.filters).length > 0) {
      where.push(compileFilter(parseSimpleFilters(q.filters, module.fields)));
    }
    if (q.advancedFilter !== undefined && q.advancedFilter !== null && q.advancedFilter !== "") {
      const tree: Group = parseAdvancedFilter(q.advancedFilter, module.fields);
      where.push(compileFilter(tree));
    }
    return { where };
  }

  private sortKeys(module: ModuleDef, order: Array<{ field: string; direction: SortDirection }>): SortKey[] {
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
      // Newest first when nothing else decides.
      keys.push({ target: resolveTarget("created_at", [])!, direction: "desc" });
    }
    return keys;
  }

  /** ORDER BY for `keys` then id; `column` names them otherwise than `records r` does. */
  private orderSql(
    keys: SortKey[],
    reverse = false,
    column: (index: number | null) => Prisma.Sql = (i) =>
      i === null ? Prisma.raw("r.id") : targetExpression(keys[i]!.target),
  ): Prisma.Sql {
    const parts = keys.map(({ direction }, i) => {
      const dir = (direction === "asc") !== reverse ? "ASC" : "DESC";
      return Prisma.sql`${column(i)} ${Prisma.raw(dir)} ${Prisma.raw(reverse ? "NULLS FIRST" : "NULLS LAST")}`;
    });
    const last = keys[keys.length - 1]!.direction;
    const idDir = (last === "asc") !== reverse ? "ASC" : "DESC";
    parts.push(Prisma.sql`${column(null)} ${Prisma.raw(idDir)}`);
    return Prisma.join(parts, ", ");
  }

  /**
   * One statement for a page and, when asked, the filter's total: the count is planned on its
   * own (a bitmap scan of the filter), the page on its own (it may walk a sort index and stop at
   * `limit`), and the count's single row keeps the total even when the page is empty. The count
   * only runs when the module's records changed since this process last counted the same
   * predicate (record-totals.ts).
   */
  private async selectPage(
    module: ModuleDef,
    q: {
      where: Prisma.Sql[];
      paged: Prisma.Sql[];
      keys: SortKey[];
      reverse: boolean;
      limit: number;
      offset: number;
      withTotal: boolean;
      withNames: boolean;
    },
  ): Promise<{ rows: Array<RecordRow & Record<string, unknown>>; total: number | null }> {
    const { where, paged, keys, reverse, limit, offset, withTotal } = q;
    const keyColumns = keys.map(
      (k, i) => Prisma.sql`${targetExpression(k.target)} AS ${Prisma.raw(`k${i}`)}`,
    );
    const columns = q.withNames ? Prisma.sql`${SELECT}, ${USER_NAMES}` : SELECT;
    const inner = Prisma.sql`SELECT ${columns}, ${Prisma.join(keyColumns, ", ")} FROM records r
      WHERE ${Prisma.join(paged, " AND ")} ORDER BY ${this.orderSql(keys, reverse)} LIMIT ${limit} OFFSET ${offset}`;
    if (!withTotal) {
      const rows = await this.prisma.$queryRaw<Array<RecordRow & Record<string, unknown>>>(inner);
      return { rows, total: null };
    }
    const predicate = Prisma.join(where, " AND ");
    const key = totalKey(module.id, predicate);
    const outerOrder = this.orderSql(keys, reverse, (i) => Prisma.raw(i === null ? "p.id" : `p.k${i}`));
    const rows = await this.prisma.$queryRaw<Array<RecordRow & Record<string, unknown> & TotalColumns>>`
      SELECT t.*, p.* FROM (${totalSql(module.id, predicate, recordTotals.get(key))}) t
      LEFT JOIN LATERAL (${inner}) p ON TRUE ORDER BY ${outerOrder}`;
    rememberTotal(key, rows[0]);
    const total = rows[0]?._total ?? 0;
    const page = rows
      .filter((r) => r.id !== null)
      .map((r) => stripTotal(r) as RecordRow & Record<string, unknown>);
    return { rows: page, total };
  }

  private async count(module: ModuleDef, where: Prisma.Sql[]): Promise<number> {
    const predicate = Prisma.join(where, " AND ");
    const key = totalKey(module.id, predicate);
    const [row] = await this.prisma.$queryRaw<TotalColumns[]>(
      totalSql(module.id, predicate, recordTotals.get(key)),
    );
    rememberTotal(key, row);
    return row?._total ?? 0;
  }

  private async page(
    module: ModuleDef,
    where: Prisma.Sql[],
    keys: SortKey[],
    page: number,
    pageSize: number,
  ) {
    const offset = (page - 1) * pageSize;
    const { rows, total } = await this.selectPage(module, {
      where,
      paged: where,
      keys,
      reverse: false,
      limit: pageSize,
      offset,
      withTotal: true,
      withNames: true,
    });
    return { rows: rows.map((row) => stripKeys(row, keys.length)), total: total ?? 0 };
  }

  async list(moduleSlug: string, query: ListQuery): Promise<RecordPage> {
    const module = await this.modules.get(moduleSlug);
    const { where } = this.filters(module, query, "exclude");
    const keys = this.sortKeys(
      module,
      query.sortField ? [{ field: query.sortField, direction: query.sortDirection ?? "asc" }] : [],
    );
    if (!query.sortField && query.sortDirection === "asc") keys[0]!.direction = "asc";
    let fieldSelection: string[] | null = null;
    if (query.fields && query.fields.length > 0) {
      const unknown = query.fields.filter((f) => !module.fields.some((d) => d.slug === f));
      if (unknown.length > 0) {
        throw new ValidationError(`fields: unknown field ${unknown.map((f) => `"${f}"`).join(", ")}`, [
          { field: "fields", message: `unknown field ${unknown.join(", ")} in module ${module.slug}` },
        ]);
      }
      fieldSelection = query.fields;
    }
    const { rows, total } = await this.page(module, where, keys, query.page, query.pageSize);
    return { module, rows, total, page: query.page, pageSize: query.pageSize, fieldSelection };
  }

  /** A Relay connection with keyset cursors: valid however many rows are inserted before them. */
  async connection(
    module: ModuleDef,
    q: ConnectionQuery,
    options: { withTotal?: boolean } = {},
  ): Promise<RecordConnectionResult> {
    const trashed = q.trashed ?? "exclude";
    const { where } = this.filters(module, { ...q, advancedFilter: q.filter }, trashed);
    const keys = this.sortKeys(module, q.orderBy ?? []);
    const backward = q.last != null && q.first == null;
    const size = Math.min(backward ? q.last! : (q.first ?? 25), 100);
    if (size < 0)
      throw new ValidationError("first/last must not be negative", [
        { field: "first", message: "must be ≥ 0" },
      ]);
    const paged = [...where];
    if (q.after) paged.push(this.keyset(keys, decodeCursor(q.after, keys.length, "after"), "after"));
    if (q.before) paged.push(this.keyset(keys, decodeCursor(q.before, keys.length, "before"), "before"));
    const offset = Math.max(0, q.offset ?? 0);
    const { rows, total } = await this.selectPage(module, {
      where,
      paged,
      keys,
      reverse: backward,
      limit: size + 1,
      offset,
      withTotal: options.withTotal ?? true,
      withNames: false,
    });
    const more = rows.length > size;
    const page = rows.slice(0, size);
    if (backward) page.reverse();
    const edges = page.map((row) => {
      const values = keys.map((_, i) => cursorValue(row[`k${i}`]));
      return { cursor: encodeCursor([...values, row.id]), node: stripKeys(row, keys.length) };
    });
    let counted: Promise<number> | null = total === null ? null : Promise.resolve(total);
    return {
      edges,
      pageInfo: {
        hasNextPage: backward ? Boolean(q.before) : more,
        hasPreviousPage: backward ? more : Boolean(q.after) || offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount: () => {
        counted ??= this.count(module, where);
        return counted;
      },
    };
  }

  /** Rows strictly after (or before) the cursor in the order of `keys`, then id. */
  private keyset(keys: SortKey[], cursor: unknown[], side: "after" | "before"): Prisma.Sql {
    const all = [
      ...keys.map((k, i) => ({
        expr: targetExpression(k.target),
        dir: k.direction,
        value: cursor[i],
        target: k.target,
      })),
      {
        expr: Prisma.sql`r.id`,
        dir: keys[keys.length - 1]!.direction,
        value: cursor[keys.length],
        target: null as FilterTarget | null,
      },
    ];
    const typed = (target: FilterTarget | null, value: unknown) => {
      if (!target) return Prisma.sql`${value}::uuid`;
      if (target.source === "core" && target.kind === "datetime") return Prisma.sql`${value}::timestamptz`;
      if (target.kind === "number") return Prisma.sql`${value}::numeric`;
      if (target.kind === "boolean") return Prisma.sql`${value}::boolean`;
      if (target.kind === "date" || target.kind === "datetime")
        return Prisma.sql`(${value}::text COLLATE "C")`;
      return Prisma.sql`${value}::text`;
    };
    const branches: Prisma.Sql[] = [];
    for (let i = 0; i < all.length; i++) {
      const key = all[i]!;
      const equal = all
        .slice(0, i)
        .map((k) =>
          k.value === null
            ? Prisma.sql`${k.expr} IS NULL`
            : Prisma.sql`${k.expr} = ${typed(k.target, k.value)}`,
        );
      // Nulls sort last in both directions.
      const forward = (key.dir === "asc") === (side === "after");
      let beyond: Prisma.Sql;
      if (side === "after") {
        beyond =
          key.value === null
            ? Prisma.sql`FALSE`
            : Prisma.sql`(${key.expr} ${Prisma.raw(forward ? ">" : "<")} ${typed(key.target, key.value)} OR ${key.expr} IS NULL)`;
      } else {
        beyond =
          key.value === null
            ? Prisma.sql`${key.expr} IS NOT NULL`
            : Prisma.sql`${key.expr} ${Prisma.raw(forward ? ">" : "<")} ${typed(key.target, key.value)}`;
      }
      branches.push(Prisma.join([...equal, beyond], " AND "));
    }
    return Prisma.sql`(${Prisma.join(
      branches.map((b) => Prisma.sql`(${b})`),
      " OR ",
    )})`;
  }

  /** One record by `rec_` id, visible to the viewer, or 404. */
  async get(moduleSlug: string, recordId: string, trashed: Trashed = "exclude"): Promise<RecordRow> {
    const module = await this.modules.get(moduleSlug);
    return this.getIn(module, recordId, trashed);
  }

  private async getIn(module: ModuleDef, recordId: string, trashed: Trashed): Promise<RecordRow> {
    this.viewer.require("records:read");
    const id = parsePrefixedId(recordId, RECORD_PREFIX);
    const [row] = id
      ? await this.prisma.$queryRaw<RecordRow[]>`SELECT ${SELECT}, ${USER_NAMES} FROM records r
          WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid
            AND r.module_id = ${module.id}::uuid AND ${this.trashedSql(trashed)}`
      : [];
    if (!row || !this.visibleTo(row, module)) {
      throw new NotFoundError(
        `Record ${recordId} not found in module ${module.slug}${trashed === "only" ? "'s trash" : ""}`,
        { recordId },
      );
    }
    return row;
  }

  /** The module of a record, for callers (GraphQL) that know only the record's id. */
  async locate(recordId: string): Promise<{ module: ModuleDef; row: RecordRow }> {
    this.viewer.require("records:read");
    const id = parsePrefixedId(recordId, RECORD_PREFIX);
    const [row] = id
      ? await this.prisma.$queryRaw<RecordRow[]>`SELECT ${SELECT} FROM records r
          WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid`
      : [];
    const module = row ? await this.modules.byId(row.moduleId) : null;
    if (!row || !module || !this.visibleTo(row, module))
      throw new NotFoundError(`Record ${recordId} not found`);
    return { module, row };
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  private displayNameFor(module: ModuleDef, fields: Record<string, unknown>): string {
    const parts = displayFieldsOf(module)
      .map((slug) => fields[slug])
      .filter((v) => v !== undefined && v !== null && v !== "")
      .map((v) => (Array.isArray(v) ? v.join(", ") : String(v)));
    const name = parts.join(" ").trim();
    return name ? name.slice(0, 500) : "Untitled";
  }

  /** Reference values must name live records of the target module, or users of the organisation. */
  private async checkReferences(
    module: ModuleDef,
    fields: Record<string, unknown>,
    changed: string[],
    db: Prisma.TransactionClient | PrismaClient = this.prisma,
  ): Promise<void> {
    const wanted: Array<{ field: FieldDefinition; ids: string[] }> = [];
    for (const field of module.fields) {
      if (!changed.includes(field.slug) || (field.type !== "reference" && field.type !== "user")) continue;
      const value = fields[field.slug];
      if (value === undefined) continue;
      wanted.push({ field, ids: (Array.isArray(value) ? value : [value]) as string[] });
    }
    if (wanted.length === 0) return;
    const recordIds = wanted
      .filter((w) => w.field.type === "reference")
      .flatMap((w) => w.ids.map((id) => parsePrefixedId(id, RECORD_PREFIX)!));
    const userIds = wanted
      .filter((w) => w.field.type === "user")
      .flatMap((w) => w.ids.map((id) => parsePrefixedId(id, USER_PREFIX)!));
    const [records, users] = await Promise.all([
      recordIds.length > 0
        ? db.moduleRecord.findMany({
            where: { id: { in: recordIds }, organizationId: this.organizationId, deletedAt: null },
            select: { id: true, moduleId: true },
          })
        : [],
      userIds.length > 0
        ? db.user.findMany({
            where: { id: { in: userIds }, organizationId: this.organizationId },
            select: { id: true },
          })
        : [],
    ]);
    const all = await this.modules.list();
    const problems: Parameters<typeof fieldValidationError>[0] = [];
    for (const { field, ids } of wanted) {
      for (const id of ids) {
        if (field.type === "user") {
          if (!users.some((u) => userRestId(u.id) === id)) {
            problems.push({
              field: field.slug,
              message: `No user ${id} in this organisation`,
              constraint: "reference",
            });
          }
          continue;
        }
        const target = all.find((m) => m.slug === field.targetModuleSlug);
        const found = records.find((r) => recordRestId(r.id) === id);
        if (!found || found.moduleId !== target?.id) {
          problems.push({
            field: field.slug,
            message: `No record ${id} in module ${field.targetModuleSlug}`,
            constraint: "reference",
          });
        }
      }
    }
    if (problems.length > 0) throw fieldValidationError(problems);
  }

  /**
   * Inserts one record if the organisation has room for it, in one statement:
   * `records_room()` (migration record_module_stats) takes the organisation's advisory lock,
   * which serialises its creates until this statement commits, then reads the room with a
   * snapshot taken after the lock, from `record_module_stats` rather than by counting records.
   * So two creates cannot both see room for one more record.
   */
  private async insertWithinLimit(values: Prisma.Sql): Promise<RecordRow> {
    const org = this.organizationId;
    const [inserted] = await this.prisma.$queryRaw<RecordRow[]>`
      INSERT INTO records AS r (id, organization_id, module_id, display_name, display_name_auto, fields,
        label_ids, type_ids, privacy_level, description_html, created_by_id, updated_by_id)
      SELECT ${values} WHERE records_room(${org}::uuid, 1, ${DEFAULT_RECORD_LIMIT}::int)
      RETURNING ${SELECT}, ${USER_NAMES}`;
    if (inserted) return inserted;
    const [row] = await this.prisma.$queryRaw<Array<{ limit: number | null }>>`
      SELECT record_limit AS "limit" FROM organizations WHERE id = ${org}::uuid`;
    throw new UnprocessableError(
      `The organisation's record limit of ${row?.limit ?? DEFAULT_RECORD_LIMIT} is reached; delete and purge records or raise the limit`,
      [],
      "record_limit_exceeded",
    );
  }

  async create(moduleSlug: string, input: CreateRecordInput): Promise<RecordRow> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(CreateRecordInput, input);
    const fields = applyFieldValues(module.slug, module.fields, {}, data.fields ?? {});
    await this.checkReferences(module, fields, Object.keys(fields));
    const me = this.viewer.user.id;
    return this.insertWithinLimit(Prisma.sql`${randomUUID()}::uuid, ${this.organizationId}::uuid,
      ${module.id}::uuid, ${data.displayName ?? this.displayNameFor(module, fields)}::text,
      ${data.displayName === undefined}::boolean, ${JSON.stringify(fields)}::jsonb,
      ${dedupe(data.labelIds ?? [])}::text[], ${dedupe(data.typeIds ?? [])}::text[],
      ${data.privacyLevel ?? "account"}::text, ${data.descriptionHtml ?? null}::text, ${me}::uuid, ${me}::uuid`);
  }

  /**
   * Partial update. `version` (body) or `ifMatch` (header) must equal the stored version when
   * given; the write itself is conditional on the version read, so a concurrent change is a 409.
   */
  async update(
    moduleSlug: string,
    recordId: string,
    input: UpdateRecordInput,
    ifMatch?: string,
  ): Promise<RecordRow> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(UpdateRecordInput, input);
    const expected = data.version ?? parseIfMatch(ifMatch);
    const current = await this.getIn(module, recordId, "exclude");
    if (expected !== undefined && expected !== current.version) {
      throw new ConflictError(
        `Version conflict: record ${recordId} is at version ${current.version}, not ${expected}`,
        { currentVersion: current.version, expectedVersion: expected },
      );
    }
    const changed = Object.keys(data.fields ?? {});
    const fields = applyFieldValues(
      module.slug,
      module.fields,
      current.fields as Record<string, unknown>,
      data.fields ?? {},
    );
    await this.checkReferences(module, fields, changed);
    const keepAuto = data.displayName === undefined && current.displayNameAuto;
    try {
      return await this.prisma.moduleRecord.update({
        where: { id: current.id, version: current.version },
        data: {
          displayName: data.displayName ?? (keepAuto ? this.displayNameFor(module, fields) : undefined),
          displayNameAuto: data.displayName !== undefined ? false : undefined,
          fields: fields as Prisma.InputJsonObject,
          labelIds: data.labelIds ? dedupe(data.labelIds) : undefined,
          typeIds: data.typeIds ? dedupe(data.typeIds) : undefined,
          privacyLevel: data.privacyLevel,
          descriptionHtml: data.descriptionHtml,
          updatedById: this.viewer.user.id,
          updatedAt: new Date(),
          version: { increment: 1 },
        },
      });
    } catch (error) {
      if ((error as { code?: string }).code === "P2025") {
        throw new ConflictError(`Version conflict: record ${recordId} changed while it was being updated`, {
          expectedVersion: current.version,
        });
      }
      throw error;
    }
  }

  /** Replaces the targets of one reference field of a record. */
  async setReference(
    recordId: string,
    referenceSlug: string,
    targetIds: string[],
    expectedVersion?: number,
  ): Promise<RecordRow> {
    const { module } = await this.locate(recordId);
    const field = module.fields.find(
      (f) => f.slug === referenceSlug && (f.type === "reference" || f.type === "user"),
    );
    if (!field) throw new NotFoundError(`Reference ${referenceSlug} not found in module ${module.slug}`);
    if (!isMultiValued(field) && targetIds.length > 1) {
      throw new ValidationError(`${referenceSlug} is many_to_one: give at most one target`, [
        { field: referenceSlug, message: "many_to_one references take at most one target" },
      ]);
    }
    const value = isMultiValued(field) ? targetIds : (targetIds[0] ?? null);
    return this.update(module.slug, recordId, {
      fields: { [referenceSlug]: value },
      ...(expectedVersion !== undefined ? { version: expectedVersion } : {}),
    });
  }

  async delete(moduleSlug: string, recordId: string): Promise<RecordRow> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const row = await this.getIn(module, recordId, "exclude");
    return this.prisma.moduleRecord.update({
      where: { id: row.id },
      data: { deletedAt: new Date(), updatedById: this.viewer.user.id },
    });
  }

  /** Visible rows of the module among `ids` (prefixed), in the given trash state. */
  private async rowsByIds(module: ModuleDef, ids: string[], trashed: Trashed): Promise<RecordRow[]> {
    const uuids = dedupe(
      ids.map((id) => parsePrefixedId(id, RECORD_PREFIX)).filter((id): id is string => id !== null),
    );
    if (uuids.length === 0) return [];
    const rows = await this.prisma.moduleRecord.findMany({
      where: {
        id: { in: uuids },
        organizationId: this.organizationId,
        moduleId: module.id,
        ...(trashed === "only" ? { deletedAt: { not: null } } : { deletedAt: null }),
      },
    });
    return rows.filter((row) => this.visibleTo(row, module));
  }

  /** Adds and removes labels and types on up to 100 records, all or none. */
  async bulkUpdate(moduleSlug: string, input: BulkUpdateInput): Promise<RecordRow[]> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(BulkUpdateInput, input);
    const requested = dedupe(data.recordIds);
    const rows = await this.rowsByIds(module, requested, "exclude");
    const missing = requested.filter((id) => !rows.some((r) => recordRestId(r.id) === id));
    if (missing.length > 0) {
      throw new NotFoundError(`Records not found in module ${module.slug}: ${missing.join(", ")}`, {
        recordIds: missing,
      });
    }
    const apply = (current: string[], add: string[] = [], remove: string[] = []) =>
      dedupe([...current.filter((id) => !remove.includes(id)), ...add.filter((id) => !remove.includes(id))]);
    const now = new Date();
    const byId = new Map(rows.map((r) => [recordRestId(r.id), r]));
    return this.prisma.$transaction(
      requested.map((id) => {
        const row = byId.get(id)!;
        return this.prisma.moduleRecord.update({
          where: { id: row.id },
          data: {
            labelIds: apply(row.labelIds, data.addLabelIds, data.removeLabelIds),
            typeIds: apply(row.typeIds, data.addTypeIds, data.removeTypeIds),
            updatedById: this.viewer.user.id,
            updatedAt: now,
            version: { increment: 1 },
          },
        });
      }),
    );
  }

  async bulkDelete(moduleSlug: string, input: RecordIdsInput): Promise<{ deleted: number; skipped: number }> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(RecordIdsInput, input);
    const requested = dedupe(data.recordIds);
    const rows = await this.rowsByIds(module, requested, "exclude");
    const { count } = await this.prisma.moduleRecord.updateMany({
      where: { id: { in: rows.map((r) => r.id) }, deletedAt: null },
      data: { deletedAt: new Date(), updatedById: this.viewer.user.id },
    });
    return { deleted: count, skipped: requested.length - count };
  }

  // -------------------------------------------------------------------------------------------
  // Trash

  async trash(moduleSlug: string, page: number, pageSize: number): Promise<RecordPage> {
    this.viewer.require("records:read");
    const module = await this.modules.get(moduleSlug);
    const where = this.baseWhere(module, "only");
    const result = await this.page(module, where, [TRASH_ORDER], page, pageSize);
    return { module, ...result, page, pageSize, fieldSelection: null };
  }

  private restorableSince(): Date {
    return new Date(Date.now() - TRASH_RETENTION_DAYS * DAY_MS);
  }

  async restore(moduleSlug: string, recordId: string): Promise<RecordRow> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const row = await this.getIn(module, recordId, "only");
    if (row.deletedAt && row.deletedAt < this.restorableSince()) {
      throw new NotFoundError(`Record ${recordId} was deleted more than ${TRASH_RETENTION_DAYS} days ago`);
    }
    return this.prisma.moduleRecord.update({
      where: { id: row.id },
      data: { deletedAt: null, updatedById: this.viewer.user.id, updatedAt: new Date() },
    });
  }

  async bulkRestore(
    moduleSlug: string,
    input: RecordIdsInput,
  ): Promise<{ restored: number; skipped: number }> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(RecordIdsInput, input);
    const requested = dedupe(data.recordIds);
    const rows = await this.rowsByIds(module, requested, "only");
    const { count } = await this.prisma.moduleRecord.updateMany({
      where: { id: { in: rows.map((r) => r.id) }, deletedAt: { not: null, gte: this.restorableSince() } },
      data: { deletedAt: null, updatedById: this.viewer.user.id, updatedAt: new Date() },
    });
    return { restored: count, skipped: requested.length - count };
  }

  async purge(moduleSlug: string, recordId: string): Promise<void> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const row = await this.getIn(module, recordId, "only");
    await this.prisma.moduleRecord.delete({ where: { id: row.id } });
  }

  async emptyTrash(moduleSlug: string): Promise<number> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    return this.prisma
      .$executeRaw`DELETE FROM records r WHERE ${Prisma.join(this.baseWhere(module, "only"), " AND ")}`;
  }

  // -------------------------------------------------------------------------------------------
  // References

  async references(moduleSlug: string) {
    return referencesOf(await this.modules.get(moduleSlug));
  }

  private async referenceField(module: ModuleDef, referenceSlug: string): Promise<FieldDefinition> {
    const field = module.fields.find(
      (f) => f.slug === referenceSlug && (f.type === "reference" || f.type === "user"),
    );
    if (!field) throw new NotFoundError(`Reference ${referenceSlug} not found in module ${module.slug}`);
    return field;
  }

  /** The live, visible targets of one record's reference, in the stored order. */
  async linked(
    moduleSlug: string,
    referenceSlug: string,
    recordId: string,
  ): Promise<{ recordIds: string[]; records: LinkedItem[] }> {
    const module = await this.modules.get(moduleSlug);
    const field = await this.referenceField(module, referenceSlug);
    const row = await this.getIn(module, recordId, "exclude");
    const items = (await this.loadLinked(row, field)).filter((i): i is LinkedItem => i !== null);
    return { recordIds: items.map((i) => i.id), records: items };
  }

  /** Targets of a reference value, through this request's loaders (one statement per batch). */
  async loadLinked(row: RecordRow, field: FieldDefinition): Promise<Array<LinkedItem | null>> {
    const value = (row.fields as Record<string, unknown>)[field.slug];
    const ids = (value === undefined ? [] : Array.isArray(value) ? value : [value]) as string[];
    if (field.type === "user") {
      const users = await this.loaders.user.loadMany(ids.map((id) => parsePrefixedId(id, USER_PREFIX) ?? ""));
      return users.map((u) =>
        u && !(u instanceof Error)
          ? { id: userRestId(u.id), displayName: u.displayName, moduleSlug: null, row: null }
          : null,
      );
    }
    const target = await this.modules.find(field.targetModuleSlug ?? "");
    const rows = await this.loaders.record.loadMany(
      ids.map((id) => parsePrefixedId(id, RECORD_PREFIX) ?? ""),
    );
    return rows.map((r) =>
      r && !(r instanceof Error) && target && r.moduleId === target.id
        ? { id: recordRestId(r.id), displayName: r.displayName, moduleSlug: target.slug, row: r }
        : null,
    );
  }

  async picker(
    moduleSlug: string,
    referenceSlug: string,
    input: { search?: string; limit?: number | string },
  ) {
    this.viewer.require("records:read");
    const module = await this.modules.get(moduleSlug);
    const field = await this.referenceField(module, referenceSlug);
    const { search, limit } = parseInput(PickerInput, input);
    if (field.type === "user") {
      const users = await this.prisma.user.findMany({
        where: {
          organizationId: this.organizationId,
          active: true,
          ...(search
            ? {
                OR: [
                  { displayName: { contains: search, mode: "insensitive" } },
                  { email: { contains: search, mode: "insensitive" } },
                ],
              }
            : {}),
        },
        orderBy: [{ displayName: "asc" }, { id: "asc" }],
        take: limit,
      });
      return users.map((u) => ({
        id: userRestId(u.id),
        label: u.displayName,
        subtitle: u.email as string | null,
      }));
    }
    const target = await this.modules.get(field.targetModuleSlug ?? "");
    const where = this.baseWhere(target, "exclude");
    const searchSql = search ? this.searchSql(target, search) : null;
    if (searchSql) where.push(searchSql);
    const rows = await this.prisma.$queryRaw<RecordRow[]>`
      SELECT ${SELECT} FROM records r WHERE ${Prisma.join(where, " AND ")}
      ORDER BY r.display_name ASC, r.id ASC LIMIT ${limit}`;
    const subtitleFields =
      target.subtitleFields.length > 0
        ? target.subtitleFields
        : target.fields
            .filter((f) => f.type === "select")
            .slice(0, 2)
            .map((f) => f.slug);
    return rows.map((r) => {
      const values = subtitleFields
        .map((slug) => (r.fields as Record<string, unknown>)[slug])
        .filter((v) => v !== undefined && v !== null && v !== "")
        .map(String);
      return {
        id: recordRestId(r.id),
        label: r.displayName,
        subtitle: values.length > 0 ? values.join(" - ") : null,
      };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Batching (GraphQL and REST serialisation)

  readonly loaders = {
    /** Live records by internal id, confined to the organisation and to what the viewer may see. */
    record: new DataLoader<string, RecordRow | null>(async (ids) => {
      const valid = ids.filter((id) => parsePrefixedId(id, "") !== null);
      const rows =
        valid.length > 0
          ? await this.prisma.$queryRaw<RecordRow[]>`SELECT ${SELECT} FROM records r
              WHERE r.id = ANY (${valid}::uuid[]) AND r.organization_id = ${this.organizationId}::uuid
                AND r.deleted_at IS NULL`
          : [];
      const modules = await this.modules.list();
      return ids.map((id) => {
        const row = rows.find((r) => r.id === id);
        const module = row && modules.find((m) => m.id === row.moduleId);
        return row && module && this.visibleTo(row, module) ? row : null;
      });
    }),
    /** Users of the organisation by id. */
    user: new DataLoader<string, User | null>(async (ids) => {
      const valid = ids.filter((id) => parsePrefixedId(id, "") !== null);
      const users =
        valid.length > 0
          ? await this.prisma.user.findMany({
              where: { id: { in: valid }, organizationId: this.organizationId },
            })
          : [];
      return ids.map((id) => users.find((u) => u.id === id) ?? null);
    }),
  };

  /**
   * Display names of the users who created or last updated `rows`: the names read with the rows
   * (USER_NAMES) when they were, else one statement for the others.
   */
  async userNames(rows: RecordRow[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const unread = new Set<string>();
    for (const row of rows as Array<RecordRow & Partial<UserNameColumns>>) {
      for (const [id, name] of [
        [row.createdById, row.createdByName],
        [row.updatedById, row.updatedByName],
      ] as const) {
        if (!id) continue;
        if (name === undefined) unread.add(id);
        else if (name !== null) names.set(id, name);
      }
    }
    const ids = [...unread].filter((id) => !names.has(id));
    if (ids.length === 0) return names;
    // Two columns by raw SQL: the ORM's query compiler costs more than the query here.
    const users = await this.prisma.$queryRaw<Array<{ id: string; displayName: string }>>`
      SELECT id, display_name AS "displayName" FROM users
      WHERE id = ANY (${ids}::uuid[]) AND organization_id = ${this.organizationId}::uuid`;
    for (const user of users) names.set(user.id, user.displayName);
    return names;
  }
}

/** Removes trashed records older than the retention period, in every organisation. */
export async function purgeExpiredRecords(prisma: PrismaClient, now = new Date()): Promise<number> {
  const { count } = await prisma.moduleRecord.deleteMany({
    where: { deletedAt: { lt: new Date(now.getTime() - TRASH_RETENTION_DAYS * DAY_MS) } },
  });
  return count;
}

/** Runs purgeExpiredRecords every `intervalMs`; returns a function that stops it. */
export function startRecordPurgeJob(
  prisma: PrismaClient,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): () => void {
  const timer = setInterval(() => {
    purgeExpiredRecords(prisma).catch((error) => options.onError?.(error));
  }, options.intervalMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}

function stripTotal<T extends TotalColumns>(row: T): Omit<T, keyof TotalColumns> {
  const { _total, _version, _cacheable, ...rest } = row;
  return rest;
}

/** A row without the sort-key columns (`k0`, `k1`...) the page query adds for cursors. */
function stripKeys(row: RecordRow & Record<string, unknown>, keys: number): RecordRow {
  const node: Record<string, unknown> = { ...row };
  for (let i = 0; i < keys; i++) delete node[`k${i}`];
  return node as RecordRow;
}

function dedupe<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** `If-Match: "3"`, `W/"3"` or `3`; anything else is a 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) {
    throw new ValidationError('If-Match must be a record version, e.g. "3"', [
      { field: "If-Match", message: 'must be a record version, e.g. "3"' },
    ]);
  }
  return Number(match[1]);
}

function cursorValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value ?? null;
}

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

function decodeCursor(cursor: string, keys: number, name: string): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(values) &&
      values.length === keys + 1 &&
      typeof values[keys] === "string" &&
      parsePrefixedId(values[keys], "") !== null &&
      values.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))
    ) {
      return values;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError(`${name}: not a cursor of this ordering`, [
    { field: name, message: "not a cursor of this ordering; cursors depend on orderBy" },
  ]);
}
