// Exact list totals without recounting data that has not changed. Counting the records that
// match a filter visits every candidate row's heap tuple (PostgreSQL has no index-only scan over
// expression indexes on JSONB), which costs tens of milliseconds at 100 000 records. The
// `record_module_stats.data_version` of a module grows, by trigger, with every statement that
// writes its records (migration record_module_stats), so a total counted at one version is
// still exact while the version is unchanged: the statement sends the version it last counted
// at, and PostgreSQL counts again only when the module's version differs.
import { createHash } from "node:crypto";
import { Prisma } from "../generated/prisma/client.js";

export type KnownTotal = { version: string; total: number };

/** Columns the total adds to a page row; stripped before the row leaves the service. */
export type TotalColumns = { _total: number; _version: string | null; _cacheable: boolean };

/** Totals by statement, least recently used first. Per process: every instance checks versions. */
export class TotalCache {
  private readonly entries = new Map<string, KnownTotal>();

  constructor(private readonly capacity = 5000) {}

  get(key: string): KnownTotal | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: KnownTotal): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

export const recordTotals = new TotalCache();

/**
 * The cache key of a count: its module and the complete predicate, text and bound values (the
 * viewer's id and role are in the privacy part of it, so viewers never share a wrong total).
 */
export function totalKey(moduleId: string, where: Prisma.Sql): string {
  return createHash("sha256")
    .update(`${moduleId}\0${where.text}\0${JSON.stringify(where.values)}`)
    .digest("base64url");
}

/**
 * One row `(_version, _total, _cacheable)`: the module's data version and the number of records
 * matching `where`. With a known total, the count sits in the ELSE branch of a CASE; PostgreSQL
 * plans it as an InitPlan and runs it only if that branch is taken (EXPLAIN ANALYZE shows it
 * "never executed" on a hit). `_cacheable` is false inside a transaction that has written
 * something: its uncommitted version must not be remembered.
 */
export function totalSql(moduleId: string, where: Prisma.Sql, known: KnownTotal | undefined): Prisma.Sql {
  const count = Prisma.sql`(SELECT count(*)::int FROM records r WHERE ${where})`;
  const total = known
    ? Prisma.sql`CASE WHEN s.data_version = ${known.version}::bigint THEN ${known.total}::int ELSE ${count} END`
    : count;
  return Prisma.sql`SELECT s.data_version::text AS "_version", ${total} AS "_total",
      txid_current_if_assigned() IS NULL AS "_cacheable"
    FROM (VALUES (1)) AS one (x) LEFT JOIN record_module_stats s ON s.module_id = ${moduleId}::uuid`;
}

/** Remembers a total read with totalSql(), when it may be. */
export function rememberTotal(key: string, row: TotalColumns | undefined): void {
  if (row?._version != null && row._cacheable) {
    recordTotals.set(key, { version: row._version, total: row._total });
  }
}
