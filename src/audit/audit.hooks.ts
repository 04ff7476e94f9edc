// Audit recording at the transports: every successful REST write (POST/PUT/PATCH/DELETE) and
// every successful GraphQL mutation field becomes one audit event. A failure to record is logged
// and never fails the caller's request, which has already succeeded.
import type { FastifyInstance } from "fastify";
import { type DefinitionNode, Kind, type OperationDefinitionNode, type SelectionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { GraphQLContext } from "../graphql/context.js";
import { recordAudit, resourceIdOf, resourceTypeOf } from "./audit.service.js";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the idempotency layer on a replay: not a new write. */
    replayed?: boolean;
    auditResourceId?: string | null;
  }
}

export function installRestAudit(app: FastifyInstance, prisma: PrismaClient): void {
  app.addHook("onSend", async (request, reply, payload) => {
    if (!WRITES.has(request.method) || !request.viewer || reply.statusCode >= 400) return payload;
    if (
      typeof payload === "string" &&
      payload.length < 65_536 &&
      reply.getHeader("content-type")?.toString().includes("json")
    ) {
      try {
        request.auditResourceId = resourceIdOf(JSON.parse(payload));
      } catch {
        // Not JSON after all: no id to take from it.
      }
    }
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    const viewer = request.viewer;
    if (!WRITES.has(request.method) || !viewer || reply.statusCode >= 400 || request.replayed) return;
    const route = request.routeOptions.url ?? request.url;
    const params = (request.params ?? {}) as Record<string, string>;
    try {
      await recordAudit(prisma, viewer, {
        transport: "rest",
        action: `${request.method} ${route}`,
        resourceType: resourceTypeOf(route),
        resourceId:
          params.id ?? params.user_id ?? params.recordId ?? request.auditResourceId ?? params["*"] ?? null,
        status: reply.statusCode,
        requestId: request.id,
      });
    } catch (error) {
      request.log.error({ err: error }, "could not record the audit event");
    }
  });
}

/** A yoga plugin recording each mutation field that succeeded. */
export function useMutationAudit(prisma: PrismaClient): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const operation = args.document.definitions.find(
        (d: DefinitionNode): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION &&
          (!args.operationName || d.name?.value === args.operationName),
      );
      if (operation?.operation !== "mutation") return;
      const context = args.contextValue as GraphQLContext;
      const fields = operation.selectionSet.selections.flatMap((s: SelectionNode) =>
        s.kind === Kind.FIELD ? [{ key: s.alias?.value ?? s.name.value, name: s.name.value }] : [],
      );
      return {
        async onExecuteDone({ result }) {
          if (!("data" in result) || !context.viewer) return;
          const failed = new Set((result.errors ?? []).map((e) => e.path?.[0]));
          for (const field of fields) {
            const value = (result.data as Record<string, unknown> | null | undefined)?.[field.key];
            if (value === null || value === undefined || failed.has(field.key)) continue;
            try {
              await recordAudit(prisma, context.viewer, {
                transport: "graphql",
                action: `mutation ${field.name}`,
                resourceType: field.name,
                resourceId: resourceIdOf(value) ?? firstNestedId(value),
                status: 200,
                requestId: context.requestId,
              });
            } catch {
              // Logged by the error handler of the request; the mutation itself succeeded.
            }
          }
        },
      };
    },
  };
}

function firstNestedId(value: unknown): string | null {
  if (!value || typeof value !== "object") return null;
  for (const nested of Object.values(value as Record<string, unknown>)) {
    const id = resourceIdOf(nested);
    if (id) return id;
  }
  return null;
}
