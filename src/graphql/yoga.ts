// GraphQL over HTTP: graphql-yoga with the schema, per-request context, error mapping and the
// query limits (depth, cost, aliases, optional introspection).

import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  type DocumentNode,
  GraphQLError,
  getNamedType,
  isObjectType,
  Kind,
  parse,
  type SelectionNode,
} from "graphql";
import { createYoga, type Plugin, useErrorHandler } from "graphql-yoga";
import { useMutationAudit } from "../audit/audit.hooks.js";
import type { Config } from "../config.js";
import { databaseUnavailableError, isDatabaseUnavailable } from "../db/unavailable.js";
import { AppError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { authenticate } from "../identity/authenticate.js";
import { Viewer } from "../identity/viewer.js";
import { costPoints, estimateCost } from "../limits/graphql-cost.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";
import { graphqlCode } from "../rest/surfaces.js";
import { createServices, type GraphQLContext } from "./context.js";
import { documentCaches, useDocumentSizeLimit } from "./document-limits.js";
import { DEFAULT_QUERY, renderGraphiQLPage } from "./graphiql.js";
import { useInputGuard } from "./input-guard.js";
import { useJit } from "./jit.js";
import { schema } from "./schema.js";
import { NIL_UUID } from "./tenant.js";

type ServerContext = { req: FastifyRequest; reply: FastifyReply };

function toGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      code: graphqlCode(error.code),
      ...(error.details ? { details: error.details } : {}),
      ...(error.issues.length > 0 ? { issues: error.issues } : {}),
      http: { status: error.status },
    },
  });
}

/** Limits reject a document before it runs; the code tells clients which limit it was. */
function limitRejected(code: string) {
  return {
    propagateOnRejection: true,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        (error.extensions as Record<string, unknown>).code = code;
      },
    ],
  };
}

/**
 * Rejects, before execution, an operation whose estimated cost (src/limits/graphql-cost.ts: one
 * unit per field resolution, list fields multiplied by their page size) exceeds the limit. The
 * same estimate is what the rate limiter charges.
 */
function useCostLimit(maxCost: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = estimateCost(args.document, args.variableValues ?? {}, args.operationName);
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              `Query cost ${cost} exceeds the limit of ${maxCost}; ask for fewer fields or smaller pages`,
              {
                extensions: { code: "QUERY_TOO_COSTLY", cost, maxCost },
              },
            ),
          ],
        });
      }
    },
  };
}

/** Charges each operation's estimated cost to its key; over budget → 429 RATE_LIMITED. */
function useCostRateLimit(limiter: RateLimiter): Plugin<GraphQLContext & ServerContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue;
      const points = costPoints(estimateCost(args.document, args.variableValues ?? {}, args.operationName));
      const verdict = await limiter.consume(context.viewer, points);
      const headers = rateLimitHeaders(verdict);
      context.reply.headers(headers);
      if (!verdict.allowed) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`Too many requests; retry after ${verdict.resetSeconds} seconds`, {
              extensions: {
                code: "RATE_LIMITED",
                http: { status: 429, headers: { ...headers, "retry-after": String(verdict.resetSeconds) } },
              },
            }),
          ],
        });
      }
    },
  };
}

/**
 * Responses of mutations whose payload has a `secret` (createApiKey, createRefreshToken) carry
 * `Cache-Control: no-store`: no cache keeps them, and neither does the idempotency store.
 */
function useSecretResponses(): Plugin<GraphQLContext & ServerContext> {
  return {
    onExecute({ args }) {
      const mutation = args.schema.getMutationType();
      const operation = (args.document as DocumentNode).definitions.find(
        (d) =>
          d.kind === Kind.OPERATION_DEFINITION &&
          d.operation === "mutation" &&
          (!args.operationName || d.name?.value === args.operationName),
      );
      if (!mutation || !operation || operation.kind !== Kind.OPERATION_DEFINITION) return;
      const fields = mutation.getFields();
      const revealsSecret = rootFieldNames(operation.selectionSet.selections, args.document).some((name) => {
        const type = fields[name] && getNamedType(fields[name].type);
        return isObjectType(type) && "secret" in type.getFields();
      });
      if (revealsSecret) args.contextValue.reply.header("cache-control", "no-store");
    },
  };
}

/** Field names at the root of a selection, through inline fragments and fragment spreads. */
function rootFieldNames(selections: readonly SelectionNode[], document: DocumentNode): string[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return rootFieldNames(selection.selectionSet.selections, document);
    }
    const fragment = document.definitions.find(
      (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
    );
    return fragment && fragment.kind === Kind.FRAGMENT_DEFINITION
      ? rootFieldNames(fragment.selectionSet.selections, document)
      : [];
  });
}

