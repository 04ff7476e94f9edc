// Every environment variable the server reads, parsed and validated in one place.
import path from "node:path";
import { z } from "zod";
import { type AllowedHost, parseAllowedHost } from "./exec/connection-targets.js";

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

const ConfigSchema = z.object({
  METRICS_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters, it is a secret")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  METRICS_PORT: z.coerce.number({ message: "must be a number" }).int().min(0).max(65535).optional(),
  PORT: z.coerce.number({ message: "must be a number" }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
    .optional(),
  DATABASE_LISTEN_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  BOOTSTRAP_API_KEY: z
    .string()
    .min(24, "must be at least 24 characters, it is a secret")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DEMO_DATA: booleanFlag.default(true),
  GRAPHQL_INTROSPECTION: booleanFlag.default(true),
  GRAPHQL_JIT: booleanFlag.default(true),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(10).default(10_000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  GRAPHQL_MAX_DOCUMENT_BYTES: z.coerce.number().int().min(1024).max(10_000_000).default(100_000),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(5000),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(1).max(10_000).default(50),
  GRAPHQL_DOCUMENT_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(1000),
  GRAPHQL_DOCUMENT_CACHE_BYTES: z.coerce.number().int().min(0).default(32_000_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1000),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  RENEW_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(168).default(24),
  IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  CONNECTIONS_ENCRYPTION_KEY: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, "must be 32 bytes as 64 hex digits or base64")
    .optional(),
  EXEC_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  EXEC_MAX_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  EXEC_ALLOWED_HOSTS: z
    .string()
    .transform((text, ctx) => {
      const entries = text
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean);
      const parsed = entries.map(parseAllowedHost);
      const bad = entries.filter((_, i) => !parsed[i]);
      if (bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `not a host name, IP address or CIDR range: ${bad.join(", ")}`,
        });
      }
      return parsed.filter((entry) => entry !== undefined);
    })
    .optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  // Refresh tokens rotate once they are 5 days old (seed 004): a shorter life would never rotate.
  REFRESH_TOKEN_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(6, "must be more than the 5 days after which refresh tokens rotate")
    .max(3650)
    .default(30),
});

export type Config = {
  /**
   * /metrics (docs/operations.md): on the main port behind `Bearer <token>` when only the token
   * is set; on a listener of its own at `port` (on HOST) when the port is set; not served otherwise.
   */
  metrics: { token: string | undefined; port: number | undefined };
  port: number;
  host: string;
  /** The server's address as clients see it (absolute URLs in SCIM); unset: the request's Host. */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  /** A direct session for the change feed when DATABASE_URL goes through a transaction pooler. */
  databaseListenUrl: string | undefined;
  dataDir: string;
  bootstrapApiKey: string | undefined;
  redisUrl: string | undefined;
  logLevel: z.infer<typeof ConfigSchema>["LOG_LEVEL"];
  demoData: boolean;
  graphql: {
    introspection: boolean;
    /** Execute operations compiled by graphql-jit (docs/benchmarks.md has the figures). */
    jit: boolean;
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    /** Documents are refused before parsing above these (src/graphql/document-limits.ts). */
    maxDocumentBytes: number;
    maxTokens: number;
    /** Most directives (`@include`, `@skip`…) in one operation, fragments counted once each. */
    maxDirectives: number;
    /** Parsed documents kept for reuse: at most this many, and this many estimated heap bytes. */
    documentCache: { maxEntries: number; maxBytes: number };
  };
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** perMinute per credential; renewPerMinute per client address on the token renewal endpoints. */
  rateLimit: { perMinute: number; windowSeconds: number; renewPerMinute: number };
  idempotencyTtlHours: number;
  /** How long an in-progress Idempotency-Key claim holds without renewal (src/rest/idempotency.ts). */
  idempotencyLeaseSeconds: number;
  /** SQL execution on named connections (src/exec). */
  exec: {
    encryptionKey: string | undefined;
    statementTimeoutMs: number;
    maxRows: number;
    /** Private or loopback hosts that data connections may still point at (EXEC_ALLOWED_HOSTS). */
    allowedHosts: AllowedHost[];
  };
  /** Refresh and access tokens of the public API (src/tokens, docs/tokens.md). */
  tokens: { accessTokenTtlSeconds: number; refreshTokenTtlDays: number };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One line: it is what the server prints before exiting with code 2.
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Variables whose values are secrets: an error names them but never shows what they hold. */
const SECRET_VARIABLES = new Set(["BOOTSTRAP_API_KEY", "CONNECTIONS_ENCRYPTION_KEY", "METRICS_TOKEN"]);
/** Variables that are URLs and may carry a password. */
const URL_VARIABLES = new Set(["DATABASE_URL", "DATABASE_LISTEN_URL", "REDIS_URL", "PUBLIC_URL"]);

/** A variable's value as an error may show it: secrets by length only, URLs without password. */
export function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return "unset";
  if (SECRET_VARIABLES.has(name)) return `a value of ${value.length} characters, not shown`;
  if (URL_VARIABLES.has(name)) return `got ${JSON.stringify(redactUrl(value))}`;
  return `got ${JSON.stringify(value)}`;
}

