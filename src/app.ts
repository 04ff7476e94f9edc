// Builds the application (GraphQL + every REST surface) from its dependencies. Never listens:
// src/server.ts does, and tests use app.inject().
import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { installRestAudit } from "./audit/audit.hooks.js";
import { registerCatalogRoutes } from "./catalog/catalog.rest.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { registerEntityRoutes } from "./entities/entities.rest.js";
import { MalformedBodyError } from "./errors.js";
import { registerExecRoutes } from "./exec/exec.rest.js";
import { installExecEnvironment } from "./exec/exec-environment.js";
import { GRAPHIQL_ASSET_PREFIX, graphiqlAssets } from "./graphql/graphiql.js";
import { registerSchemaDocument } from "./graphql/schema-document.js";
import { createGraphQLHandler } from "./graphql/yoga.js";
import { registerUserRoutes } from "./identity/users.rest.js";
import { registerV2UserRoutes } from "./identity/users.v2.rest.js";
import { RateLimiter } from "./limits/rate-limiter.js";
import { installObservability } from "./observability/fastify.js";
import { registerProjectRoutes } from "./projects/projects.rest.js";
import { registerRecordRoutes } from "./records/records.rest.js";
import { installAuthentication } from "./rest/auth.js";
import { CaseInsensitivePaths } from "./rest/case-insensitive-paths.js";
import { installErrorHandling, sendError } from "./rest/error-handling.js";
import { idempotencyOptions, installIdempotency, purgeExpiredIdempotencyKeys } from "./rest/idempotency.js";
import { installInputGuard } from "./rest/input-guard.js";
import { registerOpenApi } from "./rest/openapi.js";
import { registerScimRoutes } from "./scim/scim.rest.js";
import { registerSemanticRoutes } from "./semantic/semantic.rest.js";
import { registerTokenRoutes } from "./tokens/tokens.rest.js";
import { registerUsageRoutes } from "./usage/usage.rest.js";

