// Turns a request's credentials into a Viewer, or an UnauthenticatedError naming why not.
// Shared by every REST surface and GraphQL. Two kinds of credential, told apart by the scheme:
// `Bearer <API key>`, and `PublicApi <access token>` / `PublicApiV2 <access token>` (seed 004,
// docs/tokens.md), whose scopes are the permissions of the token user's groups.
import { sql, sqlOf } from "../db/sql.js";
import { ForbiddenError, TokenUnauthenticatedError, UnauthenticatedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { hashApiKeySecret } from "./api-key-secret.js";
import { AuthCache } from "./auth-cache.js";
import { ALL_SCOPES } from "./scopes.js";
import { Viewer, type ViewerUser } from "./viewer.js";

/** lastUsedAt is a hint for people auditing keys, not a log: write it at most once a minute. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const API_KEY_SCHEME = "Bearer";
/** The access-token scheme of each public API version. */
export const ACCESS_TOKEN_SCHEMES = { 1: "PublicApi", 2: "PublicApiV2" } as const;
export type ApiVersion = keyof typeof ACCESS_TOKEN_SCHEMES;
/**
 * What a caller that names no schemes accepts: GraphQL, which is not versioned, takes API keys
 * and access tokens of either API version.
 */
export const ALL_SCHEMES: readonly string[] = [API_KEY_SCHEME, ...Object.values(ACCESS_TOKEN_SCHEMES)];

/**
 * The WWW-Authenticate value of a 401 (RFC 9110 §11.6.1): one challenge per accepted scheme, no
 * parameters (`Bearer, PublicApi`).
 */
export function challengeOf(schemes: readonly string[]): string {
  return schemes.join(", ");
}

export type Credentials = {
  /** The Authorization header, as sent. */
  authorization: string | undefined;
  /** The X-Forwarded-User header, as sent. */
  forwardedUser?: string | undefined;
  /** Accepted authorization schemes; ALL_SCHEMES when absent. */
  schemes?: readonly string[];
};

/** `<scheme> <token>` with the scheme in its canonical spelling, or undefined if malformed/unknown. */
export function parseAuthorization(
  authorization: string | undefined,
): { scheme: string; token: string } | undefined {
  if (!authorization) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match) return undefined;
  const scheme = ALL_SCHEMES.find((s) => s.toLowerCase() === match[1]!.toLowerCase());
  return scheme ? { scheme, token: match[2]! } : undefined;
}

export async function authenticate(prisma: PrismaClient, credentials: Credentials): Promise<Viewer> {
  if (!credentials.authorization?.trim()) throw new UnauthenticatedError("missing");
  const parsed = parseAuthorization(credentials.authorization);
  if (!parsed) throw new UnauthenticatedError("invalid");
  const accepted = credentials.schemes ?? ALL_SCHEMES;
  if (!accepted.some((s) => s.toLowerCase() === parsed.scheme.toLowerCase())) {
    if (parsed.scheme === API_KEY_SCHEME) throw new UnauthenticatedError("invalid");
    throw new TokenUnauthenticatedError(
      "invalid",
      `Authorization ${parsed.scheme} is not accepted here; send ${accepted.join(" or ")}` +
        " (only one API version can be active at a time: PublicApi on /api/v1, PublicApiV2 on /api/v2)",
    );
  }
  if (parsed.scheme === API_KEY_SCHEME) return authenticateApiKey(prisma, parsed.token, credentials);
  const version = parsed.scheme === ACCESS_TOKEN_SCHEMES[2] ? 2 : 1;
  return authenticateAccessToken(prisma, parsed.token, version, credentials);
}

type KeyRow = {
  id: string;
  scopes: string[];
  canActForUsers: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  rateLimitPerMinute: number | null;
  user: { id: string; displayName: string; email: string; role: string; active: boolean };
  organization: { id: string; name: string };
};

type Caches = { keys: AuthCache<KeyRow | null>; tokens: AuthCache<AccessTokenRow | null> };
const caches = new WeakMap<PrismaClient, Caches>();

function cachesOf(prisma: PrismaClient): Caches {
  let found = caches.get(prisma);
  if (!found) {
    const feed = sqlOf(prisma).changes;
    found = { keys: new AuthCache(feed), tokens: new AuthCache(feed) };
    caches.set(prisma, found);
  }
  return found;
}

/**
 * The key with its user and organisation, from the cache when warm (src/identity/auth-cache.ts),
 * else in one statement, prepared once per connection. Unknown secrets are cached too (null):
 * a new key is a new hash, never one that was looked up before.
 */
async function keyRow(prisma: PrismaClient, hash: string): Promise<KeyRow | null> {
  const cache = cachesOf(prisma).keys;
  const cached = cache.get(hash);
  if (cached !== undefined) return cached;
  const generation = cache.begin();
  const row = await sqlOf(prisma).maybeOne<KeyRow>(
    sql`SELECT k.id, k.scopes, k.can_act_for_users AS "canActForUsers", k.expires_at AS "expiresAt",
      k.revoked_at AS "revokedAt", k.last_used_at AS "lastUsedAt",
      k.rate_limit_per_minute AS "rateLimitPerMinute",
      json_build_object('id', u.id, 'displayName', u.display_name, 'email', u.email,
        'role', u.role, 'active', u.active) AS "user",
      json_build_object('id', o.id, 'name', o.name) AS organization
    FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organizations o ON o.id = k.organization_id
    WHERE k.secret_hash = ${hash}`,
    { name: "auth.apiKey" },
  );
  cache.set(hash, row ?? null, generation);
  return row ?? null;
}

