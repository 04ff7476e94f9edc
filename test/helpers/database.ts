// A fresh, migrated database per test file: in-memory PGlite by default, or a new database on
// the PostgreSQL server of TEST_DATABASE_URL (created here, dropped on close).
import { type Database, openDatabase } from "../../src/db/database.js";
import {
  createScratchDatabase as createScratch,
  type ScratchDatabase,
} from "../../src/db/scratch-database.js";

const quiet = { info() {}, warn() {} };

export function testDatabaseServerUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** Creates an empty database on the TEST_DATABASE_URL server and returns its URL. */
export function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  return createScratch(serverUrl, "gw_test");
}

export async function openTestDatabase(): Promise<Database> {
  const serverUrl = testDatabaseServerUrl();
  if (!serverUrl) return openDatabase({ url: undefined, dataDir: undefined, logger: quiet });
  const scratch = await createScratchDatabase(serverUrl);
  const db = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 4 });
  return {
    ...db,
    async close() {
      // The scratch database goes with its demo warehouse (a database and a role of its own)
      // even when closing the pool fails.
      try {
        await db.close();
      } finally {
        await scratch.drop();
      }
    },
  };
}
