// API keys: organisation-scoped, named, optionally expiring, revocable, carrying scopes,
// belonging to a user. The secret is returned once, by issueApiKey, and stored as a hash.
import { isUuid } from "../db/ids.js";
import { Sql, sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { displayPrefix, generateApiKeySecret, hashApiKeySecret } from "./api-key-secret.js";
import { ApiKeyStore, type ApiKeySummary } from "./api-keys.store.js";
import { CreateApiKeyInput } from "./identity.inputs.js";
import { sqlInPrismaTransaction } from "./organizations.store.js";
import { UserStore } from "./users.store.js";
import type { Viewer } from "./viewer.js";

export type { ApiKeySummary } from "./api-keys.store.js";
export type CreatedApiKey = { apiKey: ApiKeySummary; secret: string };

/** Where a key is written: the Prisma client's pool, a Prisma transaction, or a kernel one. */
type Db = PrismaClient | Prisma.TransactionClient | Sql;

function executorOf(db: Db): Sql {
  if (db instanceof Sql) return db;
  return "$transaction" in db ? sqlOf(db as PrismaClient) : sqlInPrismaTransaction(db);
}

/** Low level: no permission checks. Used by organisation creation and by ApiKeyService. */
export async function issueApiKey(
  db: Db,
  input: {
    organizationId: string;
    userId: string;
    name: string;
    scopes: string[];
    canActForUsers?: boolean;
    rateLimitPerMinute?: number | undefined;
    expiresAt?: Date | undefined;
    /** A caller-chosen secret (BOOTSTRAP_API_KEY); generated when absent. */
    secret?: string | undefined;
  },
): Promise<CreatedApiKey> {
  const store = new ApiKeyStore(executorOf(db));
  const secret = input.secret ?? generateApiKeySecret();
  const secretHash = hashApiKeySecret(secret);
  if (await store.secretHashExists(secretHash))
    throw new ConflictError("An API key with this secret already exists");
  const apiKey = await store.insert({
    organizationId: input.organizationId,
    userId: input.userId,
    name: input.name,
    prefix: displayPrefix(secret),
    secretHash,
    scopes: input.scopes,
    canActForUsers: input.canActForUsers ?? false,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    expiresAt: input.expiresAt ?? null,
  });
  return { apiKey, secret };
}

export class ApiKeyService {
  private readonly sql: Sql;
  private readonly keys: ApiKeyStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.sql = sqlOf(prisma);
    this.keys = new ApiKeyStore(this.sql);
  }

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateApiKeyInput, input);
    this.viewer.requireGrantable(data.scopes);
    const userId = data.userId ?? this.viewer.user.id;
    const known = await new UserStore(this.sql).existingIds(this.viewer.organization.id, [userId]);
    if (known.size === 0) throw new NotFoundError(`User ${userId} not found`);
    return issueApiKey(this.sql, { ...data, organizationId: this.viewer.organization.id, userId });
  }

  async list(): Promise<ApiKeySummary[]> {
    this.viewer.require("org:admin");
    return this.keys.list(this.viewer.organization.id);
  }

  /** One key of the organisation, or null (also for ids that are not ours or not valid). */
  async find(id: string): Promise<ApiKeySummary | null> {
    this.viewer.require("org:admin");
    if (!isUuid(id)) return null;
    return (await this.keys.byId(this.viewer.organization.id, id)) ?? null;
  }

  /** Revokes a key of the organisation; revoking it again keeps the first revocation's time. */
  async revoke(id: string): Promise<ApiKeySummary> {
    this.viewer.require("org:admin");
    const key = isUuid(id) ? await this.keys.revoke(this.viewer.organization.id, id) : undefined;
    if (!key) throw new NotFoundError(`API key ${id} not found`);
    return key;
  }
}