export type AppDependencies = {
  config: Config;
  db: Database;
  logger?: FastifyServerOptions["logger"];
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The health and readiness probes, whose requests are logged at debug only. */
function isProbe(url: string | undefined): boolean {
  const path = (url ?? "").split("?")[0];
  return path === "/healthz" || path === "/readyz";
}

/**
 * CSP `upgrade-insecure-requests` only where the page was reached over https: the request came
 * over TLS (Fastify's `request.protocol`, which honours `X-Forwarded-Proto` only when the app
 * trusts proxies, and this one trusts none, so a forged header changes nothing), or PUBLIC_URL,
 * the address clients are told to use, is https (a TLS-terminating proxy in front).
 */
function installUpgradeInsecureRequests(app: FastifyInstance, publicUrl: string | undefined): void {
  const alwaysHttps = publicUrl?.startsWith("https://") ?? false;
  app.addHook("onRequest", async (request, reply) => {
    if (!alwaysHttps && request.protocol !== "https") return;
    const csp = reply.raw.getHeader("content-security-policy");
    if (typeof csp === "string")
      reply.raw.setHeader("content-security-policy", `${csp};upgrade-insecure-requests`);
  });
}

export async function buildApp({ config, db, logger }: AppDependencies): Promise<FastifyInstance> {
  // Seed 004: the public API's URLs are case-insensitive (src/rest/case-insensitive-paths.ts).
  const publicApiPaths = new CaseInsensitivePaths(["/api/v2", "/api/v1/tokens", "/api-swagger"]);
  const app = Fastify({
    rewriteUrl: (req) => publicApiPaths.rewrite(req.url ?? "/"),
    logger: logger ?? { level: config.logLevel },
    // Probes arrive every few seconds: Fastify's own info lines are off for them, and their
    // routes log at debug instead (below).
    logController: new LogController({ disableRequestLogging: (req: { url?: string }) => isProbe(req.url) }),
    bodyLimit: config.bodyLimitBytes,
    // A caller's own request id is kept when it is safe to echo; otherwise we mint one.
    genReqId: (req) => {
      const given = [req.headers["x-request-id"]].flat()[0];
      return given && REQUEST_ID.test(given) ? given : `req_${randomUUID().replace(/-/g, "")}`;
    },
    forceCloseConnections: "idle",
    // Errors Fastify raises before routing (a malformed URL, say) get the surface's shape too.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      sendError(
        request,
        reply,
        new MalformedBodyError(`The request is malformed: ${error.message}`, [
          { field: "(url)", message: error.message },
        ]),
      );
    },
    return503OnClosing: true,
  });
  publicApiPaths.install(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // SCIM clients send application/scim+json (RFC 7644 §3.1): parsed exactly as JSON is.
  app.addContentTypeParser(
    "application/scim+json",
    { parseAs: "string" },
    app.getDefaultJsonParser("error", "error"),
  );

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  // Metrics of every request, and /metrics when configured (docs/operations.md).
  installObservability(app, config, db);
  // Graceful shutdown: requests in flight finish, and their keep-alive connections close after
  // the response instead of holding the server open until the shutdown timeout.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });
  app.addHook("onResponse", async () => {
    if (closing) app.server.closeIdleConnections?.();
  });

  installErrorHandling(app, config.bodyLimitBytes);
  // NUL, lone surrogates and deep nesting answer 400 before any route sees them.
  installInputGuard(app, { except: ["/graphql"] });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        // GraphiQL and Swagger UI are served from here; Monaco's workers come from /graphiql/.
        "script-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        // Sent only behind https (below): over plain HTTP it sends browsers to https for every
        // asset, and GraphiQL, /docs and /api-swagger render blank.
        "upgrade-insecure-requests": null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  installUpgradeInsecureRequests(app, config.publicUrl);
  // Bearer keys, no cookies: any origin may call, and credentials are never implied.
  await app.register(cors, {
    origin: "*",
    exposedHeaders: [
      "X-Request-Id",
      "ETag",
      "Location",
      "Retry-After",
      "RateLimit-Limit",
      "RateLimit-Remaining",
      "RateLimit-Reset",
      "X-Coginiti-Execution-Started-At",
      "X-Result-Truncated",
    ],
  });
  const rateLimiter = new RateLimiter(config.rateLimit, config.redisUrl);
  installAuthentication(app, db.prisma, rateLimiter);
  installIdempotency(app, db.prisma, idempotencyOptions(config, rateLimiter));
  installRestAudit(app, db.prisma);
  const sweep = setInterval(() => {
    purgeExpiredIdempotencyKeys(db.prisma).catch((err) => app.log.warn({ err }, "idempotency sweep failed"));
  }, 3_600_000);
  sweep.unref();
  app.addHook("onClose", async () => {
    clearInterval(sweep);
    await rateLimiter.close();
  });
  await registerOpenApi(app);

  const probe = {
    config: { public: true },
    schema: { hide: true },
    onResponse: async (request: FastifyRequest, reply: FastifyReply) => {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
    },
  } as const;
  app.get("/healthz", probe, async () => ({ status: "ok" }));
  app.get("/readyz", probe, async (request, reply) => {
    try {
      await db.ping();
      return { status: "ready", database: db.kind };
    } catch (error) {
      request.log.warn({ err: error }, "readiness check failed");
      return reply.code(503).send({ status: "unavailable", database: db.kind });
    }
  });

  const yoga = createGraphQLHandler(db.prisma, config, rateLimiter);
  registerSchemaDocument(app, db.prisma);
  app.route({
    url: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    config: { public: true },
    schema: { hide: true },
    handler: async (req, reply) => {
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => {
        reply.header(key, value);
      });
      reply.status(response.status);
      // Buffered: GraphQL answers here are single JSON documents (no @defer/@stream), and the
      // idempotency and audit layers need the body as text.
      return reply.send(Buffer.from(await response.arrayBuffer()));
    },
  });
  for (const [name, asset] of Object.entries(graphiqlAssets)) {
    app.get(
      `${GRAPHIQL_ASSET_PREFIX}${name}`,
      { config: { public: true }, schema: { hide: true } },
      (_req, reply) =>
        reply
          .type(asset.contentType)
          .header("cache-control", "public, max-age=31536000, immutable")
          .send(asset.body),
    );
  }

  registerUserRoutes(app, db.prisma);
  const exec = installExecEnvironment(db, config);
  app.addHook("onClose", () => exec.close());
  registerExecRoutes(app, db.prisma);
  registerSemanticRoutes(app, db.prisma);
  registerEntityRoutes(app, db.prisma);
  registerProjectRoutes(app, db.prisma);
  registerCatalogRoutes(app, db.prisma);
  registerRecordRoutes(app, db.prisma);
  registerScimRoutes(app, db.prisma, config.publicUrl);
  registerTokenRoutes(app, db.prisma, config.tokens, rateLimiter);
  registerUsageRoutes(app, db.prisma);
  registerV2UserRoutes(app, db.prisma);
  return app;
}
