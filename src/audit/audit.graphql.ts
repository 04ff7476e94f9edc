// The audit trail in the graph: Query.auditEvents, newest first, filterable by actor, resource
// and time. Reading it needs org:admin.
import { type ResolveCursorConnectionArgs, resolveCursorConnection } from "@pothos/plugin-relay";
import { decodeCursor, encodeCursor } from "../db/cursor.js";
import { isUuid } from "../db/ids.js";
import { ValidationError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import { ApiKeyRef, UserRef } from "../identity/identity.graphql.js";
import type { AuditEvent, AuditFilter, AuditKey } from "./audit.service.js";

const svc = (ctx: GraphQLContext) => ctx.services.audit;

const AuditEventRef = builder.loadableNode("AuditEvent", {
  description: "One successful write: who made it, what it was, when, and through which request.",
  id: { resolve: (event: AuditEvent) => event.id },
  load: (ids: string[], ctx: GraphQLContext) => svc(ctx).findMany(ids),
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "occurredAt" in value && "transport" in value,
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
    // Both through this request's DataLoaders: a page of events costs one statement per kind.
    user: t.field({
      type: UserRef,
      nullable: true,
      description: "The user the write is attributed to.",
      resolve: (event) => event.userId,
    }),
    apiKey: t.loadable({
      type: ApiKeyRef,
      nullable: true,
      load: (ids: string[], ctx: GraphQLContext) =>
        Promise.all(ids.map((id) => ctx.services.apiKeys.find(id))),
      resolve: (event) => event.apiKeyId,
    }),
  }),
});

/** An event's place in the trail: when it happened, then its id. */
function eventCursor(event: AuditEvent): string {
  return encodeCursor([event.occurredAt.toISOString(), event.id]);
}

function eventKey(cursor: string, field: "after" | "before"): AuditKey {
  const value = decodeCursor(cursor);
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "string" &&
    !Number.isNaN(Date.parse(value[0])) &&
    typeof value[1] === "string" &&
    isUuid(value[1])
  ) {
    return { occurredAt: new Date(value[0]), id: value[1] };
  }
  throw new ValidationError(`Invalid cursor: ${cursor}`, [
    { field, message: "Is not a cursor of this list" },
  ]);
}

type AuditConnectionTotal = { totalCount: () => Promise<number> };

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
  auditEvents: t.connection(
    {
      type: AuditEventRef,
      description: "The organisation's audit trail, newest first (requires org:admin).",
      args: { filter: t.arg({ type: AuditEventFilter }) },
      resolve: async (_root, args, ctx) => {
        const filter = filterOf(args.filter);
        const connection = await resolveCursorConnection(
          { args, toCursor: eventCursor },
          ({ before, after, limit, inverted }: ResolveCursorConnectionArgs): Promise<AuditEvent[]> =>
            svc(ctx).window(filter, {
              ...(after ? { after: eventKey(after, "after") } : {}),
              ...(before ? { before: eventKey(before, "before") } : {}),
              limit,
              inverted,
            }),
        );
        // Counted only when asked for.
        return Object.assign(connection, { totalCount: () => svc(ctx).count(filter) });
      },
    },
    {
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as AuditConnectionTotal).totalCount() }),
      }),
    },
  ),
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

function filterOf(filter: FilterArgs): AuditFilter {
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
