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

/**
 * Behind a transaction pooler (TEST_DATABASE_URL with ?pgbouncer=true, .ci/run), the change
 * feed's direct session: TEST_DATABASE_LISTEN_URL's server, on the scratch database `url` names.
 */
export function listenUrlFor(url: string): string | undefined {
  const direct = process.env.TEST_DATABASE_LISTEN_URL;
  if (!direct) return undefined;
  const listen = new URL(direct);
  listen.pathname = new URL(url).pathname;
  return listen.toString();
}

export async function openTestDatabase(): Promise<Database> {
  const serverUrl = testDatabaseServerUrl();
  if (!serverUrl) return openDatabase({ url: undefined, dataDir: undefined, logger: quiet });
  const scratch = await createScratchDatabase(serverUrl);
  const db = await openDatabase({
    url: scratch.url,
    listenUrl: listenUrlFor(scratch.url),
    logger: quiet,
    poolSize: 4,
  });
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
