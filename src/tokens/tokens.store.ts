// All of the refresh and access tokens' SQL (seed 004). One column list for refresh tokens, rows
// parsed into `RefreshTokenSummary` by one function; secrets never leave the database (only their
// hashes are stored, and no statement here returns one).

import { join, raw, type Sql, type SqlPool, sql, sqlOf } from "../db/sql.js";
import type { PrismaClient } from "../generated/prisma/client.js";

export type RefreshTokenSummary = {
  id: string;
  organizationId: string;
  userId: string;
  name: string;
  familyId: string;
  prefix: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
};

/** A presented refresh token, as a renewal needs it. */
export type PresentedToken = {
  id: string;
  organizationId: string;
  userId: string;
  familyId: string;
  name: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  createdAt: Date;
  familyRevoked: boolean;
  userActive: boolean;
};

type RefreshTokenRow = {
  id: string;
  organization_id: string;
  user_id: string;
  name: string;
  family_id: string;
  prefix: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
};

const REFRESH_TOKEN_COLUMNS = raw(
  "id, organization_id, user_id, name, family_id, prefix, expires_at, rotated_at, revoked_at, last_used_at, created_at",
);

function parseRefreshToken(row: RefreshTokenRow): RefreshTokenSummary {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    name: row.name,
    familyId: row.family_id,
    prefix: row.prefix,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}

export class TokenStore {
  constructor(
    private readonly db: Sql,
    /** Absent on a store bound to a transaction (see `transaction`). */
    private readonly pool?: SqlPool,
  ) {}

  static of(prisma: PrismaClient): TokenStore {
    const pool = sqlOf(prisma);
    return new TokenStore(pool, pool);
  }

  /** Runs `work` in one transaction (retried on serialisation failures and deadlocks). */
  transaction<T>(work: (store: TokenStore) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error("TokenStore: already inside a transaction");
    return this.pool.transaction((tx) => work(new TokenStore(tx)));
  }

  /** A user of the organisation, whether active, and every permission its groups give it. */
  async userWithPermissions(
    organizationId: string,
    userId: string,
  ): Promise<{ id: string; active: boolean; permissions: string[] } | undefined> {
    return this.db.maybeOne(
      sql`SELECT u.id, u.active,
                 COALESCE(array_agg(p.permission) FILTER (WHERE p.permission IS NOT NULL), '{}') AS permissions
          FROM users u
          LEFT JOIN group_members gm ON gm.user_id = u.id
          LEFT JOIN groups g ON g.id = gm.group_id
          LEFT JOIN LATERAL unnest(g.permissions) AS p(permission) ON true
          WHERE u.id = ${userId}::uuid AND u.organization_id = ${organizationId}::uuid
          GROUP BY u.id, u.active`,
      { name: "tokens.userWithPermissions" },
    );
  }

