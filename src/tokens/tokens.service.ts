// Refresh and access tokens of the public API (seed 004, docs/tokens.md).
//
// An administrator creates a refresh token for a user of the organisation (GraphQL or the admin
// CLI); the client trades it at POST /api/v1|v2/tokens/renewtokens for a short-lived access token
// of that API version. Once the presented refresh token is ROTATE_AFTER_DAYS old, the renewal
// also hands out its successor (same family) and marks it rotated. A rotated token presented
// again is a replay: the whole family, refresh and access tokens, is revoked.
//
// Invariant: a family is revoked as soon as any of its refresh tokens is (revocation always marks
// every token the family has). Checks ask "is any token of the family revoked?", not "is this
// one?", so a token inserted by a rotation that raced a revocation is dead too.
import { randomUUID } from "node:crypto";
import { isUuid } from "../db/ids.js";
import { NotFoundError, TokenUnauthenticatedError, UnprocessableError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { ApiVersion } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import {
  generateAccessTokenSecret,
  generateRefreshTokenSecret,
  hashTokenSecret,
  tokenDisplayPrefix,
} from "./token-secrets.js";
import { CreateRefreshTokenInput, RefreshTokenFilter } from "./tokens.inputs.js";
import { type RefreshTokenSummary, TokenStore } from "./tokens.store.js";

export type { RefreshTokenSummary } from "./tokens.store.js";

const DAY_MS = 86_400_000;

/** Seed 004: "System will return you with a new Refresh token 5 days after the current one is active." */
export const ROTATE_AFTER_DAYS = 5;

export type TokenSettings = { accessTokenTtlSeconds: number; refreshTokenTtlDays: number };
export type Clock = () => Date;
const systemClock: Clock = () => new Date();

export type CreatedRefreshToken = { refreshToken: RefreshTokenSummary; secret: string };

export type RenewedTokens = {
  accessToken: string;
  accessTokenExpiresAt: Date;
  apiVersion: ApiVersion;
  /** The successor refresh token, when this renewal rotated the presented one; null otherwise. */
  refreshToken: string | null;
  /** When the refresh token the client should keep (the successor, or the presented one) expires. */
  refreshTokenExpiresAt: Date;
};

/**
 * Low level: no permission checks. A new family unless `familyId` is given (a rotation). The
 * creation time is the caller's clock, like the expiry: rotation age and lifetime use one clock.
 */
async function issueRefreshToken(
  store: TokenStore,
  input: {
    organizationId: string;
    userId: string;
    name: string;
    createdAt: Date;
    expiresAt: Date;
    familyId?: string;
  },
): Promise<CreatedRefreshToken> {
  const secret = generateRefreshTokenSecret();
  const refreshToken = await store.insertRefreshToken({
    organizationId: input.organizationId,
    userId: input.userId,
    name: input.name,
    familyId: input.familyId ?? randomUUID(),
    prefix: tokenDisplayPrefix(secret),
    secretHash: hashTokenSecret(secret),
    createdAt: input.createdAt,
    expiresAt: input.expiresAt,
  });
  return { refreshToken, secret };
}

/** Administration of refresh tokens (org:admin): create, list, revoke. */
export class RefreshTokenService {
  private readonly store: TokenStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
    private readonly settings: TokenSettings,
    private readonly clock: Clock = systemClock,
  ) {
    this.store = TokenStore.of(prisma);
  }

  async create(input: CreateRefreshTokenInput): Promise<CreatedRefreshToken> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateRefreshTokenInput, input);
    const user = await this.store.userWithPermissions(this.viewer.organization.id, data.userId);
    if (!user) throw new NotFoundError(`User ${data.userId} not found`);
    // The token will carry the user's groups' permissions: the caller must hold them all.
    this.viewer.requireGrantable(user.permissions);
    if (!user.active) {
      throw new UnprocessableError(`User ${data.userId} is deactivated`, [
        { field: "userId", message: "is deactivated: a deactivated user cannot hold tokens" },
      ]);
    }
    const days = data.expiresInDays ?? this.settings.refreshTokenTtlDays;
    const now = this.clock();
    return issueRefreshToken(this.store, {
      organizationId: this.viewer.organization.id,
      userId: user.id,
      name: data.name,
      createdAt: now,
      expiresAt: new Date(now.getTime() + days * DAY_MS),
    });
  }

  /**
   * The organisation's refresh tokens in creation order from `skip`, with the total. Rotated
   * tokens are history and left out unless asked for: what remains is one current token per
   * family (revoked and expired ones included, so they can be seen).
   */
  async list(
    filter: RefreshTokenFilter,
    skip: number,
    take: number,
  ): Promise<{ items: RefreshTokenSummary[]; total: number }> {
    this.viewer.require("org:admin");
    const f = parseInput(RefreshTokenFilter, filter);
    return this.store.page(this.viewer.organization.id, f, skip, take);
  }

  /** One refresh token of the organisation, or null (also for ids that are not ours or not valid). */
  async find(id: string): Promise<RefreshTokenSummary | null> {
    this.viewer.require("org:admin");
    if (!isUuid(id)) return null;
    return (await this.store.byId(this.viewer.organization.id, id)) ?? null;
  }

  /**
   * Revokes the token's whole family: the token, its predecessors and successors, and every
   * access token they minted (revoking one generation while its successor lives would be no
   * revocation at all).
   */
  async revoke(id: string): Promise<RefreshTokenSummary> {
    this.viewer.require("org:admin");
    const token = await this.find(id);
    if (!token) throw new NotFoundError(`Refresh token ${id} not found`);
    await this.store.revokeFamily(token.familyId, this.clock());
    const revoked = await this.store.byId(this.viewer.organization.id, token.id);
    if (!revoked) throw new NotFoundError(`Refresh token ${id} not found`);
    return revoked;
  }
}

