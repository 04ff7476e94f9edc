// GET /api/v2/databaseusages (seed 004): how much the organisation stores, per resource type.
// One statement: per table, the organisation's rows and the sum of their stored sizes
// (pg_column_size of the whole row: its data as stored, compressed where PostgreSQL compressed
// it, out-of-line TOAST values included; no indexes, page or tuple-header overhead, which
// PostgreSQL does not attribute to a tenant).
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";

export type ResourceUsage = { resourceType: string; rows: number; bytes: number };

/**
 * Resource type → how to find the organisation's rows of it. Every tenant table is here or in
 * DERIVED_TABLES; test/usage fails when a table with an organization_id is in neither.
 */
export const RESOURCES: ReadonlyArray<{ type: string; from: string; organizationColumn: string }> = [
  { type: "access_tokens", from: "access_tokens t", organizationColumn: "t.organization_id" },
  { type: "api_keys", from: "api_keys t", organizationColumn: "t.organization_id" },
  { type: "audit_events", from: "audit_events t", organizationColumn: "t.organization_id" },
  { type: "catalog_items", from: "catalog_items t", organizationColumn: "t.organization_id" },
  { type: "data_connections", from: "data_connections t", organizationColumn: "t.organization_id" },
  { type: "entities", from: "entities t", organizationColumn: "t.organization_id" },
  // Memberships have no organisation of their own: their group's.
  {
    type: "group_members",
    from: "group_members t JOIN groups g ON g.id = t.group_id",
    organizationColumn: "g.organization_id",
  },
  { type: "groups", from: "groups t", organizationColumn: "t.organization_id" },
  { type: "idempotency_keys", from: "idempotency_keys t", organizationColumn: "t.organization_id" },
  { type: "modules", from: "record_modules t", organizationColumn: "t.organization_id" },
  { type: "project_members", from: "project_members t", organizationColumn: "t.organization_id" },
  { type: "projects", from: "projects t", organizationColumn: "t.organization_id" },
  { type: "records", from: "records t", organizationColumn: "t.organization_id" },
  { type: "refresh_tokens", from: "refresh_tokens t", organizationColumn: "t.organization_id" },
  { type: "semantic_models", from: "semantic_models t", organizationColumn: "t.organization_id" },
  { type: "users", from: "users t", organizationColumn: "t.organization_id" },
];

export const RESOURCE_TYPES = RESOURCES.map((r) => r.type);

/** Tenant tables left out: counters the database derives from other rows, not data anyone stored. */
export const DERIVED_TABLES = ["record_module_stats"];

export class DatabaseUsageService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  /** Every resource type, in name order, with the organisation's rows and bytes (usage:read). */
  async report(): Promise<ResourceUsage[]> {
    this.viewer.require("usage:read");
    const organizationId = this.viewer.organization.id;
    const parts = RESOURCES.map(
      (r) => Prisma.sql`
        SELECT ${r.type}::text AS "resourceType", count(*)::int8 AS rows,
          coalesce(sum(pg_column_size(t.*)), 0)::int8 AS bytes
        FROM ${Prisma.raw(r.from)} WHERE ${Prisma.raw(r.organizationColumn)} = ${organizationId}::uuid`,
    );
    const rows = await this.prisma.$queryRaw<Array<{ resourceType: string; rows: bigint; bytes: bigint }>>`
      ${Prisma.join(parts, " UNION ALL ")}`;
    return rows
      .map((row) => ({ resourceType: row.resourceType, rows: Number(row.rows), bytes: Number(row.bytes) }))
      .sort((a, b) => (a.resourceType < b.resourceType ? -1 : a.resourceType > b.resourceType ? 1 : 0));
  }
}
