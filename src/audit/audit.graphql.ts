// The audit trail in the graph: Query.auditEvents, newest first, filterable by actor, resource
// and time. Reading it needs org:admin.
import { builder } from "../graphql/builder.js";
import { tenantUnique } from "../graphql/tenant.js";
import { ApiKeyRef, UserRef } from "../identity/identity.graphql.js";

const AuditEventRef = builder.prismaNode("AuditEvent", {
  description: "One successful write: who made it, what it was, when, and through which request.",
  id: { field: "id" },
  nullable: true,
  findUnique: (id, ctx) => tenantUnique(id, ctx),
  fields: (t) => ({
    transport: t.exposeString("transport", { description: "rest or graphql." }),
    action: t.exposeString("action", {
      description: 'e.g. "PATCH /v1/users/:user_id" or "mutation createApiKey".',
    }),
    resourceType: t.exposeString("resourceType", { nullable: true }),
    resourceId: t.exposeString("resourceId", { nullable: true }),
    status: t.exposeInt("status", { description: "HTTP status of the write." }),
    requestId: t.exposeString("requestId", { description: "The X-Request-Id of the request." }),
    forwardedUser: t.exposeString("forwardedUser", {
      nullable: true,
      description: "X-Forwarded-User as sent.",
    }),
    occurredAt: t.expose("occurredAt", { type: "DateTime" }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: "The user the write is attributed to.",
      resolve: (event, _args, ctx) =>
        event.userId
          ? ctx.prisma.user.findFirst({ where: { id: event.userId, organizationId: event.organizationId } })
          : null,
    }),
    apiKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      resolve: (event, _args, ctx) => (event.apiKeyId ? ctx.services.apiKeys.find(event.apiKeyId) : null),
    }),
  }),
});

const AuditEventFilter = builder.inputType("AuditEventFilter", {
  fields: (t) => ({
    user: t.globalID({ for: UserRef, description: "Writes attributed to this user." }),
    apiKey: t.globalID({ for: ApiKeyRef, description: "Writes made with this key." }),
    resourceType: t.string({ description: 'e.g. "users", "modules", "createApiKey".' }),
    resourceId: t.string(),
    action: t.string(),
    from: t.field({ type: "DateTime", description: "At or after this instant." }),
    to: t.field({ type: "DateTime", description: "Before this instant." }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.prismaConnection({
    type: AuditEventRef,
    cursor: "id",
    description: "The organisation's audit trail, newest first (requires org:admin).",
    args: { filter: t.arg({ type: AuditEventFilter }) },
    totalCount: (_parent, args, ctx) =>
      ctx.prisma.auditEvent.count({ where: ctx.services.audit.where(filterOf(args.filter)) }),
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.auditEvent.findMany({
        ...query,
        where: ctx.services.audit.where(filterOf(args.filter)),
        orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
      }),
  }),
}));

type FilterArgs =
  | {
      user?: { id: string } | null;
      apiKey?: { id: string } | null;
      resourceType?: string | null;
      resourceId?: string | null;
      action?: string | null;
      from?: Date | null;
      to?: Date | null;
    }
  | null
  | undefined;

function filterOf(filter: FilterArgs) {
  return {
    userId: filter?.user?.id ?? null,
    apiKeyId: filter?.apiKey?.id ?? null,
    resourceType: filter?.resourceType ?? null,
    resourceId: filter?.resourceId ?? null,
    action: filter?.action ?? null,
    from: filter?.from ?? null,
    to: filter?.to ?? null,
  };
}
