// GraphQL over HTTP: graphql-yoga with the schema, per-request context, error mapping and the
// query limits (depth, cost, aliases, optional introspection).
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin, useErrorHandler } from "graphql-yoga";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { authenticate } from "../identity/authenticate.js";
import { useMutationAudit } from "../audit/audit.hooks.js";
import { costPoints, estimateCost } from "../limits/graphql-cost.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";
import { graphqlCode } from "../rest/surfaces.js";
import { createServices, type GraphQLContext } from "./context.js";
import { DEFAULT_QUERY, renderGraphiQLPage } from "./graphiql.js";
import { schema } from "./schema.js";

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
            new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost}; ask for fewer fields or smaller pages`, {
              extensions: { code: "QUERY_TOO_COSTLY", cost, maxCost },
            }),
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

export function createGraphQLHandler(prisma: PrismaClient, config: Config, limiter: RateLimiter) {
  const limits = config.graphql;
  const plugins: Plugin[] = [
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...limitRejected("QUERY_TOO_DEEP") }),
    useCostLimit(limits.maxCost),
    maxAliasesPlugin({ n: limits.maxAliases, ...limitRejected("TOO_MANY_ALIASES") }),
    useCostRateLimit(limiter) as Plugin,
    useMutationAudit(prisma) as Plugin,
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
    plugins,
    maskedErrors: {
      maskError(error, message) {
        const located = error instanceof GraphQLError ? error : undefined;
        const original = located ? located.originalError : error;
        if (original instanceof AppError) return toGraphQLError(original);
        if (original instanceof GraphQLError) return original;
        // Errors GraphQL itself raised (validation, limits, bad variables) are safe to show.
        if (located && !original) return located;
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    context: async ({ req }) => {
      try {
        const viewer = await authenticate(prisma, {
          authorization: req.headers.authorization,
          forwardedUser: headerValue(req.headers["x-forwarded-user"]),
        });
        return { viewer, prisma, requestId: req.id, services: createServices(prisma, viewer) };
      } catch (error) {
        if (error instanceof AppError) throw toGraphQLError(error);
        throw error;
      }
    },
  });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
