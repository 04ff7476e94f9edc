// GET /api/v2/databaseusages (seed 004): how much the organisation stores, per resource type,
// in one statement (usage.store.ts).
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { type ResourceSource, type ResourceUsage, UsageStore } from "./usage.store.js";

export type { ResourceUsage } from "./usage.store.js";

/**
 * Resource type → how to find the organisation's rows of it. Every tenant table is here or in
 * DERIVED_TABLES; test/usage fails when a table with an organization_id is in neither.
 */
export const RESOURCES: ReadonlyArray<ResourceSource> = [
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
export const DERIVED_TABLES = ["record_module_stats", "module_schema_versions"];

export class DatabaseUsageService {
  private readonly store: UsageStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = UsageStore.of(prisma);
  }

  /** Every resource type, in name order, with the organisation's rows and bytes (usage:read). */
  async report(): Promise<ResourceUsage[]> {
    this.viewer.require("usage:read");
    const rows = await this.store.report(this.viewer.organization.id, RESOURCES);
    return rows.sort((a, b) =>
      a.resourceType < b.resourceType ? -1 : a.resourceType > b.resourceType ? 1 : 0,
    );
  }
}
