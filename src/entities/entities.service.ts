// Generic entities (seed 000): the rules (scopes, per-type attribute checks, the merge patch,
// cursors) over EntityStore, which holds the SQL.
import type { z } from "zod";
import { decodeCursor as decodePayload, encodeCursor as encodePayload } from "../db/cursor.js";
import { fromRestId, isUuid } from "../db/ids.js";
import { NotFoundError, UnprocessableError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput, zodToValidationError } from "../validation.js";
import {
  CreateEntityInput,
  ENTITY_PREFIX,
  EntityListInput,
  type SortKey,
  UpdateEntityInput,
} from "./entities.inputs.js";
import { type CursorValue, type Entity, EntityStore } from "./entities.store.js";
import { attributeIssues } from "./entity-types.js";

export type { Entity } from "./entities.store.js";

export type EntityPage = {
  rows: Entity[];
  /** The cursor after each row, in row order (GraphQL edges). */
  cursors: string[];
  total: number;
  limit: number;
  /** 1-based page in page mode, null in cursor mode. */
  page: number | null;
  /** The cursor to continue after the last row, null when there is nothing more. */
  nextCursor: string | null;
};

/** A Relay connection's page (GraphQL): rows in sort order with their cursors. */
export type EntityConnectionPage = {
  rows: Entity[];
  cursors: string[];
  total: number;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
};

/** The list's filters and sort with Relay's first/after/last/before instead of page/cursor. */
export type EntityConnectionInput = Omit<EntityListInput, "limit" | "page" | "cursor"> & {
  first?: number | undefined;
  after?: string | undefined;
  last?: number | undefined;
  before?: string | undefined;
};

/** The body's problems are 422 on this surface; a query string's are 400 (docs/entities-projects.md). */
export const BODY_INVALID = "The request body contains invalid data";

export class EntityService {
  private readonly store: EntityStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = EntityStore.of(prisma);
  }

  /** Accepts the REST id (`ent_<uuid>`) or the bare uuid; anything else is not found. */
  static uuidOf(id: string): string | null {
    return fromRestId(id, ENTITY_PREFIX);
  }

  async get(id: string): Promise<Entity> {
    this.viewer.require("entities:read");
    return this.find(id);
  }

  /** For DataLoaders and node(id:): null instead of 404, in the order of `ids`. */
  async findMany(ids: readonly string[]): Promise<Array<Entity | null>> {
    this.viewer.require("entities:read");
    const uuids = ids.map((id) => EntityService.uuidOf(id)).filter((id): id is string => id !== null);
    const rows = await this.store.byIds(this.viewer.organization.id, uuids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(EntityService.uuidOf(id) ?? "") ?? null);
  }

  async create(input: CreateEntityInput): Promise<Entity> {
    this.viewer.require("entities:write");
    const data = parseBody(CreateEntityInput, input);
    checkAttributes(data.type, data.attributes);
    // Entities are identified by id, not by name (seed 000): a second "supplier Acme Chemicals"
    // is another entity. A repeated request is deduplicated by its Idempotency-Key.
    return this.store.insert({
      organizationId: this.viewer.organization.id,
      type: data.type,
      name: data.name,
      attributes: data.attributes,
    });
  }

  async update(id: string, input: UpdateEntityInput): Promise<Entity> {
    this.viewer.require("entities:write");
    const patch = parseBody(UpdateEntityInput, input);
    const entity = await this.find(id);
    const type = patch.type ?? entity.type;
    const name = patch.name ?? entity.name;
    const attributes = { ...entity.attributes };
    for (const [key, value] of Object.entries(patch.attributes ?? {})) {
      if (value === null) delete attributes[key];
      else attributes[key] = value;
    }
    checkAttributes(type, attributes);
    const updated = await this.store.update(this.viewer.organization.id, entity.id, {
      type,
      name,
      attributes,
    });
    if (!updated) throw new NotFoundError(`Entity ${id} not found`);
    return updated;
  }

  /** One statement: the delete returns the row it removed. */
  async delete(id: string): Promise<Entity> {
    this.viewer.require("entities:write");
    const uuid = EntityService.uuidOf(id);
    const entity = uuid ? await this.store.delete(this.viewer.organization.id, uuid) : undefined;
    if (!entity) throw new NotFoundError(`Entity ${id} not found`);
    return entity;
  }

  async list(input: EntityListInput): Promise<EntityPage> {
    this.viewer.require("entities:read");
    const query = parseInput(EntityListInput, input);
    const sort = withTieBreaker(query.sort);
    const offset = query.cursor === undefined ? ((query.page ?? 1) - 1) * query.limit : 0;
    const { rows, total } = await this.store.page({
      organizationId: this.viewer.organization.id,
      type: query.type,
      createdAfter: query.createdAfter === undefined ? undefined : new Date(query.createdAfter),
      createdBefore: query.createdBefore === undefined ? undefined : new Date(query.createdBefore),
      attributes: query.attributes,
      sort,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort, "cursor"),
      limit: query.limit + 1,
      offset,
    });
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const cursors = page.map((row) => encodeCursor(sort, row));
    return {
      rows: page,
      cursors,
      total,
      limit: query.limit,
      page: query.cursor === undefined ? (query.page ?? 1) : null,
      nextCursor: more ? (cursors.at(-1) ?? null) : null,
    };
  }

  /**
   * Relay's algorithm (GraphQL Cursor Connections, "Pagination algorithm"): the rows after
   * `after` and before `before`, then the first `first` of them, then the last `last`. Edges are
   * always in the sort's order. `last` without `first` reads the sort backwards from `before`
   * (or from the end) with a LIMIT, so it costs what a forward page costs.
   */
  async connection(input: EntityConnectionInput): Promise<EntityConnectionPage> {
    this.viewer.require("entities:read");
    const { first, after, last, before, ...filters } = input;
    const query = parseInput(EntityListInput, filters);
    const sort = withTieBreaker(query.sort);
    const backward = last !== undefined && first === undefined;
    const limit = backward ? last : (first ?? query.limit);
    const { rows, total } = await this.store.page({
      organizationId: this.viewer.organization.id,
      type: query.type,
      createdAfter: query.createdAfter === undefined ? undefined : new Date(query.createdAfter),
      createdBefore: query.createdBefore === undefined ? undefined : new Date(query.createdBefore),
      attributes: query.attributes,
      sort,
      after: after === undefined ? undefined : decodeCursor(after, sort, "after"),
      before: before === undefined ? undefined : decodeCursor(before, sort, "before"),
      backward,
      limit: limit + 1,
      offset: 0,
    });
    const more = rows.length > limit;
    let page = rows.slice(0, limit);
    let hasNextPage: boolean;
    let hasPreviousPage: boolean;
    if (backward) {
      page.reverse();
      hasPreviousPage = more;
      // Rows beyond `before` exist: the cursor's own row came from a page (the spec lets a
      // server answer this cheaply); without `before` the page ends the list.
      hasNextPage = before !== undefined;
    } else {
      hasNextPage = more;
      hasPreviousPage = after !== undefined;
      if (last !== undefined && page.length > last) {
        page = page.slice(page.length - last);
        hasPreviousPage = true;
      }
    }
    return {
      rows: page,
      cursors: page.map((row) => encodeCursor(sort, row)),
      total,
      hasNextPage,
      hasPreviousPage,
    };
  }

  private async find(id: string): Promise<Entity> {
    const uuid = EntityService.uuidOf(id);
    const entity = uuid ? await this.store.byId(this.viewer.organization.id, uuid) : undefined;
    if (!entity) throw new NotFoundError(`Entity ${id} not found`);
    return entity;
  }
}

