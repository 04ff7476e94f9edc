// GraphQL over HTTP: graphql-yoga with the schema, per-request context, error mapping and the
// query limits (depth, cost, aliases, optional introspection).

import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { PothosValidationError } from "@pothos/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isObjectType,
  Kind,
  parse,
  type SelectionNode,
} from "graphql";
import { createYoga, type GraphQLParams, isAsyncIterable, type Plugin, useErrorHandler } from "graphql-yoga";
import { useMutationAudit } from "../audit/audit.hooks.js";
import type { Config } from "../config.js";
import { databaseUnavailableError, isDatabaseUnavailable } from "../db/unavailable.js";
import { AppError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ALL_SCHEMES, authenticate, challengeOf } from "../identity/authenticate.js";
import { Viewer } from "../identity/viewer.js";
import { costPoints, estimateCost } from "../limits/graphql-cost.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";
import { useObservability } from "../observability/graphql.js";
import { graphqlCode } from "../rest/surfaces.js";
import { createServices, type GraphQLContext } from "./context.js";
import { documentCaches, documentTooLarge, useDocumentSizeLimit } from "./document-limits.js";
import { DEFAULT_QUERY, renderGraphiQLPage } from "./graphiql.js";
import { useInputGuard } from "./input-guard.js";
import { useJit } from "./jit.js";
import { organizationSchema, staticSchema as schema } from "./organization-schema.js";
import { useNoSuggestions } from "./suggestions.js";
import { NIL_UUID } from "./tenant.js";

type ServerContext = { req: FastifyRequest; reply: FastifyReply };
type Resolution =
  | { context: GraphQLContext; schema: GraphQLSchema }
  | { error: unknown; schema: GraphQLSchema };

/**
 * `replacement` at the place of `located`: resolver errors keep the `path` and `locations` graphql
 * gave them when they are mapped to their client-facing form.
 */
function relocated(replacement: GraphQLError, located: GraphQLError | undefined): GraphQLError {
  if (!located || (!located.path && !located.nodes && !located.positions)) return replacement;
  return new GraphQLError(replacement.message, {
    nodes: located.nodes,
    source: located.source,
    positions: located.positions,
    path: located.path,
    extensions: replacement.extensions,
  });
}

/**
 * GraphQL over HTTP: a response with `data` is a 200 whatever errors it carries (the
 * application/graphql-response+json rules: 2xx MUST when data is non-null, SHOULD when it is
 * null; application/json: 200 for every well-formed request). The statuses our errors carry
 * (403 FORBIDDEN, 400 VALIDATION_ERROR…) stay for responses without `data`, which failed before
 * execution (authentication, rate limit, cost). One exception: `data: null` with a 5xx error (the
 * database unreachable) keeps its 503 and `Retry-After`, so clients, proxies and the idempotency
 * store see a failure to retry, not an answer.
 */
function useDataAnswersOk(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      if (!("data" in result) || result.data === undefined || !result.errors?.length) return;
      const errors = result.errors as GraphQLError[];
      const status = (error: GraphQLError) =>
        (error.extensions?.http as { status?: number } | undefined)?.status;
      if (result.data === null && errors.some((error) => (status(error) ?? 0) >= 500)) return;
      if (!errors.some((error) => status(error) !== undefined)) return;
      setResult({
        ...result,
        errors: errors.map((error) => {
          if (status(error) === undefined) return error;
          const { status: _dropped, ...http } = error.extensions.http as Record<string, unknown>;
          return new GraphQLError(error.message, {
            nodes: error.nodes,
            source: error.source,
            positions: error.positions,
            path: error.path,
            originalError: error.originalError ?? undefined,
            extensions: { ...error.extensions, http },
          });
        }),
      });
    },
  };
}

function toGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      code: graphqlCode(error.code),
      ...(error.details ? { details: error.details } : {}),
      ...(error.issues.length > 0 ? { issues: error.issues } : {}),
      http: {
        status: error.status,
        ...(error.status === 401 ? { headers: { "www-authenticate": challengeOf(ALL_SCHEMES) } } : {}),
      },
    },
  });
}

/**
 * A limit refused the request before it ran: 400 for application/graphql-response+json clients,
 * 200 for legacy application/json ones (`spec: true`), as for any validation error.
 */
const REQUEST_ERROR = { status: 400, spec: true };

