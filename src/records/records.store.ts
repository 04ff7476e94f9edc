// All of the records domain's SQL against `records` (and the user names read with them), on
// the kernel's pg executor: one column list, rows typed as RecordRow. Every statement takes the
// organisation; the predicates that decide visibility and filters come from records.query.ts.

import { join, raw, type Sql, type SqlPool, sql } from "../db/sql.js";
import type { Prisma } from "../generated/prisma/client.js";
import { targetExpression } from "./advanced-filter.js";
import { recordTotals, rememberTotal, type TotalColumns, totalKey, totalSql } from "./record-totals.js";
import type { FieldDefinition } from "./records.inputs.js";
import type { Aggregates } from "./records.service.js";

export type RecordRow = {
  id: string;
  organizationId: string;
  moduleId: string;
  displayName: string;
  displayNameAuto: boolean;
  fields: Prisma.JsonValue;
  labelIds: string[];
  typeIds: string[];
  privacyLevel: string;
  descriptionHtml: string | null;
  createdById: string | null;
  updatedById: string | null;
  version: number;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** The display names of a record's creator and last editor, when read with the record. */
export type UserNameColumns = { createdByName: string | null; updatedByName: string | null };

/** The one column list of `records r`. */
const COLUMNS = sql`r.id, r.organization_id AS "organizationId", r.module_id AS "moduleId",
  r.display_name AS "displayName", r.display_name_auto AS "displayNameAuto", r.fields,
  coalesce(r.label_ids, '{}') AS "labelIds", coalesce(r.type_ids, '{}') AS "typeIds",
  r.privacy_level AS "privacyLevel", r.description_html AS "descriptionHtml",
  r.created_by_id AS "createdById", r.updated_by_id AS "updatedById", r.version,
  r.deleted_at AS "deletedAt", r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

/**
 * The creator's and last editor's names, read with the record where REST shows them (lists, get,
 * create): one statement fewer than asking the users table afterwards.
 */
const USER_NAMES = sql`(SELECT u.display_name FROM users u
    WHERE u.id = r.created_by_id AND u.organization_id = r.organization_id) AS "createdByName",
  (SELECT u.display_name FROM users u
    WHERE u.id = r.updated_by_id AND u.organization_id = r.organization_id) AS "updatedByName"`;

/** A page: the predicate of the total, the page's own (with its keyset), its order and bounds. */
export type PageStatement = {
  moduleId: string;
  where: Prisma.Sql[];
  paged: Prisma.Sql[];
  /** ORDER BY over `records r`, and the same over the page's output columns (`p.k0`…, `p.id`). */
  order: Prisma.Sql;
  outerOrder: Prisma.Sql;
  /** `expr AS k0, …`: the sort values each row carries for its cursor. */
  keyColumns: Prisma.Sql[];
  limit: number;
  offset: number;
  withTotal: boolean;
  withNames: boolean;
};

export type PageRow = RecordRow & Partial<UserNameColumns> & Record<string, unknown>;

export class RecordStore {
  constructor(
    private readonly db: SqlPool,
    private readonly organizationId: string,
  ) {}

  /**
   * One statement for a page and, when asked, the filter's total: the count is planned on its
   * own (a bitmap scan of the filter), the page on its own (it may walk a sort index and stop at
   * `limit`), and the count's single row keeps the total even when the page is empty. The count
   * only runs when the module's records changed since this process last counted the same
   * predicate (record-totals.ts).
   */
  async page(q: PageStatement): Promise<{ rows: PageRow[]; total: number | null }> {
    const columns = q.withNames ? sql`${COLUMNS}, ${USER_NAMES}` : COLUMNS;
    const inner = sql`SELECT ${columns}, ${join(q.keyColumns, ", ")} FROM records r
      WHERE ${join(q.paged, " AND ")} ORDER BY ${q.order} LIMIT ${q.limit}::int OFFSET ${q.offset}::int`;
    if (!q.withTotal) return { rows: await this.db.rows<PageRow>(inner), total: null };
    const predicate = join(q.where, " AND ");
    const key = totalKey(q.moduleId, predicate);
    const rows = await this.db.rows<PageRow & TotalColumns>(sql`
      SELECT t.*, p.* FROM (${totalSql(q.moduleId, predicate, recordTotals.get(key))}) t
      LEFT JOIN LATERAL (${inner}) p ON TRUE ORDER BY ${q.outerOrder}`);
    rememberTotal(key, rows[0]);
    const total = rows[0]?._total ?? 0;
    const page = rows.filter((r) => r.id !== null).map((r) => stripTotal(r) as PageRow);
    return { rows: page, total };
  }

  /** The number of the module's records matching `where`, from the maintained totals when unchanged. */
  async count(moduleId: string, where: Prisma.Sql[]): Promise<number> {
    const predicate = join(where, " AND ");
    const key = totalKey(moduleId, predicate);
    const row = await this.db.maybeOne<TotalColumns>(totalSql(moduleId, predicate, recordTotals.get(key)));
    rememberTotal(key, row);
    return row?._total ?? 0;
  }

  /**
   * The first `limit` records matching `where` for each of `parents` (rec_ ids) that the
   * reference `slug` points at, in `order`, with each parent's total: one statement for a whole
   * page of parents (the typed graph's reverse connections). A many_to_many reference counts
   * for each of its targets.
   */
  async referrers(q: {
    where: Prisma.Sql[];
    slug: string;
    parents: string[];
    containment: Prisma.Sql;
    order: Prisma.Sql;
    keyColumns: Prisma.Sql[];
    limit: number;
  }): Promise<Array<PageRow & { _parent: string; _total: number }>> {
    if (q.parents.length === 0) return [];
    const targets = sql`CASE WHEN jsonb_typeof(r.fields -> ${q.slug}::text) = 'array'
      THEN r.fields -> ${q.slug}::text ELSE jsonb_build_array(r.fields -> ${q.slug}::text) END`;
    return this.db.rows(sql`
      SELECT p.* FROM (
        SELECT ${COLUMNS}, ${join(q.keyColumns, ", ")}, ref.id AS "_parent",
          row_number() OVER (PARTITION BY ref.id ORDER BY ${q.order}) AS "_n",
          (count(*) OVER (PARTITION BY ref.id))::int AS "_total"
        FROM records r CROSS JOIN LATERAL jsonb_array_elements_text(${targets}) AS ref(id)
        WHERE ${join([...q.where, q.containment], " AND ")} AND ref.id = ANY (${q.parents}::text[])
      ) p WHERE p."_n" <= ${q.limit}::int ORDER BY p."_parent", p."_n"`);
  }

  /** count, and sum/avg/min/max of each numeric field, of the records matching `where`. */
  async aggregate(where: Prisma.Sql[], fields: FieldDefinition[]): Promise<Aggregates> {
    const columns = fields.flatMap((field, i) => {
      const value = targetExpression({ source: "field", slug: field.slug, kind: "number", field });
      return ["sum", "avg", "min", "max"].map(
        (fn) => sql`${raw(fn)}(${value})::float8 AS ${raw(`${fn}_${i}`)}`,
      );
    });
    const row = await this.db.maybeOne<Record<string, number | null>>(
      sql`SELECT ${join([sql`count(*)::int AS count`, ...columns], ", ")} FROM records r WHERE ${join(where, " AND ")}`,
    );
    const result: Aggregates = { count: Number(row?.count ?? 0), sum: {}, avg: {}, min: {}, max: {} };
    fields.forEach((field, i) => {
      for (const fn of ["sum", "avg", "min", "max"] as const)
        result[fn][field.slug] = row?.[`${fn}_${i}`] ?? null;
    });
    return result;
  }

  /** One record of a module with its user names; `state` is the trash predicate. */
  async inModule(
    moduleId: string,
    id: string,
    state: Prisma.Sql,
  ): Promise<(RecordRow & UserNameColumns) | undefined> {
    return this.db.maybeOne(
      sql`SELECT ${COLUMNS}, ${USER_NAMES} FROM records r
        WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid
          AND r.module_id = ${moduleId}::uuid AND ${state}`,
    );
  }

  /** One record of the organisation, live or trashed, whatever its module. */
  async byId(id: string): Promise<RecordRow | undefined> {
    return this.db.maybeOne(
      sql`SELECT ${COLUMNS} FROM records r
        WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid`,
      { name: "records.byId" },
    );
  }

  /** Live records of the organisation among `ids` (uuids). */
  async liveByIds(ids: string[]): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    return this.db.rows(
      sql`SELECT ${COLUMNS} FROM records r
        WHERE r.id = ANY (${ids}::uuid[]) AND r.organization_id = ${this.organizationId}::uuid
          AND r.deleted_at IS NULL`,
      { name: "records.liveByIds" },
    );
  }

  /** Records of a module among `ids`, live or trashed as `trashed` says. */
  async inModuleByIds(moduleId: string, ids: string[], trashed: boolean): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    return this.db.rows(
      sql`SELECT ${COLUMNS} FROM records r
        WHERE r.id = ANY (${ids}::uuid[]) AND r.organization_id = ${this.organizationId}::uuid
          AND r.module_id = ${moduleId}::uuid AND (r.deleted_at IS NOT NULL) = ${trashed}::boolean`,
      { name: "records.inModuleByIds" },
    );
  }

  /** The module of each live record among `ids` (reference checks). */
  async liveModulesOf(ids: string[]): Promise<Array<{ id: string; moduleId: string }>> {
    if (ids.length === 0) return [];
    return this.db.rows(
      sql`SELECT r.id, r.module_id AS "moduleId" FROM records r
        WHERE r.id = ANY (${ids}::uuid[]) AND r.organization_id = ${this.organizationId}::uuid
          AND r.deleted_at IS NULL`,
      { name: "records.liveModulesOf" },
    );
  }

  /** Records matching `where` in display-name order (the reference picker). */
  async byDisplayName(where: Prisma.Sql[], limit: number): Promise<RecordRow[]> {
    return this.db.rows(sql`SELECT ${COLUMNS} FROM records r WHERE ${join(where, " AND ")}
      ORDER BY r.display_name ASC, r.id ASC LIMIT ${limit}::int`);
  }

  /**
   * Inserts one record if the organisation has room for it, in one statement:
   * `records_room()` (migration record_module_stats) takes the organisation's advisory lock,
   * which serialises its creates until this statement commits, then reads the room with a
   * snapshot taken after the lock, from `record_module_stats` rather than by counting records.
   * So two creates cannot both see room for one more record. Undefined when there is none.
   */
  async insertWithinLimit(
    row: Omit<
      RecordRow,
      "organizationId" | "version" | "deletedAt" | "createdAt" | "updatedAt" | "fields"
    > & {
      fields: Record<string, unknown>;
    },
    defaultLimit: number,
  ): Promise<(RecordRow & UserNameColumns) | undefined> {
    return this.db.maybeOne(
      sql`INSERT INTO records AS r (id, organization_id, module_id, display_name, display_name_auto,
          fields, label_ids, type_ids, privacy_level, description_html, created_by_id, updated_by_id)
        SELECT ${row.id}::uuid, ${this.organizationId}::uuid, ${row.moduleId}::uuid,
          ${row.displayName}::text, ${row.displayNameAuto}::boolean, ${JSON.stringify(row.fields)}::jsonb,
          ${row.labelIds}::text[], ${row.typeIds}::text[], ${row.privacyLevel}::text,
          ${row.descriptionHtml}::text, ${row.createdById}::uuid, ${row.updatedById}::uuid
        WHERE records_room(${this.organizationId}::uuid, 1, ${defaultLimit}::int)
        RETURNING ${COLUMNS}, ${USER_NAMES}`,
      { name: "records.insert" },
    );
  }

  /** The organisation's record limit (null: the default). */
  async recordLimit(): Promise<number | null> {
    const row = await this.db.maybeOne<{ limit: number | null }>(
      sql`SELECT record_limit AS "limit" FROM organizations WHERE id = ${this.organizationId}::uuid`,
    );
    return row?.limit ?? null;
  }

  /**
   * Writes a record's new content if it is still at `version`; undefined when another write got
   * there first. Null `displayName`, `labelIds`… keep the stored value.
   */
  async updateAtVersion(
    id: string,
    version: number,
    change: {
      displayName: string | null;
      displayNameAuto: boolean | null;
      fields: Record<string, unknown>;
      labelIds: string[] | null;
      typeIds: string[] | null;
      privacyLevel: string | null;
      descriptionHtml: string | null | undefined;
      updatedById: string;
    },
  ): Promise<(RecordRow & UserNameColumns) | undefined> {
    const description =
      change.descriptionHtml === undefined ? sql`r.description_html` : sql`${change.descriptionHtml}::text`;
    return this.db.maybeOne(
      sql`UPDATE records AS r SET
          display_name = coalesce(${change.displayName}::text, r.display_name),
          display_name_auto = coalesce(${change.displayNameAuto}::boolean, r.display_name_auto),
          fields = ${JSON.stringify(change.fields)}::jsonb,
          label_ids = coalesce(${change.labelIds}::text[], r.label_ids),
          type_ids = coalesce(${change.typeIds}::text[], r.type_ids),
          privacy_level = coalesce(${change.privacyLevel}::text, r.privacy_level),
          description_html = ${description},
          updated_by_id = ${change.updatedById}::uuid, updated_at = now(), version = r.version + 1
        WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid
          AND r.version = ${version}::int
        RETURNING ${COLUMNS}, ${USER_NAMES}`,
    );
  }

  /** Moves records to the trash (or back: `deleted` false); returns the rows it changed. */
  async setDeleted(
    ids: string[],
    deleted: boolean,
    updatedById: string,
    options: { restorableSince?: Date; touch?: boolean } = {},
  ): Promise<RecordRow[]> {
    if (ids.length === 0) return [];
    const since = options.restorableSince ?? null;
    return this.db.rows(
      sql`UPDATE records AS r SET
          deleted_at = CASE WHEN ${deleted}::boolean THEN now() ELSE NULL END,
          updated_by_id = ${updatedById}::uuid,
          updated_at = CASE WHEN ${options.touch ?? !deleted}::boolean THEN now() ELSE r.updated_at END
        WHERE r.id = ANY (${ids}::uuid[]) AND r.organization_id = ${this.organizationId}::uuid
          AND (r.deleted_at IS NULL) = ${deleted}::boolean
          AND (${since}::timestamptz IS NULL OR r.deleted_at >= ${since}::timestamptz)
        RETURNING ${COLUMNS}`,
      { name: "records.setDeleted" },
    );
  }

  /** Replaces labels and types of several records, all in one transaction. */
  async setLabels(
    changes: Array<{ id: string; labelIds: string[]; typeIds: string[] }>,
    updatedById: string,
  ): Promise<RecordRow[]> {
    return this.db.transaction(async (tx) => {
      const rows: RecordRow[] = [];
      for (const change of changes) {
        const row = await this.labelsIn(tx, change, updatedById);
        if (row) rows.push(row);
      }
      return rows;
    });
  }

  private labelsIn(
    tx: Sql,
    change: { id: string; labelIds: string[]; typeIds: string[] },
    updatedById: string,
  ): Promise<RecordRow | undefined> {
    return tx.maybeOne(
      sql`UPDATE records AS r SET label_ids = ${change.labelIds}::text[], type_ids = ${change.typeIds}::text[],
          updated_by_id = ${updatedById}::uuid, updated_at = now(), version = r.version + 1
        WHERE r.id = ${change.id}::uuid AND r.organization_id = ${this.organizationId}::uuid
        RETURNING ${COLUMNS}`,
      { name: "records.setLabels" },
    );
  }

  /** Deletes one record for good. */
  async purge(id: string): Promise<void> {
    await this.db.execute(
      sql`DELETE FROM records r WHERE r.id = ${id}::uuid AND r.organization_id = ${this.organizationId}::uuid`,
      { name: "records.purge" },
    );
  }

  /** Deletes for good every record matching `where`; returns how many. */
  async purgeWhere(where: Prisma.Sql[]): Promise<number> {
    return this.db.execute(sql`DELETE FROM records r WHERE ${join(where, " AND ")}`);
  }

  /** Users of the organisation by id: the fields a reference shows. */
  async users(ids: string[]): Promise<Array<{ id: string; displayName: string; email: string }>> {
    if (ids.length === 0) return [];
    return this.db.rows(
      sql`SELECT id, display_name AS "displayName", email FROM users
        WHERE id = ANY (${ids}::uuid[]) AND organization_id = ${this.organizationId}::uuid`,
      { name: "records.users" },
    );
  }

  /** Active users whose name or e-mail contains `search`, by name (the user picker). */
  async activeUsers(
    search: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; displayName: string; email: string }>> {
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    return this.db.rows(
      sql`SELECT id, display_name AS "displayName", email FROM users
        WHERE organization_id = ${this.organizationId}::uuid AND active
          AND (${pattern}::text IS NULL OR display_name ILIKE ${pattern}::text OR email ILIKE ${pattern}::text)
        ORDER BY display_name ASC, id ASC LIMIT ${limit}::int`,
      { name: "records.activeUsers" },
    );
  }
}

/** Removes trashed records deleted before `before`, in every organisation. */
export function purgeTrashedBefore(db: SqlPool, before: Date): Promise<number> {
  return db.execute(sql`DELETE FROM records WHERE deleted_at < ${before}::timestamptz`);
}

function stripTotal<T extends TotalColumns>(row: T): Omit<T, keyof TotalColumns> {
  const { _total, _version, _cacheable, ...rest } = row;
  return rest;
}
