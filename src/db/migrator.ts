// Applies prisma/migrations/*/migration.sql at start-up: each file once, in order, each in its
// own transaction, under a PostgreSQL advisory lock so that several processes starting together
// migrate once. Bookkeeping goes to `_prisma_migrations` with Prisma's own columns and
// checksums, so `prisma migrate status` on a machine with the native engine agrees with us.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** Arbitrary but fixed: the key of the advisory lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 72_707_369;

export type Migration = { name: string; sql: string; checksum: string };
export type MigrationLogger = { info(msg: string): void; warn(msg: string): void };

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
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
      }>(
        `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
      );
      const recorded = new Map(rows.map((row) => [row.migration_name, row]));
      const applied: string[] = [];
      for (const migration of migrations) {
        const previous = recorded.get(migration.name);
        if (previous && !previous.finished_at) {
          throw new Error(
            `Migration ${migration.name} started earlier but did not finish. Inspect the database, then mark it rolled back (rolled_back_at) in _prisma_migrations.`,
          );
        }
        if (previous) {
          if (previous.checksum !== migration.checksum) {
            logger.warn(`Migration ${migration.name} was modified after it was applied (checksum differs).`);
          }
          continue;
        }
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
             VALUES ($1, $2, $3, now(), now(), 1)`,
            [randomUUID(), migration.checksum, migration.name],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        logger.info(`Applied migration ${migration.name}`);
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
