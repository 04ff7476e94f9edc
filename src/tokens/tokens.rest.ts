// POST /api/v1/tokens/renewtokens and POST /api/v2/tokens/renewtokens (seed 004): a refresh
// token in the body buys an access token of that API version (docs/tokens.md).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { RateLimitedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ACCESS_TOKEN_SCHEMES } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";
import { ErrorBody } from "../rest/openapi.js";
import { RenewTokensBody } from "./tokens.inputs.js";
import { RefreshTokenService, renewTokens, type TokenSettings } from "./tokens.service.js";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * A viewer's RefreshTokenService with this app's database and token lifetimes, for GraphQL
     * resolvers (tokens.graphql.ts), which the schema (built once, at import) cannot reach.
     */
    refreshTokenService(viewer: Viewer): RefreshTokenService;
  }
}

const RenewedTokens = z
  .object({
    accessToken: z.string().describe("Send as `Authorization: <tokenType> <accessToken>`."),
    accessTokenExpiresAt: z.string().describe("ISO 8601, UTC."),
    tokenType: z.enum(["PublicApi", "PublicApiV2"]).describe("The Authorization scheme of this API version."),
    refreshToken: z
      .string()
      .nullable()
      .describe(
        "A new refresh token when the presented one was at least 5 days old (that one is now rotated: " +
          "use this one from now on); null otherwise (keep using the presented one).",
      ),
    refreshTokenExpiresAt: z
      .string()
      .describe("When the refresh token to keep using expires (ISO 8601, UTC)."),
  })
  .meta({ id: "RenewedTokens" });

export function registerTokenRoutes(
  app: FastifyInstance,
  prisma: PrismaClient,
  settings: TokenSettings,
  limiter: RateLimiter,
): void {
  app.decorate("refreshTokenService", (viewer: Viewer) => new RefreshTokenService(prisma, viewer, settings));
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const version of [1, 2] as const) {
    r.post(
      `/api/v${version}/tokens/renewtokens`,
      {
        // The refresh token in the body is the credential: no Authorization header. Its 401s
        // name it in WWW-Authenticate (RFC 9110 §11.6.1 wants a challenge on every 401).
        config: { public: true, authChallenge: "RefreshToken" },
        schema: {
          tags: ["Tokens"],
          summary: `Trade a refresh token for an API version ${version} access token`,
          description:
            `The access token works with \`Authorization: ${ACCESS_TOKEN_SCHEMES[version]} <token>\` on ` +
            `/api/v${version} (and on /graphql). A refresh token at least 5 days old is rotated: the ` +
            "response carries its successor, and presenting the old one again revokes every token of its family.",
          security: [],
          body: RenewTokensBody,
          response: { 200: RenewedTokens, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const verdict = await limiter.consumeAnonymous(request.ip);
        reply.headers(rateLimitHeaders(verdict));
        if (!verdict.allowed) throw new RateLimitedError(verdict.resetSeconds);
        const renewed = await renewTokens(prisma, settings, request.body.refreshToken, version);
        // Secrets: no cache may keep this response.
        reply.header("cache-control", "no-store");
        return {
          accessToken: renewed.accessToken,
          accessTokenExpiresAt: renewed.accessTokenExpiresAt.toISOString(),
          tokenType: ACCESS_TOKEN_SCHEMES[version],
          refreshToken: renewed.refreshToken,
          refreshTokenExpiresAt: renewed.refreshTokenExpiresAt.toISOString(),
        };
      },
    );
  }
}
