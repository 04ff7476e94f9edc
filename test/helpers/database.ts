// A fresh, migrated database per test file: in-memory PGlite by default, or a new database on
// the PostgreSQL server of TEST_DATABASE_URL (created here, dropped on close).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openDatabase } from "../../src/db/database.js";

const quiet = { info() {}, warn() {} };

export function testDatabaseServerUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** Creates an empty database on the TEST_DATABASE_URL server and returns its URL. */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gw_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function openTestDatabase(): Promise<Database> {
  const serverUrl = testDatabaseServerUrl();
  if (!serverUrl) return openDatabase({ url: undefined, dataDir: undefined, logger: quiet });
  const scratch = await createScratchDatabase(serverUrl);
  const db = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 4 });
  return {
    ...db,
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}
