// Authentication for REST routes: every route authenticates unless its config says `public`.
// It runs in onRequest, so a request without a valid key is refused before its body is read.
// Each route accepts the schemes of its surface (docs/tokens.md): `Bearer <API key>` everywhere,
// plus `PublicApi <access token>` on /api/v1 and `PublicApiV2 <access token>` on /api/v2.
import type { FastifyInstance } from "fastify";
import { RateLimitedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ACCESS_TOKEN_SCHEMES, API_KEY_SCHEME, authenticate } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";

declare module "fastify" {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
  interface FastifyContextConfig {
    /** No API key needed (health checks, documentation, GraphQL which authenticates itself). */
    public?: boolean;
    /** Authorization schemes accepted on this route; its surface's (schemesFor) when absent. */
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
    const route = request.routeOptions.url ?? "";
    if (config.public || request.is404 || route.startsWith("/docs") || route.startsWith("/api-swagger"))
      return;
    request.viewer = await authenticate(prisma, {
      authorization: request.headers.authorization,
      forwardedUser: [request.headers["x-forwarded-user"]].flat()[0],
      schemes: config.authSchemes ?? schemesFor(route),
    });
    // Every authenticated REST request costs one point of its key's budget.
    const verdict = await limiter.consume(request.viewer, 1);
    reply.headers(rateLimitHeaders(verdict));
    if (!verdict.allowed) throw new RateLimitedError(verdict.resetSeconds);
  });
}

const V1_SCHEMES = [API_KEY_SCHEME, ACCESS_TOKEN_SCHEMES[1]] as const;
const V2_SCHEMES = [API_KEY_SCHEME, ACCESS_TOKEN_SCHEMES[2]] as const;
const KEY_ONLY = [API_KEY_SCHEME] as const;

/** The schemes a route accepts by its path: access tokens only on the public API of their version. */
export function schemesFor(route: string): readonly string[] {
  const path = route.toLowerCase();
  if (path.startsWith("/api/v2/")) return V2_SCHEMES;
  if (path.startsWith("/api/v1/")) return V1_SCHEMES;
  return KEY_ONLY;
}

/** The authenticated viewer of a route that is not public. */
export function viewerOf(request: { viewer: Viewer | null }): Viewer {
  if (!request.viewer) throw new Error("viewerOf() called on a public route");
  return request.viewer;
}
