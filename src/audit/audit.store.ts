// All of the audit trail's SQL. One column list, rows parsed into `AuditEvent` by one function.
// The insert runs after every successful write, so it is one named statement.

import { isUuid } from "../db/ids.js";
import { empty, join, type Prisma, raw, type SqlPool, sql, sqlOf } from "../db/sql.js";
import type { PrismaClient } from "../generated/prisma/client.js";

export type AuditEvent = {
  id: string;
  organizationId: string;
  apiKeyId: string | null;
  userId: string | null;
  forwardedUser: string | null;
  transport: string;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  status: number;
  requestId: string;
  occurredAt: Date;
};

export type AuditFilter = {
  userId?: string | null;
  apiKeyId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
};

/** A position in the trail, which runs newest first: (occurred_at, id) of an event. */
export type AuditKey = { occurredAt: Date; id: string };
/**
 * A keyset window: events after `after` and before `before` in trail order (newest first),
 * at most `limit`; `inverted` takes them from the oldest end (GraphQL's `last`).
 */
export type AuditWindow = { after?: AuditKey; before?: AuditKey; limit: number; inverted: boolean };

type AuditEventRow = {
  id: string;
  organization_id: string;
  api_key_id: string | null;
  user_id: string | null;
  forwarded_user: string | null;
  transport: string;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  status: number;
  request_id: string;
  occurred_at: Date;
};

const AUDIT_EVENT_COLUMNS = raw(
  "id, organization_id, api_key_id, user_id, forwarded_user, transport, action, resource_type, resource_id, status, request_id, occurred_at",
);

function parseAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    organizationId: row.organization_id,
    apiKeyId: row.api_key_id,
    userId: row.user_id,
    forwardedUser: row.forwarded_user,
    transport: row.transport,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    status: row.status,
    requestId: row.request_id,
    occurredAt: row.occurred_at,
  };
}

export class AuditStore {
  constructor(private readonly db: SqlPool) {}

  static of(prisma: PrismaClient): AuditStore {
    return new AuditStore(sqlOf(prisma));
  }

  async insert(event: Omit<AuditEvent, "id" | "occurredAt">): Promise<void> {
    await this.db.execute(
      sql`INSERT INTO audit_events (id, organization_id, api_key_id, user_id, forwarded_user, transport, action,
                                    resource_type, resource_id, status, request_id)
          VALUES (gen_random_uuid(), ${event.organizationId}::uuid, ${event.apiKeyId}::uuid, ${event.userId}::uuid,
                  ${event.forwardedUser}, ${event.transport}, ${event.action}, ${event.resourceType},
                  ${event.resourceId}, ${event.status}::int, ${event.requestId})`,
      { name: "audit.insert" },
    );
  }

  async byIds(organizationId: string, ids: readonly string[]): Promise<AuditEvent[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<AuditEventRow>(
      sql`SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events
          WHERE id = ANY(${[...ids]}::uuid[]) AND organization_id = ${organizationId}::uuid`,
      { name: "audit.byIds" },
    );
    return rows.map(parseAuditEvent);
  }

  /** One window of the organisation's trail, in the order asked (newest first unless inverted). */
  async window(organizationId: string, filter: AuditFilter, window: AuditWindow): Promise<AuditEvent[]> {
    const conditions = filterConditions(organizationId, filter);
    // Trail order is newest first: "after" a position is older, "before" it is newer.
    if (window.after)
      conditions.push(
        sql`(occurred_at, id) < (${window.after.occurredAt}::timestamptz, ${window.after.id}::uuid)`,
      );
    if (window.before)
      conditions.push(
        sql`(occurred_at, id) > (${window.before.occurredAt}::timestamptz, ${window.before.id}::uuid)`,
      );
    const order = window.inverted ? raw("occurred_at ASC, id ASC") : raw("occurred_at DESC, id DESC");
    const rows = await this.db.rows<AuditEventRow>(
      sql`SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE ${join(conditions, " AND ")}
          ORDER BY ${order} LIMIT ${window.limit}`,
    );
    return rows.map(parseAuditEvent);
  }

  async count(organizationId: string, filter: AuditFilter): Promise<number> {
    const row = await this.db.maybeOne<{ total: number }>(
      sql`SELECT count(*)::int AS total FROM audit_events WHERE ${join(filterConditions(organizationId, filter), " AND ")}`,
    );
    return row?.total ?? 0;
  }
}

function filterConditions(organizationId: string, filter: AuditFilter): Prisma.Sql[] {
  return [
    sql`organization_id = ${organizationId}::uuid`,
    // An id that is no uuid names no user or key: it matches nothing.
    filter.userId ? (isUuid(filter.userId) ? sql`user_id = ${filter.userId}::uuid` : sql`false`) : empty,
    filter.apiKeyId
      ? isUuid(filter.apiKeyId)
        ? sql`api_key_id = ${filter.apiKeyId}::uuid`
        : sql`false`
      : empty,
    filter.resourceType ? sql`resource_type = ${filter.resourceType}` : empty,
    filter.resourceId ? sql`resource_id = ${filter.resourceId}` : empty,
    filter.action ? sql`action = ${filter.action}` : empty,
    filter.from ? sql`occurred_at >= ${filter.from}::timestamptz` : empty,
    filter.to ? sql`occurred_at < ${filter.to}::timestamptz` : empty,
  ].filter((condition) => condition !== empty);
}
