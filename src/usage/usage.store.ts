// The usage report's SQL (seed 004): one statement, per tenant table, the organisation's rows and
// the sum of their stored sizes. Table names come from the fixed RESOURCES list, never from input.
import { join, raw, type SqlPool, sql, sqlOf } from "../db/sql.js";
import type { PrismaClient } from "../generated/prisma/client.js";

export type ResourceUsage = { resourceType: string; rows: number; bytes: number };

/** A resource type and how to find the organisation's rows of it. */
export type ResourceSource = { type: string; from: string; organizationColumn: string };

type UsageRow = { resource_type: string; rows: string; bytes: string };

function parseUsage(row: UsageRow): ResourceUsage {
  // int8 arrives as text: these counts and sizes stay far below 2^53.
  return { resourceType: row.resource_type, rows: Number(row.rows), bytes: Number(row.bytes) };
}

export class UsageStore {
  constructor(private readonly db: SqlPool) {}

  static of(prisma: PrismaClient): UsageStore {
    return new UsageStore(sqlOf(prisma));
  }

  /**
   * One row per source: pg_column_size of the whole row is its data as stored (compressed where
   * PostgreSQL compressed it, out-of-line TOAST values included); no index, page or tuple-header
   * overhead, which PostgreSQL does not attribute to a tenant. The text is fixed, so it is named.
   */
  async report(organizationId: string, sources: readonly ResourceSource[]): Promise<ResourceUsage[]> {
    const parts = sources.map(
      (r) => sql`
        SELECT ${r.type}::text AS resource_type, count(*)::int8 AS rows,
          coalesce(sum(pg_column_size(t.*)), 0)::int8 AS bytes
        FROM ${raw(r.from)} WHERE ${raw(r.organizationColumn)} = ${organizationId}::uuid`,
    );
    const rows = await this.db.rows<UsageRow>(join(parts, " UNION ALL "), { name: "usage.report" });
    return rows.map(parseUsage);
  }
}
