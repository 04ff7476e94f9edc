// API keys: organisation-scoped, named, optionally expiring, revocable, carrying scopes,
// belonging to a user. The secret is returned once, by issueApiKey, and stored as a hash.
import { ConflictError, NotFoundError } from "../errors.js";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { displayPrefix, generateApiKeySecret, hashApiKeySecret } from "./api-key-secret.js";
import { isUuid } from "./authenticate.js";
import { CreateApiKeyInput } from "./identity.inputs.js";
import type { Viewer } from "./viewer.js";

type Db = PrismaClient | Prisma.TransactionClient;

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
export type CreatedApiKey = { apiKey: ApiKeySummary; secret: string };

const summarySelect = {
  id: true,
  organizationId: true,
  userId: true,
  name: true,
  prefix: true,
  scopes: true,
  canActForUsers: true,
  rateLimitPerMinute: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  createdAt: true,
} as const;

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
  const secret = input.secret ?? generateApiKeySecret();
  const secretHash = hashApiKeySecret(secret);
  const existing = await db.apiKey.findUnique({ where: { secretHash }, select: { id: true } });
  if (existing) throw new ConflictError("An API key with this secret already exists");
  const apiKey = await db.apiKey.create({
    data: {
      organizationId: input.organizationId,
      userId: input.userId,
      name: input.name,
      prefix: displayPrefix(secret),
      secretHash,
      scopes: input.scopes,
      canActForUsers: input.canActForUsers ?? false,
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      expiresAt: input.expiresAt ?? null,
    },
    select: summarySelect,
  });
  return { apiKey, secret };
}

export class ApiKeyService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateApiKeyInput, input);
    this.viewer.requireGrantable(data.scopes);
    const userId = data.userId ?? this.viewer.user.id;
    const user = await this.prisma.user.findFirst({
      where: { id: userId, organizationId: this.viewer.organization.id },
      select: { id: true },
    });
    if (!user) throw new NotFoundError(`User ${userId} not found`);
    return issueApiKey(this.prisma, { ...data, organizationId: this.viewer.organization.id, userId });
  }

  async list(): Promise<ApiKeySummary[]> {
    this.viewer.require("org:admin");
    return this.prisma.apiKey.findMany({
      where: { organizationId: this.viewer.organization.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: summarySelect,
    });
  }

  /** One key of the organisation, or null (also for ids that are not ours or not valid). */
  async find(id: string): Promise<ApiKeySummary | null> {
    this.viewer.require("org:admin");
    if (!isUuid(id)) return null;
    return this.prisma.apiKey.findFirst({
      where: { id, organizationId: this.viewer.organization.id },
      select: summarySelect,
    });
  }

  async revoke(id: string): Promise<ApiKeySummary> {
    this.viewer.require("org:admin");
    const key = await this.find(id);
    if (!key) throw new NotFoundError(`API key ${id} not found`);
    return this.prisma.apiKey.update({
      where: { id },
      data: { revokedAt: key.revokedAt ?? new Date() },
      select: summarySelect,
    });
  }
}