async function authenticateApiKey(
  prisma: PrismaClient,
  token: string,
  credentials: Credentials,
): Promise<Viewer> {
  const key = await keyRow(prisma, hashApiKeySecret(token));
  if (!key || !key.user.active) throw new UnauthenticatedError("invalid");
  if (key.revokedAt) throw new UnauthenticatedError("revoked");
  const now = new Date();
  if (key.expiresAt && key.expiresAt <= now) throw new UnauthenticatedError("expired");

  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort and off the request's path: a failed bookkeeping write must not fail the call.
    // The cached row learns it too, so the write stays once a minute (it notifies nobody).
    key.lastUsedAt = now;
    sqlOf(prisma)
      .execute(sql`UPDATE api_keys SET last_used_at = ${now}::timestamptz WHERE id = ${key.id}::uuid`, {
        name: "auth.keyUsed",
      })
      .catch(() => {});
  }

  const organization = { id: key.organization.id, name: key.organization.name };
  let user = pickUser(key.user);
  const forwarded = credentials.forwardedUser?.trim() || null;
  if (forwarded) {
    if (!key.canActForUsers) {
      throw new ForbiddenError("This API key may not act for other users (X-Forwarded-User)");
    }
    // The header names a user of the caller's own system: an id or e-mail that matches one of
    // the organisation's users takes the attribution; anything else is kept for the audit trail.
    const match = await prisma.user.findFirst({
      where: {
        organizationId: organization.id,
        active: true,
        OR: [{ email: forwarded.toLowerCase() }, ...(isUuid(forwarded) ? [{ id: forwarded }] : [])],
      },
    });
    if (match) user = pickUser(match);
  }
  return new Viewer(organization, user, key.scopes, key.id, forwarded, key.rateLimitPerMinute);
}

type AccessTokenRow = {
  id: string;
  familyId: string;
  apiVersion: number;
  expiresAt: Date;
  revoked: boolean;
  scopes: string[];
  user: { id: string; displayName: string; email: string; role: string; active: boolean };
  organization: { id: string; name: string };
};

/** An access token's viewer, from the cache when warm, else from accessTokenRow(). */
async function authenticateAccessToken(
  prisma: PrismaClient,
  token: string,
  version: ApiVersion,
  credentials: Credentials,
): Promise<Viewer> {
  const hash = hashApiKeySecret(token);
  const cache = cachesOf(prisma).tokens;
  let row = cache.get(hash);
  if (row === undefined) {
    const generation = cache.begin();
    row = (await accessTokenRow(prisma, hash)) ?? null;
    cache.set(hash, row, generation);
  }
  if (!row) throw new TokenUnauthenticatedError("invalid", "Access token not found or incorrect");
  if (row.apiVersion !== version) {
    throw new TokenUnauthenticatedError(
      "invalid",
      `This access token was issued for API version ${row.apiVersion}: send it as ` +
        `${ACCESS_TOKEN_SCHEMES[row.apiVersion as ApiVersion] ?? "?"} to /api/v${row.apiVersion} ` +
        "(only one API version can be active at a time)",
    );
  }
  if (row.revoked) throw new TokenUnauthenticatedError("revoked", "Access token has been revoked");
  if (row.expiresAt <= new Date()) {
    throw new TokenUnauthenticatedError(
      "expired",
      "Access token has expired: renew it with the refresh token",
    );
  }
  if (!row.user.active) throw new TokenUnauthenticatedError("invalid", "The token's user is deactivated");
  if (credentials.forwardedUser?.trim()) {
    throw new ForbiddenError("An access token acts only for its own user (X-Forwarded-User is not allowed)");
  }
  return new Viewer(
    { id: row.organization.id, name: row.organization.name },
    pickUser(row.user),
    row.scopes,
    null,
    null,
    null,
    { id: row.id, familyId: row.familyId, apiVersion: version },
  );
}

function pickUser(user: { id: string; displayName: string; email: string; role: string }): ViewerUser {
  return { id: user.id, displayName: user.displayName, email: user.email, role: user.role };
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/**
 * One statement: the token, its user and organisation, whether its family was revoked (a family
 * is revoked as soon as any of its refresh tokens is: see src/tokens/tokens.service.ts), and the
 * union of the permissions of the user's groups, which become the viewer's scopes. Groups never
 * grant `*`.
 */
function accessTokenRow(prisma: PrismaClient, hash: string): Promise<AccessTokenRow | undefined> {
  return sqlOf(prisma).maybeOne<AccessTokenRow>(
    sql`SELECT a.id, a.family_id AS "familyId", a.api_version AS "apiVersion", a.expires_at AS "expiresAt",
      (a.revoked_at IS NOT NULL OR EXISTS (
        SELECT 1 FROM refresh_tokens f WHERE f.family_id = a.family_id AND f.revoked_at IS NOT NULL
      )) AS revoked,
      ARRAY(
        SELECT DISTINCT p FROM group_members gm
          JOIN groups g ON g.id = gm.group_id AND g.organization_id = a.organization_id
          CROSS JOIN LATERAL unnest(g.permissions) AS p
        WHERE gm.user_id = u.id AND p <> ${ALL_SCOPES}
        ORDER BY p
      ) AS scopes,
      json_build_object('id', u.id, 'displayName', u.display_name, 'email', u.email,
        'role', u.role, 'active', u.active) AS "user",
      json_build_object('id', o.id, 'name', o.name) AS organization
    FROM access_tokens a
      JOIN refresh_tokens r ON r.id = a.refresh_token_id
      JOIN users u ON u.id = r.user_id AND u.organization_id = a.organization_id
      JOIN organizations o ON o.id = a.organization_id
    WHERE a.secret_hash = ${hash}`,
    { name: "auth.accessToken" },
  );
}