export function createGraphQLHandler(prisma: PrismaClient, config: Config, limiter: RateLimiter) {
  const limits = config.graphql;
  const plugins: Plugin[] = [
    useDocumentSizeLimit(limits.maxDocumentBytes),
    useInputGuard(),
    maxTokensPlugin({ n: limits.maxTokens, ...limitRejected("TOO_MANY_TOKENS") }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...limitRejected("QUERY_TOO_DEEP") }),
    useCostLimit(limits.maxCost),
    // Armor lets `__typename` aliases through uncounted by default; each one is still a field
    // to validate and answer, so they count like any other alias.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...limitRejected("TOO_MANY_ALIASES") }),
    useCostRateLimit(limiter) as Plugin,
    useMutationAudit(prisma) as Plugin,
    useSecretResponses() as Plugin,
    useErrorHandler(({ errors, context }) => {
      for (const error of errors) {
        const original = (error as GraphQLError).originalError;
        if (original && !(original instanceof AppError) && !(original instanceof GraphQLError)) {
          const requestId = (context as Partial<GraphQLContext>).requestId;
          (context as Partial<ServerContext>).req?.log.error(
            { err: original, requestId },
            "unhandled GraphQL error",
          );
        }
      }
    }),
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  // Compiled by graphql-jit where that is safe (src/graphql/jit.ts).
  if (limits.jit) plugins.push(useJit(schema));

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    logging: false,
    graphiql: limits.introspection
      ? {
          title: "Gateway GraphiQL",
          defaultQuery: DEFAULT_QUERY,
          headers: JSON.stringify({ Authorization: "Bearer <your API key>" }, null, 2),
          shouldPersistHeaders: true,
        }
      : false,
    renderGraphiQL: renderGraphiQLPage,
    parserAndValidationCache: documentCaches(limits.documentCache),
    plugins,
    maskedErrors: {
      maskError(error, message) {
        const located = error instanceof GraphQLError ? error : undefined;
        const original = located ? located.originalError : error;
        if (original instanceof AppError) return toGraphQLError(original);
        if (original instanceof GraphQLError) return original;
        if (isDatabaseUnavailable(original)) {
          const { message, retryAfterSeconds } = databaseUnavailableError();
          const headers = { "retry-after": String(retryAfterSeconds) };
          return new GraphQLError(message, {
            extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers } },
          });
        }
        // Errors GraphQL itself raised (validation, limits, bad variables) are safe to show.
        if (located && !original) return located;
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    context: async ({ req, params }) => {
      // GraphiQL fetches the schema before anyone has typed a key: introspection-only
      // operations run without one (when introspection is enabled at all). No resolver of ours
      // runs for them, and the anonymous viewer has no scopes should one ever be reached.
      if (
        limits.introspection &&
        isIntrospectionOnly(params.query) &&
        !req.headers.authorization?.startsWith("Bearer gwk_")
      ) {
        return { viewer: ANONYMOUS, requestId: req.id, services: createServices(prisma, ANONYMOUS) };
      }
      try {
        const viewer = await authenticate(prisma, {
          authorization: req.headers.authorization,
          forwardedUser: headerValue(req.headers["x-forwarded-user"]),
        });
        return { viewer, requestId: req.id, services: createServices(prisma, viewer) };
      } catch (error) {
        if (error instanceof AppError) throw toGraphQLError(error);
        throw error;
      }
    },
  });
}

const ANONYMOUS = new Viewer(
  { id: NIL_UUID, name: "" },
  { id: NIL_UUID, displayName: "", email: "", role: "member" },
  [],
  null,
);

/** True when every operation of the document selects only __schema, __type or __typename. */
export function isIntrospectionOnly(query: string | undefined): boolean {
  if (!query) return false;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false;
  }
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [],
    ),
  );
  const onlyMeta = (selections: readonly SelectionNode[], seen: Set<string>): boolean =>
    selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith("__");
      if (s.kind === Kind.INLINE_FRAGMENT) return onlyMeta(s.selectionSet.selections, seen);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return false;
      return onlyMeta(fragment.selectionSet.selections, new Set([...seen, s.name.value]));
    });
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return (
    operations.length > 0 &&
    operations.every(
      (o) =>
        o.kind === Kind.OPERATION_DEFINITION &&
        o.operation === "query" &&
        onlyMeta(o.selectionSet.selections, new Set()),
    )
  );
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
