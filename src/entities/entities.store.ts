// All of the entities' SQL (seed 000). One column list, rows parsed into `Entity` by one function.
// Lists filter and sort on `attributes.<key>` with JSONB expressions; every value and every
// attribute key is a bound parameter, column names come from a fixed map.

import { empty, join, type Prisma, raw, type SqlPool, sql, sqlOf } from "../db/sql.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { SortKey } from "./entities.inputs.js";

type Sql = Prisma.Sql;

export type Entity = {
  id: string;
  organizationId: string;
  type: string;
  name: string;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
};

type EntityRow = {
  id: string;
  organization_id: string;
  type: string;
  name: string;
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
};

const ENTITY_COLUMNS = raw("id, organization_id, type, name, attributes, created_at, updated_at");

function parseEntity(row: EntityRow): Entity {
  return {
    id: row.id,
    organizationId: row.organization_id,
    type: row.type,
    name: row.name,
    attributes: row.attributes ?? {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A sort value as a cursor carries it (JSON): strings for core fields, any JSON for attributes. */
export type CursorValue = string | number | boolean | null | unknown[] | Record<string, unknown>;

export type EntityListQuery = {
  organizationId: string;
  type?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** attributes.<key> = value, compared with the attribute's text form. */
  attributes: Record<string, string>;
  /** The sort, ending with a unique key (id). */
  sort: SortKey[];
  /** The sort values of the row to continue after (cursor mode). */
  after?: CursorValue[] | undefined;
  /** The sort values of the row the page must end before (GraphQL's `before`). */
  before?: CursorValue[] | undefined;
  /**
   * Read the sort backwards: the rows nearest the end (or nearest `before`) come first, so a
   * LIMIT keeps the last ones (GraphQL's `last`). Rows come back in that reversed order.
   */
  backward?: boolean | undefined;
  limit: number;
  offset: number;
};

const COLUMNS: Record<string, Sql> = {
  id: raw("id"),
  type: raw("type"),
  name: raw("name"),
  created_at: raw("created_at"),
  updated_at: raw("updated_at"),
};

export class EntityStore {
  constructor(private readonly db: SqlPool) {}

  static of(prisma: PrismaClient): EntityStore {
    return new EntityStore(sqlOf(prisma));
  }

  async byId(organizationId: string, id: string): Promise<Entity | undefined> {
    const row = await this.db.maybeOne<EntityRow>(
      sql`SELECT ${ENTITY_COLUMNS} FROM entities WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "entities.byId" },
    );
    return row && parseEntity(row);
  }

  async byIds(organizationId: string, ids: readonly string[]): Promise<Entity[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<EntityRow>(
      sql`SELECT ${ENTITY_COLUMNS} FROM entities
          WHERE id = ANY(${[...ids]}::uuid[]) AND organization_id = ${organizationId}::uuid`,
      { name: "entities.byIds" },
    );
    return rows.map(parseEntity);
  }

  async insert(data: {
    organizationId: string;
    type: string;
    name: string;
    attributes: Record<string, unknown>;
  }): Promise<Entity> {
    const row = await this.db.maybeOne<EntityRow>(
      sql`INSERT INTO entities (id, organization_id, type, name, attributes, created_at, updated_at)
          VALUES (gen_random_uuid(), ${data.organizationId}::uuid, ${data.type}, ${data.name},
                  ${JSON.stringify(data.attributes)}::jsonb, now(), now())
          RETURNING ${ENTITY_COLUMNS}`,
      { name: "entities.insert" },
    );
    return parseEntity(row!);
  }

  /** The entity as changed, or undefined when it is gone. */
  async update(
    organizationId: string,
    id: string,
    data: { type: string; name: string; attributes: Record<string, unknown> },
  ): Promise<Entity | undefined> {
    const row = await this.db.maybeOne<EntityRow>(
      sql`UPDATE entities
          SET type = ${data.type}, name = ${data.name}, attributes = ${JSON.stringify(data.attributes)}::jsonb,
              updated_at = now()
          WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid
          RETURNING ${ENTITY_COLUMNS}`,
      { name: "entities.update" },
    );
    return row && parseEntity(row);
  }

  /** The deleted entity, or undefined when there was none. */
  async delete(organizationId: string, id: string): Promise<Entity | undefined> {
    const row = await this.db.maybeOne<EntityRow>(
      sql`DELETE FROM entities WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid
          RETURNING ${ENTITY_COLUMNS}`,
      { name: "entities.delete" },
    );
    return row && parseEntity(row);
  }

  /**
   * A page and the total of the filtered rows, in one statement (built per request, so unnamed:
   * PostgreSQL plans it with its values). The count is the outer row, so an empty page still
   * carries it; `position` keeps the page's order through the join.
   */
  async page(query: EntityListQuery): Promise<{ rows: Entity[]; total: number }> {
    const conditions: Sql[] = [sql`organization_id = ${query.organizationId}::uuid`];
    if (query.type !== undefined) conditions.push(sql`type = ${query.type}`);
    if (query.createdAfter !== undefined)
      conditions.push(sql`created_at > ${query.createdAfter.toISOString()}::timestamptz`);
    if (query.createdBefore !== undefined)
      conditions.push(sql`created_at < ${query.createdBefore.toISOString()}::timestamptz`);
    for (const [key, value] of Object.entries(query.attributes)) {
      // ->> compares the attribute's text form: "5" matches 5, "true" matches true.
      conditions.push(sql`attributes ->> ${key}::text = ${value}::text`);
    }
    const pageConditions = [
      ...conditions,
      ...(query.after === undefined ? [] : [keyset(query.sort, query.after, "after")]),
      ...(query.before === undefined ? [] : [keyset(query.sort, query.before, "before")]),
    ];
    // Backwards, every key's direction flips, so the row nearest the end comes first.
    const orderBy = join(
      query.sort.map(
        (key) =>
          sql`${sortExpression(key)} ${raw(key.descending !== Boolean(query.backward) ? "DESC" : "ASC")}`,
      ),
      ", ",
    );
    const rows = await this.db.rows<EntityRow & { total: number }>(
      sql`SELECT counted.total, page.* FROM
            (SELECT count(*)::int AS total FROM entities WHERE ${join(conditions, " AND ")}) counted
          LEFT JOIN LATERAL (
            SELECT ${ENTITY_COLUMNS}, row_number() OVER (ORDER BY ${orderBy}) AS position
            FROM entities WHERE ${join(pageConditions, " AND ")}
            ORDER BY ${orderBy} LIMIT ${query.limit} OFFSET ${query.offset}
          ) page ON true
          ORDER BY page.position`,
    );
    return {
      rows: rows.filter((row) => row.id !== null).map(parseEntity),
      total: rows[0]?.total ?? 0,
    };
  }
}

/** Attribute sorts compare JSONB values (numbers as numbers); a missing attribute counts as JSON null. */
function sortExpression(key: SortKey): Sql {
  if (key.attribute !== null) return sql`COALESCE(attributes -> ${key.attribute}::text, 'null'::jsonb)`;
  const column = COLUMNS[key.field];
  if (!column) throw new Error(`unvalidated sort field ${key.field}`);
  return column;
}

function boundValue(key: SortKey, value: CursorValue): Sql {
  if (key.attribute !== null) return sql`${JSON.stringify(value)}::jsonb`;
  if (key.field === "id") return sql`${value}::uuid`;
  if (key.field === "created_at" || key.field === "updated_at") return sql`${value}::timestamptz`;
  return sql`${value}::text`;
}

/**
 * Rows strictly after (before) the cursor in the sort order:
 * (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., with < for descending keys (the other way before).
 */
function keyset(sort: SortKey[], values: CursorValue[], side: "after" | "before"): Sql {
  const alternatives = sort.map((key, index) => {
    const equal = sort
      .slice(0, index)
      .map((prior, i) => sql`${sortExpression(prior)} = ${boundValue(prior, values[i] ?? null)}`);
    const greater = key.descending === (side === "before");
    const beyond = sql`${sortExpression(key)} ${raw(greater ? ">" : "<")} ${boundValue(key, values[index] ?? null)}`;
    return sql`(${join([...equal, beyond], " AND ")})`;
  });
  return alternatives.length > 0 ? sql`(${join(alternatives, " OR ")})` : empty;
}
