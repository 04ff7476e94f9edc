// Applies prisma/migrations/*/migration.sql at start-up: each file once, in order, each in its
// own transaction under a transaction-scoped PostgreSQL advisory lock, so that several processes
// starting together migrate once and nothing outlives a transaction (the migrator runs through a
// transaction-mode pooler such as PgBouncer too: docs/deployment.md). Bookkeeping goes to
// `_prisma_migrations` with Prisma's own columns and checksums, so `prisma migrate status` on a
// machine with the native engine agrees with us.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** Arbitrary but fixed: the key of the advisory lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 72_707_369;

export type Migration = { name: string; sql: string; checksum: string };
/** Where the migrator reports each step; `fields` carry the migration's name and timings. */
export type MigrationLogger = {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
};

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Returns the names of the migrations this call applied (empty when all were there). */
export async function migrate(
  connectionString: string,
  logger: MigrationLogger,
  migrations = readMigrations(),
): Promise<string[]> {
  // A server that does not answer fails the start within seconds, not after the OS's TCP timeout.
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const startedAt = performance.now();
    await locked(client, () => client.query(CREATE_TABLE));
    const recorded = await recordedMigrations(client);
    const applied: string[] = [];
    for (const migration of migrations) {
      const previous = recorded.get(migration.name);
      if (previous) {
        check(migration, previous, logger);
        continue;
      }
      const t0 = performance.now();
      logger.info("migration started", { migration: migration.name });
      // Checked again under the lock: another process may have applied it since the read above.
      const outcome = await locked(client, async () => {
        const now = (await recordedMigrations(client, migration.name)).get(migration.name);
        if (now) return now;
        try {
          await client.query(migration.sql);
        } catch (error) {
          throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        return "applied" as const;
      });
      const durationMs = Math.round(performance.now() - t0);
      if (outcome === "applied") {
        logger.info("migration finished", { migration: migration.name, durationMs });
        applied.push(migration.name);
      } else {
        check(migration, outcome, logger);
        logger.info("migration finished by another process", { migration: migration.name, durationMs });
      }
    }
    logger.info("migrations up to date", {
      applied: applied.length,
      total: migrations.length,
      durationMs: Math.round(performance.now() - startedAt),
    });
    return applied;
  } finally {
    await client.end();
  }
}

type Recorded = { migration_name: string; checksum: string; finished_at: Date | null };

async function recordedMigrations(client: pg.Client, name?: string): Promise<Map<string, Recorded>> {
  const { rows } = await client.query<Recorded>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
      WHERE rolled_back_at IS NULL AND ($1::text IS NULL OR migration_name = $1::text)`,
    [name ?? null],
  );
  return new Map(rows.map((row) => [row.migration_name, row]));
}

function check(migration: Migration, previous: Recorded, logger: MigrationLogger): void {
  if (!previous.finished_at) {
    throw new Error(
      `Migration ${migration.name} started earlier but did not finish. Inspect the database, then mark it rolled back (rolled_back_at) in _prisma_migrations.`,
    );
  }
  if (previous.checksum !== migration.checksum) {
    logger.warn(`Migration ${migration.name} was modified after it was applied (checksum differs).`, {
      migration: migration.name,
    });
  }
}

/** Runs `work` in a transaction holding the migrators' advisory lock (released at its end). */
async function locked<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
