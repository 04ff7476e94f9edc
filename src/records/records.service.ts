// Records of a module: list/search/filter/sort, CRUD with optimistic locking, bulk actions,
// trash, references. The rules live here (scopes, privacy levels for the viewer's user, field
// validation, references, versions: docs/records.md); the predicates are records.query.ts's
// and every statement is records.store.ts's, confined to the viewer's organisation.
import { randomUUID } from "node:crypto";
import DataLoader from "dataloader";
import { fromRestId } from "../db/ids.js";
import { join, sql, sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import type { FilterNode } from "./advanced-filter.js";
import { applyFieldValues, fieldValidationError, isMultiValued } from "./field-values.js";
import { displayFieldsOf, type ModuleDef, ModuleService, referencesOf } from "./modules.service.js";
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
import {
  cursorValues,
  keyColumns,
  keyset,
  orderBy,
  outerOrderBy,
  RecordQuery,
  rowCursor,
  type SortDirection,
  type SortKey,
  sortKeys,
  TRASH_ORDER,
  type Trashed,
  withoutKeys,
} from "./records.query.js";
import { purgeTrashedBefore, type RecordRow, RecordStore, type UserNameColumns } from "./records.store.js";

export type { SortDirection, SortKey, Trashed } from "./records.query.js";
export type { RecordRow } from "./records.store.js";

/** Records stay in the trash this long before the purge job removes them. */
export const TRASH_RETENTION_DAYS = 30;
/** Record limit of an organisation whose `record_limit` column is null. */
export const DEFAULT_RECORD_LIMIT = 1_000_000;

const DAY_MS = 86_400_000;

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
  /** The typed graph's filter, already parsed (typed-filter.ts). */
  predicate?: FilterNode | undefined;
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
  /** count, and sum/avg/min/max of each numeric field, over the filtered set (not the page). */
  aggregate: (fields: FieldDefinition[]) => Promise<Aggregates>;
};

export type Aggregates = {
  count: number;
  sum: Record<string, number | null>;
  avg: Record<string, number | null>;
  min: Record<string, number | null>;
  max: Record<string, number | null>;
};

export type LinkedItem = {
  id: string;
  displayName: string;
  moduleSlug: string | null;
  row: RecordRow | null;
};