/** A connection URL without its password (`postgresql://user:***@host/db`). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/** Reads the configuration from an environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) =>
          `${issue.path.join(".")}: ${issue.message} (${describeValue(String(issue.path[0]), present[String(issue.path[0])])})`,
      ),
    );
  }
  const c = parsed.data;
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT !== 0 && c.METRICS_PORT === c.PORT) {
    throw new ConfigError([`METRICS_PORT: must differ from PORT (got ${c.METRICS_PORT})`]);
  }
  return {
    metrics: { token: c.METRICS_TOKEN, port: c.METRICS_PORT },
    port: c.PORT,
    host: c.HOST,
    publicUrl: c.PUBLIC_URL,
    databaseUrl: c.DATABASE_URL,
    databaseListenUrl: c.DATABASE_LISTEN_URL,
    dataDir: path.resolve(c.DATA_DIR),
    bootstrapApiKey: c.BOOTSTRAP_API_KEY,
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    demoData: c.DEMO_DATA,
    graphql: {
      introspection: c.GRAPHQL_INTROSPECTION,
      jit: c.GRAPHQL_JIT,
      maxDepth: c.GRAPHQL_MAX_DEPTH,
      maxCost: c.GRAPHQL_MAX_COST,
      maxAliases: c.GRAPHQL_MAX_ALIASES,
      maxDocumentBytes: c.GRAPHQL_MAX_DOCUMENT_BYTES,
      maxTokens: c.GRAPHQL_MAX_TOKENS,
      maxDirectives: c.GRAPHQL_MAX_DIRECTIVES,
      documentCache: {
        maxEntries: c.GRAPHQL_DOCUMENT_CACHE_ENTRIES,
        maxBytes: c.GRAPHQL_DOCUMENT_CACHE_BYTES,
      },
    },
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    rateLimit: {
      perMinute: c.RATE_LIMIT_PER_MINUTE,
      windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS,
      renewPerMinute: c.RENEW_RATE_LIMIT_PER_MINUTE,
    },
    idempotencyTtlHours: c.IDEMPOTENCY_TTL_HOURS,
    idempotencyLeaseSeconds: c.IDEMPOTENCY_LEASE_SECONDS,
    exec: {
      encryptionKey: c.CONNECTIONS_ENCRYPTION_KEY,
      statementTimeoutMs: c.EXEC_STATEMENT_TIMEOUT_MS,
      maxRows: c.EXEC_MAX_ROWS,
      allowedHosts: c.EXEC_ALLOWED_HOSTS ?? [],
    },
    tokens: {
      accessTokenTtlSeconds: c.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: c.REFRESH_TOKEN_TTL_DAYS,
    },
  };
}