/** Limits reject a document before it runs; the code tells clients which limit it was. */
function limitRejected(code: string) {
  return {
    propagateOnRejection: true,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        Object.assign(error.extensions as Record<string, unknown>, { code, http: REQUEST_ERROR });
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
                extensions: { code: "QUERY_TOO_COSTLY", cost, maxCost, http: REQUEST_ERROR },
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
    // First: its hooks time every phase and see every outcome (src/observability/graphql.ts).
    useObservability(),
    useDocumentSizeLimit(limits.maxDocumentBytes),
    useInputGuard(),
    maxTokensPlugin({ n: limits.maxTokens, ...limitRejected("TOO_MANY_TOKENS") }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...limitRejected("TOO_MANY_DIRECTIVES") }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...limitRejected("QUERY_TOO_DEEP") }),
    useCostLimit(limits.maxCost),
    // Armor lets `__typename` aliases through uncounted by default; each one is still a field
    // to validate and answer, so they count like any other alias.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...limitRejected("TOO_MANY_ALIASES") }),
    useCostRateLimit(limiter) as Plugin,
    useMutationAudit(prisma) as Plugin,
    useSecretResponses() as Plugin,
    useDataAnswersOk(),
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
  // With introspection off, "Did you mean …" hints would reveal the schema instead (src/graphql/suggestions.ts).
  if (!limits.introspection) plugins.push(useDisableIntrospection(), ...useNoSuggestions());
  // Compiled by graphql-jit where that is safe (src/graphql/jit.ts).
  if (limits.jit) plugins.push(...useJit());

  // Who asks and which schema answers, decided once per operation (organization-schema.ts).
  const resolutions = new WeakMap<object, Resolution>();
  const resolve = async (req: FastifyRequest, params: GraphQLParams): Promise<Resolution> => {
    // GraphiQL fetches the schema before anyone has typed a key: introspection-only
    // operations run without one (when introspection is enabled at all), on the static schema.
    // No resolver of ours runs for them, and the anonymous viewer has no scopes should one ever
    // be reached.
    // Cheap tests first: this runs for every request, before the size limit's refusal and the
    // parse cache, so the document is parsed here only for keyless requests that could be one.
    if (
      limits.introspection &&
      !req.headers.authorization?.startsWith("Bearer gwk_") &&
      isIntrospectionOnly(params.query)
    ) {
      const context = { viewer: ANONYMOUS, requestId: req.id, services: createServices(prisma, ANONYMOUS) };
      return { context, schema };
    }
    try {
      const viewer = await authenticate(prisma, {
        authorization: req.headers.authorization,
        forwardedUser: headerValue(req.headers["x-forwarded-user"]),
      });
      const services = createServices(prisma, viewer);
      // Without records:read the modules are none of the caller's business: the static schema.
      const typed = viewer.can("records:read")
        ? organizationSchema(viewer.organization.id, await services.records.modules.snapshot())
        : schema;
      return { context: { viewer, requestId: req.id, services }, schema: typed };
    } catch (error) {
      return { error, schema };
    }
  };
  plugins.push({
    async onParams({ params, context }) {
      const req = (context as Partial<ServerContext>).req;
      // A document the size limit refused is never resolved (nor parsed) here.
      if (req && !documentTooLarge(params.query, limits.maxDocumentBytes)) {
        resolutions.set(params, await resolve(req, params));
      }
    },
    onEnveloped({ context, setSchema }) {
      const params = (context as { params?: GraphQLParams } | undefined)?.params;
      const resolution = params && resolutions.get(params);
      if (resolution) setSchema(resolution.schema);
    },
  });

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
        if (original instanceof AppError) return relocated(toGraphQLError(original), located);
        // Pothos refuses an argument it decodes (a global id that is not one: `node(id: "x")`).
        if (original instanceof PothosValidationError) {
          const extensions = { code: "VALIDATION_ERROR", http: { status: 400 } };
          return relocated(new GraphQLError(original.message, { extensions }), located);
        }
        // A GraphQLError raised in a resolver or while coercing a variable is safe to show; the
        // located one has its message, path, locations and (from the executor) its 400.
        if (original instanceof GraphQLError) return located ?? original;
        if (isDatabaseUnavailable(original)) {
          const { message, retryAfterSeconds } = databaseUnavailableError();
          const headers = { "retry-after": String(retryAfterSeconds) };
          const extensions = { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers } };
          return relocated(new GraphQLError(message, { extensions }), located);
        }
        // Errors GraphQL itself raised (validation, limits, bad variables) are safe to show.
        if (located && !original) return located;
        const extensions = { code: "INTERNAL_SERVER_ERROR" };
        return relocated(new GraphQLError(message, { extensions }), located);
      },
    },
    context: async ({ req, params }) => {
      const resolution = resolutions.get(params) ?? (await resolve(req, params));
      if ("context" in resolution) return resolution.context;
      if (resolution.error instanceof AppError) throw toGraphQLError(resolution.error);
      throw resolution.error;
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
  if (!query?.includes("__")) return false;
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
