// Authentication for REST routes: every route authenticates unless its config says `public`.
// It runs in onRequest, so a request without a valid key is refused before its body is read.
import type { FastifyInstance } from "fastify";
import { RateLimitedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { authenticate } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";

declare module "fastify" {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
  interface FastifyContextConfig {
    /** No API key needed (health checks, documentation, GraphQL which authenticates itself). */
    public?: boolean;
    /** Authorization schemes accepted on this route; Bearer when absent. */
    authSchemes?: readonly string[];
  }
}

export function installAuthentication(
  app: FastifyInstance,
  prisma: PrismaClient,
  limiter: RateLimiter,
): void {
  app.decorateRequest("viewer", null);
  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    // The docs UI's own routes are registered by @fastify/swagger-ui, without our config.
    if (config.public || request.is404 || request.routeOptions.url?.startsWith("/docs")) return;
    request.viewer = await authenticate(prisma, {
      authorization: request.headers.authorization,
      forwardedUser: [request.headers["x-forwarded-user"]].flat()[0],
      schemes: config.authSchemes,
    });
    // Every authenticated REST request costs one point of its key's budget.
    const verdict = await limiter.consume(request.viewer, 1);
    reply.headers(rateLimitHeaders(verdict));
    if (!verdict.allowed) throw new RateLimitedError(verdict.resetSeconds);
  });
}

/** The authenticated viewer of a route that is not public. */
export function viewerOf(request: { viewer: Viewer | null }): Viewer {
  if (!request.viewer) throw new Error("viewerOf() called on a public route");
  return request.viewer;
}