export class RecordService {
  readonly modules: ModuleService;
  private readonly store: RecordStore;
  private readonly query: RecordQuery;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
    modules?: ModuleService,
  ) {
    this.modules = modules ?? new ModuleService(prisma, viewer);
    this.store = new RecordStore(sqlOf(prisma), viewer.organization.id);
    this.query = new RecordQuery(viewer);
  }

  visibleTo(row: RecordRow, module: ModuleDef): boolean {
    return this.query.visibleTo(row, module);
  }

  /** What makes a record of `module` one the viewer may see: for filters through references. */
  visibleRecords(module: ModuleDef): ReturnType<RecordQuery["base"]> {
    return this.query.base(module, "exclude");
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** A page by offset, with the filter's exact total and the user names REST shows. */
  private async page(
    module: ModuleDef,
    where: ReturnType<RecordQuery["where"]>,
    keys: SortKey[],
    page: number,
    pageSize: number,
  ) {
    const { rows, total } = await this.store.page({
      moduleId: module.id,
      where,
      paged: where,
      order: orderBy(keys),
      outerOrder: outerOrderBy(keys),
      keyColumns: keyColumns(keys),
      limit: pageSize,
      offset: (page - 1) * pageSize,
      withTotal: true,
      withNames: true,
    });
    return { rows: rows.map((row) => withoutKeys(row, keys.length)), total: total ?? 0 };
  }

  async list(moduleSlug: string, query: ListQuery): Promise<RecordPage> {
    const module = await this.modules.get(moduleSlug);
    const where = this.query.where(module, query, "exclude");
    const keys = sortKeys(
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
    const where = this.query.where(module, { ...q, advancedFilter: q.filter }, trashed);
    const keys = sortKeys(module, q.orderBy ?? []);
    const backward = q.last != null && q.first == null;
    const size = Math.min(backward ? q.last! : (q.first ?? 25), 100);
    if (size < 0)
      throw new ValidationError("first/last must not be negative", [
        { field: "first", message: "must be ≥ 0" },
      ]);
    const paged = [...where];
    if (q.after) paged.push(keyset(keys, cursorValues(q.after, keys.length, "after"), "after"));
    if (q.before) paged.push(keyset(keys, cursorValues(q.before, keys.length, "before"), "before"));
    const offset = Math.max(0, q.offset ?? 0);
    const { rows, total } = await this.store.page({
      moduleId: module.id,
      where,
      paged,
      order: orderBy(keys, backward),
      outerOrder: outerOrderBy(keys, backward),
      keyColumns: keyColumns(keys),
      limit: size + 1,
      offset,
      withTotal: options.withTotal ?? true,
      withNames: false,
    });
    const more = rows.length > size;
    const page = rows.slice(0, size);
    if (backward) page.reverse();
    const edges = page.map((row) => ({
      cursor: rowCursor(row, keys.length),
      node: withoutKeys(row, keys.length),
    }));
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
        counted ??= this.store.count(module.id, where);
        return counted;
      },
      aggregate: (fields) => this.store.aggregate(where, fields),
    };
  }

  /**
   * For each parent (rec_ ids), the first `first` records of `module` whose reference `field`
   * points at it, with their total: the typed graph's reverse connections of a whole page of
   * parents in one statement. Cursors are those connection() makes for the same order, so a
   * next page (`after`) goes through connection().
   */
  async referrers(
    module: ModuleDef,
    field: FieldDefinition,
    parents: readonly string[],
    q: Pick<ConnectionQuery, "first" | "search" | "orderBy" | "predicate">,
  ): Promise<Map<string, RecordConnectionResult>> {
    const where = this.query.where(module, { search: q.search, predicate: q.predicate }, "exclude");
    const keys = sortKeys(module, q.orderBy ?? []);
    const size = Math.min(q.first ?? 25, 100);
    const many = isMultiValued(field);
    const containment = join(
      parents.map((id) => sql`r.fields @> ${JSON.stringify({ [field.slug]: many ? [id] : id })}::jsonb`),
      " OR ",
    );
    const rows = await this.store.referrers({
      where,
      slug: field.slug,
      parents: [...parents],
      containment: sql`(${containment})`,
      order: orderBy(keys),
      keyColumns: keyColumns(keys),
      limit: size + 1,
    });
    const result = new Map<string, RecordConnectionResult>();
    for (const parent of parents) {
      const mine = rows.filter((row) => row._parent === parent);
      const total = mine[0]?._total ?? 0;
      const edges = mine.slice(0, size).map((row) => ({
        cursor: rowCursor(row, keys.length),
        node: withoutKeys(row, keys.length),
      }));
      const predicate = sql`r.fields @> ${JSON.stringify({ [field.slug]: many ? [parent] : parent })}::jsonb`;
      result.set(parent, {
        edges,
        pageInfo: {
          hasNextPage: mine.length > size,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges[edges.length - 1]?.cursor ?? null,
        },
        totalCount: async () => total,
        aggregate: (fields) => this.store.aggregate([...where, predicate], fields),
      });
    }
    return result;
  }

  /** One record by `rec_` id, visible to the viewer, or 404. */
  async get(moduleSlug: string, recordId: string, trashed: Trashed = "exclude"): Promise<RecordRow> {
    const module = await this.modules.get(moduleSlug);
    return this.getIn(module, recordId, trashed);
  }

  private async getIn(module: ModuleDef, recordId: string, trashed: Trashed): Promise<RecordRow> {
    this.viewer.require("records:read");
    const id = parsePrefixedId(recordId, RECORD_PREFIX);
    const row = id ? await this.store.inModule(module.id, id, this.query.trashed(trashed)) : undefined;
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
    const row = id ? await this.store.byId(id) : undefined;
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
    const records = await this.store.liveModulesOf(dedupe(recordIds));
    const users = await this.store.users(dedupe(userIds));
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

  async create(moduleSlug: string, input: CreateRecordInput): Promise<RecordRow> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(CreateRecordInput, input);
    const fields = applyFieldValues(module.slug, module.fields, {}, data.fields ?? {});
    await this.checkReferences(module, fields, Object.keys(fields));
    const me = this.viewer.user.id;
    const inserted = await this.store.insertWithinLimit(
      {
        id: randomUUID(),
        moduleId: module.id,
        displayName: data.displayName ?? this.displayNameFor(module, fields),
        displayNameAuto: data.displayName === undefined,
        fields,
        labelIds: dedupe(data.labelIds ?? []),
        typeIds: dedupe(data.typeIds ?? []),
        privacyLevel: data.privacyLevel ?? "account",
        descriptionHtml: data.descriptionHtml ?? null,
        createdById: me,
        updatedById: me,
      },
      DEFAULT_RECORD_LIMIT,
    );
    if (inserted) return inserted;
    const limit = await this.store.recordLimit();
    throw new UnprocessableError(
      `The organisation's record limit of ${limit ?? DEFAULT_RECORD_LIMIT} is reached; delete and purge records or raise the limit`,
      [],
      "record_limit_exceeded",
    );
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
    const updated = await this.store.updateAtVersion(current.id, current.version, {
      displayName: data.displayName ?? (keepAuto ? this.displayNameFor(module, fields) : null),
      displayNameAuto: data.displayName !== undefined ? false : null,
      fields,
      labelIds: data.labelIds ? dedupe(data.labelIds) : null,
      typeIds: data.typeIds ? dedupe(data.typeIds) : null,
      privacyLevel: data.privacyLevel ?? null,
      descriptionHtml: data.descriptionHtml,
      updatedById: this.viewer.user.id,
    });
    if (!updated) {
      throw new ConflictError(`Version conflict: record ${recordId} changed while it was being updated`, {
        expectedVersion: current.version,
      });
    }
    return updated;
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
    const [deleted] = await this.store.setDeleted([row.id], true, this.viewer.user.id);
    if (!deleted)
      throw new NotFoundError(`Record ${recordId} not found in module ${module.slug}`, { recordId });
    return deleted;
  }

  /** Visible rows of the module among `ids` (prefixed), in the given trash state. */
  private async rowsByIds(
    module: ModuleDef,
    ids: string[],
    trashed: "exclude" | "only",
  ): Promise<RecordRow[]> {
    const uuids = dedupe(
      ids.map((id) => parsePrefixedId(id, RECORD_PREFIX)).filter((id): id is string => id !== null),
    );
    const rows = await this.store.inModuleByIds(module.id, uuids, trashed === "only");
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
    const byId = new Map(rows.map((r) => [recordRestId(r.id), r]));
    return this.store.setLabels(
      requested.map((id) => {
        const row = byId.get(id)!;
        return {
          id: row.id,
          labelIds: apply(row.labelIds, data.addLabelIds, data.removeLabelIds),
          typeIds: apply(row.typeIds, data.addTypeIds, data.removeTypeIds),
        };
      }),
      this.viewer.user.id,
    );
  }

  async bulkDelete(moduleSlug: string, input: RecordIdsInput): Promise<{ deleted: number; skipped: number }> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const data = parseInput(RecordIdsInput, input);
    const requested = dedupe(data.recordIds);
    const rows = await this.rowsByIds(module, requested, "exclude");
    const deleted = await this.store.setDeleted(
      rows.map((r) => r.id),
      true,
      this.viewer.user.id,
    );
    return { deleted: deleted.length, skipped: requested.length - deleted.length };
  }

  // -------------------------------------------------------------------------------------------
  // Trash

  async trash(moduleSlug: string, page: number, pageSize: number): Promise<RecordPage> {
    this.viewer.require("records:read");
    const module = await this.modules.get(moduleSlug);
    const where = this.query.base(module, "only");
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
    const [restored] = await this.store.setDeleted([row.id], false, this.viewer.user.id);
    if (!restored) throw new NotFoundError(`Record ${recordId} not found in module ${module.slug}'s trash`);
    return restored;
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
    const restored = await this.store.setDeleted(
      rows.map((r) => r.id),
      false,
      this.viewer.user.id,
      { restorableSince: this.restorableSince() },
    );
    return { restored: restored.length, skipped: requested.length - restored.length };
  }

  async purge(moduleSlug: string, recordId: string): Promise<void> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    const row = await this.getIn(module, recordId, "only");
    await this.store.purge(row.id);
  }

  async emptyTrash(moduleSlug: string): Promise<number> {
    this.viewer.require("records:write");
    const module = await this.modules.get(moduleSlug);
    return this.store.purgeWhere(this.query.base(module, "only"));
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
      const users = await this.store.activeUsers(search || undefined, limit);
      return users.map((u) => ({
        id: userRestId(u.id),
        label: u.displayName,
        subtitle: u.email as string | null,
      }));
    }
    const target = await this.modules.get(field.targetModuleSlug ?? "");
    const where = this.query.base(target, "exclude");
    const searchSql = search ? this.query.search(target, search) : null;
    if (searchSql) where.push(searchSql);
    const rows = await this.store.byDisplayName(where, limit);
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
      const rows = await this.store.liveByIds(ids.filter((id) => fromRestId(id, "") !== null));
      const modules = await this.modules.list();
      return ids.map((id) => {
        const row = rows.find((r) => r.id === id);
        const module = row && modules.find((m) => m.id === row.moduleId);
        return row && module && this.visibleTo(row, module) ? row : null;
      });
    }),
    /** Users of the organisation by id: what a user reference shows. */
    user: new DataLoader<string, { id: string; displayName: string } | null>(async (ids) => {
      const users = await this.store.users(ids.filter((id) => fromRestId(id, "") !== null));
      return ids.map((id) => users.find((u) => u.id === id) ?? null);
    }),
  };

  /**
   * Display names of the users who created or last updated `rows`: the names read with the rows
   * when they were, else one statement for the others.
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
    for (const user of await this.store.users(ids)) names.set(user.id, user.displayName);
    return names;
  }
}

/** Removes trashed records older than the retention period, in every organisation. */
export function purgeExpiredRecords(prisma: PrismaClient, now = new Date()): Promise<number> {
  return purgeTrashedBefore(sqlOf(prisma), new Date(now.getTime() - TRASH_RETENTION_DAYS * DAY_MS));
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
