// Generic entities (seed 000). Lists are one raw SQL statement (plus a count) because sorting
// and filtering on `attributes.<key>` need JSONB expressions Prisma cannot order by; every
// value and every attribute key is a bound parameter, column names come from a fixed map.
import type { z } from "zod";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../errors.js";
import { type Entity, Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { isUuid } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput, zodToValidationError } from "../validation.js";
import {
  CreateEntityInput,
  ENTITY_PREFIX,
  EntityListInput,
  type SortKey,
  UpdateEntityInput,
} from "./entities.inputs.js";
import { attributeIssues } from "./entity-types.js";

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

/** The body's problems are 422 on this surface; a query string's are 400 (docs/entities-projects.md). */
export const BODY_INVALID = "The request body contains invalid data";

const COLUMNS: Record<string, Prisma.Sql> = {
  id: Prisma.raw("id"),
  type: Prisma.raw("type"),
  name: Prisma.raw("name"),
  created_at: Prisma.raw("created_at"),
  updated_at: Prisma.raw("updated_at"),
};

type CursorValue = string | number | boolean | null | unknown[] | Record<string, unknown>;

export class EntityService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  /** Accepts the REST id (`ent_<uuid>`) or the bare uuid; anything else is not found. */
  static uuidOf(id: string): string | null {
    const bare = id.startsWith(ENTITY_PREFIX) ? id.slice(ENTITY_PREFIX.length) : id;
    return isUuid(bare) ? bare : null;
  }

  async get(id: string): Promise<Entity> {
    this.viewer.require("entities:read");
    return this.find(id);
  }

  /** For DataLoaders and node(id:): null instead of 404. */
  async findMany(ids: readonly string[]): Promise<Array<Entity | null>> {
    this.viewer.require("entities:read");
    const uuids = ids.map((id) => EntityService.uuidOf(id)).filter((id): id is string => id !== null);
    const rows = await this.prisma.entity.findMany({
      where: { id: { in: uuids }, organizationId: this.viewer.organization.id },
    });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(EntityService.uuidOf(id) ?? "") ?? null);
  }

  async create(input: CreateEntityInput): Promise<Entity> {
    this.viewer.require("entities:write");
    const data = parseBody(CreateEntityInput, input);
    checkAttributes(data.type, data.attributes);
    return this.unique(data.type, data.name, () =>
      this.prisma.entity.create({
        data: {
          organizationId: this.viewer.organization.id,
          type: data.type,
          name: data.name,
          attributes: data.attributes as Prisma.InputJsonObject,
        },
      }),
    );
  }

  async update(id: string, input: UpdateEntityInput): Promise<Entity> {
    this.viewer.require("entities:write");
    const patch = parseBody(UpdateEntityInput, input);
    const entity = await this.find(id);
    const type = patch.type ?? entity.type;
    const name = patch.name ?? entity.name;
    const attributes = { ...(entity.attributes as Record<string, unknown>) };
    for (const [key, value] of Object.entries(patch.attributes ?? {})) {
      if (value === null) delete attributes[key];
      else attributes[key] = value;
    }
    checkAttributes(type, attributes);
    return this.unique(type, name, () =>
      this.prisma.entity.update({
        where: { id: entity.id },
        data: { type, name, attributes: attributes as Prisma.InputJsonObject },
      }),
    );
  }

  async delete(id: string): Promise<Entity> {
    this.viewer.require("entities:write");
    const entity = await this.find(id);
    await this.prisma.entity.delete({ where: { id: entity.id } });
    return entity;
  }

  async list(input: EntityListInput): Promise<EntityPage> {
    this.viewer.require("entities:read");
    const query = parseInput(EntityListInput, input);
    const sort = withTieBreaker(query.sort);
    const conditions: Prisma.Sql[] = [Prisma.sql`organization_id = ${this.viewer.organization.id}::uuid`];
    if (query.type !== undefined) conditions.push(Prisma.sql`type = ${query.type}`);
    if (query.createdAfter !== undefined)
      conditions.push(Prisma.sql`created_at > ${new Date(query.createdAfter).toISOString()}::timestamptz`);
    if (query.createdBefore !== undefined)
      conditions.push(Prisma.sql`created_at < ${new Date(query.createdBefore).toISOString()}::timestamptz`);
    for (const [key, value] of Object.entries(query.attributes)) {
      // ->> compares the attribute's text form: "5" matches 5, "true" matches true.
      conditions.push(Prisma.sql`attributes ->> ${key} = ${value}`);
    }
    const filtered = Prisma.join(conditions, " AND ");

    const pageConditions = [...conditions];
    if (query.cursor !== undefined) pageConditions.push(keysetAfter(sort, decodeCursor(query.cursor, sort)));
    const orderBy = Prisma.join(
      sort.map((key) => Prisma.sql`${sortExpression(key)} ${Prisma.raw(key.descending ? "DESC" : "ASC")}`),
      ", ",
    );
    const offset = query.cursor === undefined ? ((query.page ?? 1) - 1) * query.limit : 0;
    const [rows, counted] = await Promise.all([
      this.prisma.$queryRaw<Entity[]>`
        SELECT id, organization_id AS "organizationId", type, name, attributes,
               created_at AS "createdAt", updated_at AS "updatedAt"
        FROM entities WHERE ${Prisma.join(pageConditions, " AND ")}
        ORDER BY ${orderBy} LIMIT ${query.limit + 1} OFFSET ${offset}`,
      this.prisma.$queryRaw<Array<{ total: number }>>`
        SELECT count(*)::int AS total FROM entities WHERE ${filtered}`,
    ]);
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const cursors = page.map((row) => encodeCursor(sort, row));
    return {
      rows: page,
      cursors,
      total: counted[0]?.total ?? 0,
      limit: query.limit,
      page: query.cursor === undefined ? (query.page ?? 1) : null,
      nextCursor: more ? (cursors.at(-1) ?? null) : null,
    };
  }

  private async find(id: string): Promise<Entity> {
    const uuid = EntityService.uuidOf(id);
    const entity = uuid
      ? await this.prisma.entity.findFirst({
          where: { id: uuid, organizationId: this.viewer.organization.id },
        })
      : null;
    if (!entity) throw new NotFoundError(`Entity ${id} not found`);
    return entity;
  }

  private async unique(type: string, name: string, write: () => Promise<Entity>): Promise<Entity> {
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: string }).code === "P2002")
        throw new ConflictError(`An entity of type "${type}" named "${name}" already exists`, {
          field: "name",
        });
      throw error;
    }
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

