// Turns a request's credentials into a Viewer, or an UnauthenticatedError naming why not.
// Shared by every REST surface and GraphQL.
import { ForbiddenError, UnauthenticatedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { hashApiKeySecret } from "./api-key-secret.js";
import { Viewer } from "./viewer.js";

/** lastUsedAt is a hint for people auditing keys, not a log: write it at most once a minute. */
const LAST_USED_RESOLUTION_MS = 60_000;

export type Credentials = {
  /** The Authorization header, as sent. */
  authorization: string | undefined;
  /** The X-Forwarded-User header, as sent. */
  forwardedUser?: string | undefined;
  /** Accepted authorization schemes; "Bearer" for most surfaces. */
  schemes?: readonly string[];
};

export function extractToken(
  authorization: string | undefined,
  schemes: readonly string[],
): string | undefined {
  if (!authorization) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match) return undefined;
  const [, scheme, token] = match;
  return schemes.some((s) => s.toLowerCase() === scheme!.toLowerCase()) ? token : undefined;
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

export async function authenticate(prisma: PrismaClient, credentials: Credentials): Promise<Viewer> {
  if (!credentials.authorization?.trim()) throw new UnauthenticatedError("missing");
  const token = extractToken(credentials.authorization, credentials.schemes ?? ["Bearer"]);
  if (!token) throw new UnauthenticatedError("invalid");

  // One statement on every request's path: Prisma splits `include` into a query per relation.
  const [key] = await prisma.$queryRaw<KeyRow[]>`
    SELECT k.id, k.scopes, k.can_act_for_users AS "canActForUsers", k.expires_at AS "expiresAt",
      k.revoked_at AS "revokedAt", k.last_used_at AS "lastUsedAt",
      k.rate_limit_per_minute AS "rateLimitPerMinute",
      json_build_object('id', u.id, 'displayName', u.display_name, 'email', u.email,
        'role', u.role, 'active', u.active) AS "user",
      json_build_object('id', o.id, 'name', o.name) AS organization
    FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organizations o ON o.id = k.organization_id
    WHERE k.secret_hash = ${hashApiKeySecret(token)}`;
  if (!key || !key.user.active) throw new UnauthenticatedError("invalid");
  if (key.revokedAt) throw new UnauthenticatedError("revoked");
  const now = new Date();
  if (key.expiresAt && key.expiresAt <= now) throw new UnauthenticatedError("expired");

  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort and off the request's path: a failed bookkeeping write must not fail the call.
    prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } }).catch(() => {});
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

function pickUser(user: { id: string; displayName: string; email: string; role: string }) {
  return { id: user.id, displayName: user.displayName, email: user.email, role: user.role };
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
