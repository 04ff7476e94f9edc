// A throwaway database on a PostgreSQL server, for tests and benchmarks: created empty with a
// random name, dropped (connections and all) when done, with the demo warehouse's database and
// cluster-wide login role when the app provisioned them. Never the server's own database.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { dropPostgresWarehouse } from "../exec/demo-warehouse.js";

export type ScratchDatabase = { url: string; drop(): Promise<void> };

export async function createScratchDatabase(
  serverUrl: string,
  prefix = "gw_scratch",
): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
      // A role outlives DROP DATABASE: without this, every run left one on the server.
      await dropPostgresWarehouse(serverUrl, name);
    },
  };
}