function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new UnprocessableError(BODY_INVALID, zodToValidationError(result.error).issues);
  return result.data;
}

function checkAttributes(type: string, attributes: Record<string, unknown>): void {
  const issues = attributeIssues(type, attributes);
  if (issues.length > 0) throw new UnprocessableError(BODY_INVALID, issues);
}

function withTieBreaker(sort: SortKey[]): SortKey[] {
  return sort.some((key) => key.field === "id")
    ? sort
    : [...sort, { field: "id", attribute: null, descending: false }];
}

function sortSignature(sort: SortKey[]): string {
  return sort.map((key) => `${key.descending ? "-" : ""}${key.field}`).join(",");
}

function rowValue(key: SortKey, row: Entity): CursorValue {
  if (key.attribute !== null) return (row.attributes[key.attribute] ?? null) as CursorValue;
  switch (key.field) {
    case "created_at":
      return row.createdAt.toISOString();
    case "updated_at":
      return row.updatedAt.toISOString();
    case "type":
      return row.type;
    case "name":
      return row.name;
    default:
      return row.id;
  }
}

/** Opaque to callers: the sort it belongs to and the last row's sort values. */
function encodeCursor(sort: SortKey[], row: Entity): string {
  return encodePayload({ s: sortSignature(sort), v: sort.map((key) => rowValue(key, row)) });
}

/** `field` names the argument in the error: REST's `cursor`, GraphQL's `after` or `before`. */
function decodeCursor(cursor: string, sort: SortKey[], field: string): CursorValue[] {
  const invalid = () =>
    new ValidationError(`${field}: Is not a cursor of this query (its sort differs, or it was altered)`, [
      { field, message: "Is not a cursor of this query (its sort differs, or it was altered)" },
    ]);
  const parsed = decodePayload(cursor) as { s?: unknown; v?: unknown } | null | undefined;
  if (
    !parsed ||
    typeof parsed !== "object" ||
    parsed.s !== sortSignature(sort) ||
    !Array.isArray(parsed.v) ||
    parsed.v.length !== sort.length
  )
    throw invalid();
  const values = parsed.v as CursorValue[];
  sort.forEach((key, index) => {
    const value = values[index];
    if (key.attribute !== null) return;
    if (typeof value !== "string") throw invalid();
    if (key.field === "id" && !isUuid(value)) throw invalid();
    if ((key.field === "created_at" || key.field === "updated_at") && Number.isNaN(Date.parse(value)))
      throw invalid();
  });
  return values;
}