/**
 * POST /api/v{1,2}/tokens/renewtokens: the refresh token is the credential. Answers 401
 * (TokenUnauthenticatedError) for an unknown, revoked, expired or replayed token and for a
 * deactivated user.
 */
export async function renewTokens(
  prisma: PrismaClient,
  settings: TokenSettings,
  secret: string,
  apiVersion: ApiVersion,
  clock: Clock = systemClock,
): Promise<RenewedTokens> {
  const now = clock();
  const tokens = TokenStore.of(prisma);
  const presented = await tokens.presented(hashTokenSecret(secret));
  if (!presented) throw new TokenUnauthenticatedError("invalid", "Refresh token not found or incorrect");
  if (presented.familyRevoked) {
    throw new TokenUnauthenticatedError("revoked", "Refresh token has been revoked");
  }
  if (presented.rotatedAt) {
    // A rotated token comes back only if two parties hold it: the family cannot be trusted.
    await tokens.revokeFamily(presented.familyId, now);
    throw new TokenUnauthenticatedError(
      "revoked",
      "Refresh token was already rotated and has been used again: every token of its family is now revoked",
    );
  }
  if (presented.expiresAt <= now) throw new TokenUnauthenticatedError("expired", "Refresh token has expired");
  if (!presented.userActive)
    throw new TokenUnauthenticatedError("invalid", "The token's user is deactivated");

  const rotate = now.getTime() - presented.createdAt.getTime() >= ROTATE_AFTER_DAYS * DAY_MS;
  return tokens.transaction(async (tx) => {
    let successor: CreatedRefreshToken | null = null;
    if (rotate) {
      // Of two renewals racing with one token, only the first claims the rotation; the other
      // gets 401 without revoking the family (it did not replay: it overlapped). Presenting the
      // token once more is a replay like any other.
      if (!(await tx.claimRotation(presented.id, now))) {
        throw new TokenUnauthenticatedError(
          "invalid",
          "Refresh token was rotated by a concurrent renewal: use the refresh token that renewal returned",
        );
      }
      // The successor lives as long as its predecessor was given to live.
      const lifetimeMs = presented.expiresAt.getTime() - presented.createdAt.getTime();
      successor = await issueRefreshToken(tx, {
        organizationId: presented.organizationId,
        userId: presented.userId,
        name: presented.name,
        familyId: presented.familyId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
      });
    } else {
      await tx.markUsed(presented.id, now);
    }
    const refreshTokenExpiresAt = successor?.refreshToken.expiresAt ?? presented.expiresAt;
    // An access token never outlives the refresh token the client keeps.
    const accessTokenExpiresAt = new Date(
      Math.min(now.getTime() + settings.accessTokenTtlSeconds * 1000, refreshTokenExpiresAt.getTime()),
    );
    // Expired access tokens of the family are of no use to anyone: each renewal sweeps them.
    await tx.sweepAccessTokens(presented.familyId, new Date(now.getTime() - DAY_MS));
    const accessToken = generateAccessTokenSecret();
    await tx.insertAccessToken({
      organizationId: presented.organizationId,
      refreshTokenId: presented.id,
      familyId: presented.familyId,
      apiVersion,
      secretHash: hashTokenSecret(accessToken),
      expiresAt: accessTokenExpiresAt,
    });
    return {
      accessToken,
      accessTokenExpiresAt,
      apiVersion,
      refreshToken: successor?.secret ?? null,
      refreshTokenExpiresAt,
    };
  });
}