/** Attribute sorts compare JSONB values (numbers as numbers); a missing attribute counts as JSON null. */
function sortExpression(key: SortKey): Prisma.Sql {
  if (key.attribute !== null) return Prisma.sql`COALESCE(attributes -> ${key.attribute}, 'null'::jsonb)`;
  const column = COLUMNS[key.field];
  if (!column) throw new Error(`unvalidated sort field ${key.field}`);
  return column;
}

function boundValue(key: SortKey, value: CursorValue): Prisma.Sql {
  if (key.attribute !== null) return Prisma.sql`${JSON.stringify(value)}::jsonb`;
  if (key.field === "id") return Prisma.sql`${value}::uuid`;
  if (key.field === "created_at" || key.field === "updated_at") return Prisma.sql`${value}::timestamptz`;
  return Prisma.sql`${value}`;
}

/** Rows strictly after the cursor in the sort order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... */
function keysetAfter(sort: SortKey[], values: CursorValue[]): Prisma.Sql {
  const alternatives = sort.map((key, index) => {
    const equal = sort
      .slice(0, index)
      .map((prior, i) => Prisma.sql`${sortExpression(prior)} = ${boundValue(prior, values[i] ?? null)}`);
    const beyond = Prisma.sql`${sortExpression(key)} ${Prisma.raw(key.descending ? "<" : ">")} ${boundValue(key, values[index] ?? null)}`;
    return Prisma.sql`(${Prisma.join([...equal, beyond], " AND ")})`;
  });
  return Prisma.sql`(${Prisma.join(alternatives, " OR ")})`;
}

function sortSignature(sort: SortKey[]): string {
  return sort.map((key) => `${key.descending ? "-" : ""}${key.field}`).join(",");
}

function rowValue(key: SortKey, row: Entity): CursorValue {
  if (key.attribute !== null)
    return ((row.attributes as Record<string, CursorValue>)[key.attribute] ?? null) as CursorValue;
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

/** Opaque to callers: base64url of the sort it belongs to and the last row's sort values. */
export function encodeCursor(sort: SortKey[], row: Entity): string {
  return Buffer.from(
    JSON.stringify({ s: sortSignature(sort), v: sort.map((key) => rowValue(key, row)) }),
  ).toString("base64url");
}

function decodeCursor(cursor: string, sort: SortKey[]): CursorValue[] {
  const invalid = () =>
    new ValidationError("cursor: Is not a cursor of this query (its sort differs, or it was altered)", [
      { field: "cursor", message: "Is not a cursor of this query (its sort differs, or it was altered)" },
    ]);
  let parsed: { s?: unknown; v?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !parsed ||
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
