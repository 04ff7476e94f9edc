// The audit trail: who (key, attributed user, X-Forwarded-User), what (action, resource), when and
// through which request. Written by the transports after every successful write, so no surface
// can forget it; read through GraphQL.
import { isUuid } from "../db/ids.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { type AuditEvent, type AuditFilter, AuditStore, type AuditWindow } from "./audit.store.js";

export type { AuditEvent, AuditFilter, AuditKey, AuditWindow } from "./audit.store.js";

export type AuditEntry = {
  transport: "rest" | "graphql";
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  status: number;
  requestId: string;
};

/** One row for one successful write: one named statement. */
export async function recordAudit(prisma: PrismaClient, viewer: Viewer, entry: AuditEntry): Promise<void> {
  await AuditStore.of(prisma).insert({
    organizationId: viewer.organization.id,
    apiKeyId: viewer.apiKeyId,
    userId: viewer.user.id,
    forwardedUser: viewer.forwardedUser,
    transport: entry.transport,
    action: entry.action.slice(0, 300),
    resourceType: entry.resourceType?.slice(0, 100) ?? null,
    resourceId: entry.resourceId?.slice(0, 300) ?? null,
    status: entry.status,
    requestId: entry.requestId,
  });
}

/** Reading the trail (org:admin), always inside the viewer's organisation. */
export class AuditService {
  private readonly store: AuditStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = AuditStore.of(prisma);
  }

  /** One keyset window of the trail, newest first (oldest first when inverted). */
  async window(filter: AuditFilter, window: AuditWindow): Promise<AuditEvent[]> {
    this.viewer.require("org:admin");
    return this.store.window(this.viewer.organization.id, filter, window);
  }

  async count(filter: AuditFilter): Promise<number> {
    this.viewer.require("org:admin");
    return this.store.count(this.viewer.organization.id, filter);
  }

  async list(filter: AuditFilter, take = 50): Promise<AuditEvent[]> {
    return this.window(filter, { limit: take, inverted: false });
  }

  /** For DataLoaders and node(id:): null for ids that are not this organisation's events. */
  async findMany(ids: readonly string[]): Promise<Array<AuditEvent | null>> {
    this.viewer.require("org:admin");
    const rows = await this.store.byIds(this.viewer.organization.id, ids.filter(isUuid));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }
}

/** The first path segment after the version: "users", "modules", "catalog", "scim"... */
export function resourceTypeOf(routeUrl: string): string | null {
  const segments = routeUrl.split("/").filter(Boolean);
  const start = segments[0] === "api" ? 2 : 1;
  const type = segments[start];
  if (type === "scim") return segments[start + 2]?.toLowerCase() ?? "scim";
  return type && !type.startsWith(":") ? type : null;
}

/** A response body's resource id, where the seeds put one. */
export function resourceIdOf(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const o = body as Record<string, unknown>;
  for (const candidate of [
    o.id,
    (o.record as Record<string, unknown> | undefined)?.id,
    (o.data as Record<string, unknown> | undefined)?.id,
  ]) {
    if (typeof candidate === "string" || typeof candidate === "number") return String(candidate);
  }
  return null;
}
