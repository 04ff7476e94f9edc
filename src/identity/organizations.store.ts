// All SQL on `organizations`: one column list, one row parser. `updated_at` has no database
// default (Prisma's @updatedAt filled it in): the insert sets it.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { type Prisma, raw, Sql, sql } from "../db/sql.js";

export type Organization = {
  id: string;
  name: string;
  isDemo: boolean;
  /** Most records (trash included) the organisation may hold; null means the default. */
  recordLimit: number | null;
  createdAt: Date;
  updatedAt: Date;
};

const ORGANIZATION_COLUMNS = raw("o.id, o.name, o.is_demo, o.record_limit, o.created_at, o.updated_at");

type OrganizationRow = {
  id: string;
  name: string;
  is_demo: boolean;
  record_limit: number | null;
  created_at: Date;
  updated_at: Date;
};

function parseOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    isDemo: row.is_demo,
    recordLimit: row.record_limit === null ? null : Number(row.record_limit),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export class OrganizationStore {
  constructor(private readonly db: Sql) {}

  async byId(id: string): Promise<Organization | undefined> {
    const row = await this.db.maybeOne<OrganizationRow>(
      sql`SELECT ${ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = ${id}::uuid`,
      { name: "organizations.byId" },
    );
    return row && parseOrganization(row);
  }

  async insert(input: { name: string; isDemo: boolean }): Promise<Organization> {
    const row = await this.db.maybeOne<OrganizationRow>(
      sql`INSERT INTO organizations AS o (id, name, is_demo, updated_at)
        VALUES (${randomUUID()}::uuid, ${input.name}, ${input.isDemo}, now())
        RETURNING ${ORGANIZATION_COLUMNS}`,
      { name: "organizations.insert" },
    );
    return parseOrganization(row!);
  }
}

/**
 * The stores' executor over a Prisma interactive transaction, for a caller that already holds one
 * (the demo seed, under its advisory lock): the same statements, sent through the transaction's
 * own connection, since a pool statement beside it would wait for that connection on the
 * embedded database. Prisma hands back rows typed as pg does (Date, arrays, parsed JSON; int8 as
 * bigint, which the row parsers convert).
 */
export function sqlInPrismaTransaction(tx: Prisma.TransactionClient): Sql {
  return new Sql({
    async query(config: pg.QueryConfig): Promise<pg.QueryResult> {
      const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(config.text, ...(config.values ?? []));
      return { rows, rowCount: rows.length, command: "", oid: 0, fields: [] };
    },
  });
}
