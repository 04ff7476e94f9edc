// All SQL on `api_keys` (request-path authentication reads them in src/identity/authenticate.ts):
// one column list, one row parser. The secret's hash is written here and never read back.
import { randomUUID } from "node:crypto";
import { raw, type Sql, sql } from "../db/sql.js";

export type ApiKeySummary = {
  id: string;
  organizationId: string;
  userId: string;
  name: string;
  prefix: string;
  scopes: string[];
  canActForUsers: boolean;
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
};

/** The columns of `api_keys k` shown in listings (never the secret's hash). */
const API_KEY_COLUMNS = raw(
  "k.id, k.organization_id, k.user_id, k.name, k.prefix, k.scopes, k.can_act_for_users, " +
    "k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.last_used_at, k.created_at",
);

type ApiKeyRow = {
  id: string;
  organization_id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[] | null;
  can_act_for_users: boolean;
  rate_limit_per_minute: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
};

const dateOrNull = (value: Date | null) => (value === null ? null : new Date(value));

function parseApiKey(row: ApiKeyRow): ApiKeySummary {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes ?? [],
    canActForUsers: row.can_act_for_users,
    rateLimitPerMinute: row.rate_limit_per_minute === null ? null : Number(row.rate_limit_per_minute),
    expiresAt: dateOrNull(row.expires_at),
    revokedAt: dateOrNull(row.revoked_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    createdAt: new Date(row.created_at),
  };
}

export class ApiKeyStore {
  constructor(private readonly db: Sql) {}

  async secretHashExists(secretHash: string): Promise<boolean> {
    const row = await this.db.maybeOne(
      sql`SELECT 1 AS found FROM api_keys WHERE secret_hash = ${secretHash}`,
      {
        name: "apiKeys.secretHashExists",
      },
    );
    return row !== undefined;
  }

  async insert(input: {
    organizationId: string;
    userId: string;
    name: string;
    prefix: string;
    secretHash: string;
    scopes: string[];
    canActForUsers: boolean;
    rateLimitPerMinute: number | null;
    expiresAt: Date | null;
  }): Promise<ApiKeySummary> {
    const row = await this.db.maybeOne<ApiKeyRow>(
      sql`INSERT INTO api_keys AS k (id, organization_id, user_id, name, prefix, secret_hash, scopes,
          can_act_for_users, rate_limit_per_minute, expires_at)
        VALUES (${randomUUID()}::uuid, ${input.organizationId}::uuid, ${input.userId}::uuid, ${input.name},
          ${input.prefix}, ${input.secretHash}, ${input.scopes}::text[], ${input.canActForUsers},
          ${input.rateLimitPerMinute}::int, ${input.expiresAt}::timestamptz)
        RETURNING ${API_KEY_COLUMNS}`,
      { name: "apiKeys.insert" },
    );
    return parseApiKey(row!);
  }

  /** The organisation's keys, oldest first. */
  async list(organizationId: string): Promise<ApiKeySummary[]> {
    const rows = await this.db.rows<ApiKeyRow>(
      sql`SELECT ${API_KEY_COLUMNS} FROM api_keys k WHERE k.organization_id = ${organizationId}::uuid
        ORDER BY k.created_at, k.id`,
      { name: "apiKeys.list" },
    );
    return rows.map(parseApiKey);
  }

  async byId(organizationId: string, id: string): Promise<ApiKeySummary | undefined> {
    const row = await this.db.maybeOne<ApiKeyRow>(
      sql`SELECT ${API_KEY_COLUMNS} FROM api_keys k
        WHERE k.id = ${id}::uuid AND k.organization_id = ${organizationId}::uuid`,
      { name: "apiKeys.byId" },
    );
    return row && parseApiKey(row);
  }

  /** Revokes the key (a revoked key keeps its first revocation time); undefined if not ours. */
  async revoke(organizationId: string, id: string): Promise<ApiKeySummary | undefined> {
    const row = await this.db.maybeOne<ApiKeyRow>(
      sql`UPDATE api_keys AS k SET revoked_at = coalesce(k.revoked_at, now())
        WHERE k.id = ${id}::uuid AND k.organization_id = ${organizationId}::uuid
        RETURNING ${API_KEY_COLUMNS}`,
      { name: "apiKeys.revoke" },
    );
    return row && parseApiKey(row);
  }

  /** Revokes every live key of a user (a user deleted over SCIM). */
  async revokeAllOfUser(userId: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE api_keys SET revoked_at = now() WHERE user_id = ${userId}::uuid AND revoked_at IS NULL`,
      { name: "apiKeys.revokeAllOfUser" },
    );
  }
}
