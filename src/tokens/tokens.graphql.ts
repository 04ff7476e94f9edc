// Refresh tokens in the graph (seed 004's "Shop App Tokens"): create one for a user, list them,
// revoke a family. Renewal itself is REST only (POST /api/v1|v2/tokens/renewtokens).
import { resolveOffsetConnection } from "@pothos/plugin-relay";
import type { FastifyRequest } from "fastify";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import { UserRef } from "../identity/identity.graphql.js";
import type { CreatedRefreshToken, RefreshTokenService, RefreshTokenSummary } from "./tokens.service.js";

/**
 * The service of this request. Token lifetimes come from the app's configuration, which the
 * schema (built once, at import) cannot see: the Fastify request yoga puts in the context can.
 */
function tokensOf(ctx: GraphQLContext): RefreshTokenService {
  const server = (ctx as GraphQLContext & { req?: FastifyRequest }).req?.server;
  if (!server?.refreshTokenService) throw new Error("Token routes are not installed (registerTokenRoutes)");
  return server.refreshTokenService(ctx.viewer);
}

const RefreshTokenStatus = builder.enumType("RefreshTokenStatus", {
  values: {
    ACTIVE: { description: "Can be renewed with." },
    ROTATED: { description: "Replaced by a successor; presenting it again revokes the family." },
    EXPIRED: {},
    REVOKED: {},
  } as const,
});

function statusOf(token: RefreshTokenSummary): "ACTIVE" | "ROTATED" | "EXPIRED" | "REVOKED" {
  if (token.revokedAt) return "REVOKED";
  if (token.rotatedAt) return "ROTATED";
  if (token.expiresAt <= new Date()) return "EXPIRED";
  return "ACTIVE";
}

export const RefreshTokenRef = builder.objectRef<RefreshTokenSummary>("RefreshToken");
builder.node(RefreshTokenRef, {
  description:
    "A refresh token of a user (seed 004): traded at /api/v1|v2/tokens/renewtokens for access tokens. " +
    "Its secret is shown only when it is created; tokens rotated from one another share a family.",
  id: { resolve: (token) => token.id },
  loadOne: (id, ctx) => tokensOf(ctx).find(id),
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "familyId" in value && "prefix" in value,
  fields: (t) => ({
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", {
      description: "The first characters of the token, to tell tokens apart.",
    }),
    familyId: t.exposeString("familyId", {
      description: "Shared by a token and the successors its renewals rotated it into.",
    }),
    status: t.field({ type: RefreshTokenStatus, resolve: statusOf }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    rotatedAt: t.expose("rotatedAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "The last renewal made with it.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    user: t.field({ type: UserRef, resolve: (token) => token.userId }),
  }),
});

builder.queryFields((t) => ({
  refreshTokens: t.connection(
    {
      type: RefreshTokenRef,
      description:
        "The organisation's refresh tokens in creation order (requires org:admin). Rotated ones are " +
        "history and left out unless includeRotated is true.",
      args: {
        userId: t.arg.globalID({ for: UserRef, description: "Only this user's tokens." }),
        includeRotated: t.arg.boolean({ defaultValue: false }),
      },
      resolve: async (_root, args, ctx) => {
        const service = tokensOf(ctx);
        let total = 0;
        const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
          const slice = await service.list(
            { userId: args.userId?.id, includeRotated: args.includeRotated ?? false },
            offset,
            limit,
          );
          total = slice.total;
          return slice.items;
        });
        return Object.assign(connection, { totalCount: total });
      },
    },
    {
      name: "RefreshTokenConnection",
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as { totalCount: number }).totalCount }),
      }),
    },
  ),
}));

const CreateRefreshTokenInput = builder.inputType("CreateRefreshTokenInput", {
  fields: (t) => ({
    userId: t.globalID({ for: UserRef, required: true, description: "The user the token acts for." }),
    name: t.string({ required: true }),
    expiresInDays: t.int({
      description: "Days until it expires; the server's REFRESH_TOKEN_TTL_DAYS when omitted.",
    }),
  }),
});

const RevokeRefreshTokenInput = builder.inputType("RevokeRefreshTokenInput", {
  fields: (t) => ({ id: t.globalID({ for: RefreshTokenRef, required: true }) }),
});

const CreateRefreshTokenPayload = builder.objectRef<CreatedRefreshToken>("CreateRefreshTokenPayload");
CreateRefreshTokenPayload.implement({
  fields: (t) => ({
    refreshToken: t.field({ type: RefreshTokenRef, resolve: (payload) => payload.refreshToken }),
    secret: t.exposeString("secret", {
      description: "The refresh token itself. Shown this once; store it safely.",
    }),
  }),
});

builder.mutationFields((t) => ({
  createRefreshToken: t.field({
    type: CreateRefreshTokenPayload,
    description:
      "Creates a refresh token for a user of the organisation (requires org:admin). Its access tokens " +
      "may call what the user's groups permit. The secret is returned once.",
    args: { input: t.arg({ type: CreateRefreshTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      tokensOf(ctx).create({
        userId: input.userId.id,
        name: input.name,
        expiresInDays: input.expiresInDays ?? undefined,
      }),
  }),
  revokeRefreshToken: t.field({
    type: RefreshTokenRef,
    description:
      "Revokes a refresh token's whole family, with every access token it minted (requires org:admin): " +
      "requests with them then get 401.",
    args: { input: t.arg({ type: RevokeRefreshTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => tokensOf(ctx).revoke(input.id.id),
  }),
}));
