// The audit trail: who (key, attributed user, X-Forwarded-User), what (action, resource), when and
// through which request. Written by the transports after every successful write, so no surface
// can forget it; read through GraphQL.
import type { AuditEvent, Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";

export type AuditEntry = {
  transport: "rest" | "graphql";
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  status: number;
  requestId: string;
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

export async function recordAudit(prisma: PrismaClient, viewer: Viewer, entry: AuditEntry): Promise<void> {
  await prisma.auditEvent.create({
    data: {
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
    },
  });
}

export class AuditService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  /** The where clause of a listing, always inside the viewer's organisation. */
  where(filter: AuditFilter): Prisma.AuditEventWhereInput {
    this.viewer.require("org:admin");
    return {
      organizationId: this.viewer.organization.id,
      ...(filter.userId ? { userId: filter.userId } : {}),
      ...(filter.apiKeyId ? { apiKeyId: filter.apiKeyId } : {}),
      ...(filter.resourceType ? { resourceType: filter.resourceType } : {}),
      ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.from || filter.to
        ? {
            occurredAt: {
              ...(filter.from ? { gte: filter.from } : {}),
              ...(filter.to ? { lt: filter.to } : {}),
            },
          }
        : {}),
    };
  }

  async list(filter: AuditFilter, take = 50): Promise<AuditEvent[]> {
    return this.prisma.auditEvent.findMany({
      where: this.where(filter),
      orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
      take,
    });
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