  async insertRefreshToken(data: {
    organizationId: string;
    userId: string;
    name: string;
    familyId: string;
    prefix: string;
    secretHash: string;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<RefreshTokenSummary> {
    const row = await this.db.maybeOne<RefreshTokenRow>(
      sql`INSERT INTO refresh_tokens (id, organization_id, user_id, name, family_id, prefix, secret_hash,
                                      created_at, expires_at)
          VALUES (gen_random_uuid(), ${data.organizationId}::uuid, ${data.userId}::uuid, ${data.name},
                  ${data.familyId}::uuid, ${data.prefix}, ${data.secretHash}, ${data.createdAt}::timestamptz,
                  ${data.expiresAt}::timestamptz)
          RETURNING ${REFRESH_TOKEN_COLUMNS}`,
      { name: "tokens.insertRefreshToken" },
    );
    return parseRefreshToken(row!);
  }

  /** Revokes every refresh and access token of a family in one statement (revoked ones keep their time). */
  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.db.execute(
      sql`WITH refresh AS (
            UPDATE refresh_tokens SET revoked_at = ${now}::timestamptz
            WHERE family_id = ${familyId}::uuid AND revoked_at IS NULL
          )
          UPDATE access_tokens SET revoked_at = ${now}::timestamptz
          WHERE family_id = ${familyId}::uuid AND revoked_at IS NULL`,
      { name: "tokens.revokeFamily" },
    );
  }

  /** The organisation's refresh tokens in creation order from `skip`, with their total, in one statement. */
  async page(
    organizationId: string,
    filter: { userId?: string | undefined; includeRotated: boolean },
    skip: number,
    take: number,
  ): Promise<{ items: RefreshTokenSummary[]; total: number }> {
    const conditions = [sql`organization_id = ${organizationId}::uuid`];
    if (filter.userId) conditions.push(sql`user_id = ${filter.userId}::uuid`);
    if (!filter.includeRotated) conditions.push(sql`rotated_at IS NULL`);
    const where = join(conditions, " AND ");
    const rows = await this.db.rows<RefreshTokenRow & { total: number }>(
      sql`SELECT counted.total, page.* FROM
            (SELECT count(*)::int AS total FROM refresh_tokens WHERE ${where}) counted
          LEFT JOIN LATERAL (
            SELECT ${REFRESH_TOKEN_COLUMNS}, row_number() OVER (ORDER BY created_at ASC, id ASC) AS position
            FROM refresh_tokens WHERE ${where}
            ORDER BY created_at ASC, id ASC LIMIT ${take} OFFSET ${skip}
          ) page ON true
          ORDER BY page.position`,
    );
    return {
      items: rows.filter((row) => row.id !== null).map(parseRefreshToken),
      total: rows[0]?.total ?? 0,
    };
  }

  async byId(organizationId: string, id: string): Promise<RefreshTokenSummary | undefined> {
    const row = await this.db.maybeOne<RefreshTokenRow>(
      sql`SELECT ${REFRESH_TOKEN_COLUMNS} FROM refresh_tokens
          WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "tokens.byId" },
    );
    return row && parseRefreshToken(row);
  }

  /** The refresh token of a secret's hash, with its family's and its user's state. */
  async presented(secretHash: string): Promise<PresentedToken | undefined> {
    return this.db.maybeOne<PresentedToken>(
      sql`SELECT r.id, r.organization_id AS "organizationId", r.user_id AS "userId", r.family_id AS "familyId",
            r.name, r.expires_at AS "expiresAt", r.rotated_at AS "rotatedAt", r.created_at AS "createdAt",
            EXISTS (
              SELECT 1 FROM refresh_tokens f WHERE f.family_id = r.family_id AND f.revoked_at IS NOT NULL
            ) AS "familyRevoked",
            u.active AS "userActive"
          FROM refresh_tokens r JOIN users u ON u.id = r.user_id
          WHERE r.secret_hash = ${secretHash}`,
      { name: "tokens.presented" },
    );
  }

  /** Marks the token rotated, if nothing rotated or revoked it first; false when something did. */
  async claimRotation(id: string, now: Date): Promise<boolean> {
    const claimed = await this.db.execute(
      sql`UPDATE refresh_tokens SET rotated_at = ${now}::timestamptz, last_used_at = ${now}::timestamptz
          WHERE id = ${id}::uuid AND rotated_at IS NULL AND revoked_at IS NULL`,
      { name: "tokens.claimRotation" },
    );
    return claimed === 1;
  }

  async markUsed(id: string, now: Date): Promise<void> {
    await this.db.execute(
      sql`UPDATE refresh_tokens SET last_used_at = ${now}::timestamptz WHERE id = ${id}::uuid`,
      { name: "tokens.markUsed" },
    );
  }

  /** Deletes the family's access tokens that expired before `before`. */
  async sweepAccessTokens(familyId: string, before: Date): Promise<void> {
    await this.db.execute(
      sql`DELETE FROM access_tokens WHERE family_id = ${familyId}::uuid AND expires_at < ${before}::timestamptz`,
      { name: "tokens.sweepAccessTokens" },
    );
  }

  async insertAccessToken(data: {
    organizationId: string;
    refreshTokenId: string;
    familyId: string;
    apiVersion: number;
    secretHash: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.db.execute(
      sql`INSERT INTO access_tokens (id, organization_id, refresh_token_id, family_id, api_version, secret_hash,
                                     expires_at)
          VALUES (gen_random_uuid(), ${data.organizationId}::uuid, ${data.refreshTokenId}::uuid,
                  ${data.familyId}::uuid, ${data.apiVersion}::int, ${data.secretHash}, ${data.expiresAt}::timestamptz)`,
      { name: "tokens.insertAccessToken" },
    );
  }
}
