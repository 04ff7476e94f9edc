// Authentication for REST routes: every route authenticates unless its config says `public`.
// It runs in onRequest, so a request without a valid key is refused before its body is read.
// Each route accepts the schemes of its surface (docs/tokens.md): `Bearer <API key>` everywhere,
// plus `PublicApi <access token>` on /api/v1 and `PublicApiV2 <access token>` on /api/v2.
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from "fastify";
import { RateLimitedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ACCESS_TOKEN_SCHEMES, API_KEY_SCHEME, authenticate, challengeOf } from "../identity/authenticate.js";
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
    /**
     * The WWW-Authenticate challenge of this route's 401s when the credential is not an
     * Authorization header (the token renewal's refresh token, in its body).
     */
    authChallenge?: string;
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

/**
 * What a 401 of this request sends as WWW-Authenticate (RFC 9110 §11.6.1 requires one): the
 * route's own challenge, else a challenge for each scheme it accepts.
 */
export function challengeFor(request: FastifyRequest): string {
  const config: FastifyContextConfig = request.routeOptions.config ?? {};
  if (config.authChallenge) return config.authChallenge;
  return challengeOf(config.authSchemes ?? schemesFor(request.routeOptions.url ?? request.url));
}

/** The authenticated viewer of a route that is not public. */
export function viewerOf(request: { viewer: Viewer | null }): Viewer {
  if (!request.viewer) throw new Error("viewerOf() called on a public route");
  return request.viewer;
}
