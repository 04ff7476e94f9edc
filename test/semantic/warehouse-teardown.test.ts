// The demo warehouse's reader login is a cluster-wide role: it outlives DROP DATABASE, so it must
// be dropped with the warehouse's database, whichever way a test or a benchmark tears down
// (issue 15, item 14). PostgreSQL only: the embedded warehouse is a worker with no roles.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { dropPostgresWarehouse, warehouseNames } from "../../src/exec/demo-warehouse.js";
import { execEnvironment, installExecEnvironment } from "../../src/exec/exec-environment.js";
import { createTestApp } from "../helpers/app.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

const server = testDatabaseServerUrl();
const quiet = { info() {}, warn() {} };

/** Every platform database this file created; their warehouse names are this run's. */
const platformDatabases: string[] = [];

async function onServer<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The reader roles and warehouse databases of this run still on the server. */
async function leftovers(): Promise<{ roles: string[]; databases: string[] }> {
  const names = platformDatabases.map(warehouseNames);
  const roles = await onServer<{ rolname: string }>(
    `SELECT rolname FROM pg_roles
      WHERE (rolname LIKE 'gateway_warehouse_reader_%' OR rolname LIKE 'analytics_reader_%')
        AND rolname = ANY($1) ORDER BY 1`,
    [names.map((n) => n.role)],
  );
  const databases = await onServer<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1",
    [[...names.map((n) => n.database), ...platformDatabases]],
  );
  return { roles: roles.map((r) => r.rolname), databases: databases.map((d) => d.datname) };
}

afterAll(async () => {
  if (!server) return;
  // Whatever a failed assertion left: this file cleans up after itself too.
  for (const name of platformDatabases) await dropPostgresWarehouse(server, name);
});

describe.skipIf(!server)("the demo warehouse's reader role on PostgreSQL", () => {
  it("goes with a test app's database when the app closes", async () => {
    const t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: "e".repeat(64) });
    const session = await execEnvironment(t.prisma).warehouse.session();
    platformDatabases.push(new URL(t.db.url).pathname.slice(1));
    const names = warehouseNames(platformDatabases.at(-1) as string);
    expect(session.config.user).toBe(names.role);
    expect((await leftovers()).roles).toEqual([names.role]);
    await t.close();
    expect(await leftovers()).toEqual({ roles: [], databases: [] });
  }, 120_000);

  it("goes with a scratch database that a server or a benchmark provisioned it in", async () => {
    const scratch = await createScratchDatabase(server as string);
    const platform = new URL(scratch.url).pathname.slice(1);
    platformDatabases.push(platform);
    const db = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 2 });
    const config = loadConfig({
      DEMO_DATA: "false",
      LOG_LEVEL: "silent",
      CONNECTIONS_ENCRYPTION_KEY: "f".repeat(64),
    });
    const environment = installExecEnvironment(db, config);
    await environment.warehouse.session();
    const names = warehouseNames(platform);
    expect(await leftovers()).toEqual({
      roles: [names.role],
      databases: [platform, names.database].sort(),
    });
    await environment.close();
    await db.close();
    await scratch.drop();
    expect(await leftovers()).toEqual({ roles: [], databases: [] });
  }, 120_000);
});
