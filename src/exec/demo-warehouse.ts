// The demo warehouse: the operator's own data connection, which lives apart from the platform's
// database by construction (docs/semantic.md, "The demo warehouse").
// - Embedded (no DATABASE_URL): its own PGlite instance in its own worker thread, holding nothing
//   but the warehouse; the platform's PGlite is never reached by tenant SQL.
// - PostgreSQL: its own database `<platform database>_warehouse` on the same server, reached by a
//   LOGIN role that is not a superuser, is a member of no role, owns nothing and may only connect
//   to that database and read the schema `analytics`. The platform's database no longer grants
//   CONNECT to PUBLIC.
// The connection row stores the symbolic URL DEMO_WAREHOUSE_URL; the live address (a port that
// changes with every start) is resolved here when a session is opened.
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { parse as parseConnectionString } from "pg-connection-string";

/** What the demo connection stores instead of a URL; no user input can spell it (postgres:// only). */
export const DEMO_WAREHOUSE_URL = "gateway-warehouse://demo";

export const DEMO_ORDER_COUNT = 100_000;

export const WAREHOUSE_SQL = `
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.dim_customers (
  id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, country text NOT NULL, segment text NOT NULL);
CREATE TABLE IF NOT EXISTS analytics.dim_products (
  id integer PRIMARY KEY, name text NOT NULL, category text NOT NULL, unit_price numeric(10,2) NOT NULL);
CREATE TABLE IF NOT EXISTS analytics.fact_orders (
  id integer PRIMARY KEY, order_date date NOT NULL, customer_id integer NOT NULL REFERENCES analytics.dim_customers(id),
  product_id integer NOT NULL REFERENCES analytics.dim_products(id), quantity integer NOT NULL,
  amount numeric(12,2) NOT NULL, status text NOT NULL);
INSERT INTO analytics.dim_customers
SELECT i, 'Customer ' || i, 'customer' || i || '@' || (ARRAY['example.com','mail.test','corp.example'])[1 + i % 3],
       (ARRAY['US','DE','FR','JP','BR','IN'])[1 + i % 6], (ARRAY['Consumer','Corporate','Home Office'])[1 + (i * 7) % 3]
FROM generate_series(1, 1000) AS i ON CONFLICT DO NOTHING;
INSERT INTO analytics.dim_products
SELECT i, 'Product ' || i, (ARRAY['Furniture','Office Supplies','Technology','Books'])[1 + i % 4], round((5 + (i * 37) % 500)::numeric, 2)
FROM generate_series(1, 200) AS i ON CONFLICT DO NOTHING;
INSERT INTO analytics.fact_orders
SELECT i, DATE '2023-01-01' + (i * 13) % 730, 1 + (i * 7919) % 1000, 1 + (i::bigint * 104729) % 200, 1 + i % 5,
       round(((i * 7907) % 200000)::numeric / 100 + 1, 2), (ARRAY['completed','completed','completed','returned','pending'])[1 + i % 5]
FROM generate_series(1, ${DEMO_ORDER_COUNT}) AS i ON CONFLICT DO NOTHING;
`;

export type WarehouseSession = {
  config: pg.ClientConfig;
  /** One PGlite session shared by every client: results are read whole (execution.service.ts). */
  embedded: boolean;
  /** After a statement outran its timeout: the embedded warehouse is replaced by a fresh one. */
  abandon(): Promise<void>;
};

export interface DemoWarehouse {
  readonly kind: "embedded" | "postgresql";
  session(): Promise<WarehouseSession>;
  close(): Promise<void>;
}

export function createDemoWarehouse(options: {
  platformDatabaseUrl: string;
  platformKind: "embedded" | "postgresql";
  /** Derives the reader's password, so every instance on one database agrees on it. */
  derivePassword: (label: string) => string;
}): DemoWarehouse {
  return options.platformKind === "embedded"
    ? new EmbeddedWarehouse()
    : new PostgresWarehouse(options.platformDatabaseUrl, options.derivePassword);
}

/** A worker and the address its server will listen on once seeded (the worker is known at once, so
 * shutting down never waits for a seed in progress). */
type RunningWorker = { worker: Worker; address: Promise<string> };

class EmbeddedWarehouse implements DemoWarehouse {
  readonly kind = "embedded" as const;
  private running?: RunningWorker;
  /** The seeded data directory (gzip tarball): restarts load it instead of seeding again. */
  private snapshot?: Uint8Array;

  session(): Promise<WarehouseSession> {
    this.running ??= this.start();
    const running = this.running;
    return running.address.then(
      (address) => ({
        config: { connectionString: `postgresql://postgres@${address}/postgres?sslmode=disable` },
        embedded: true,
        abandon: () => this.stop(running),
      }),
      (error) => {
        if (this.running === running) this.running = undefined;
        throw error;
      },
    );
  }

  private start(): RunningWorker {
    const worker = new Worker(new URL("./warehouse-worker.mjs", import.meta.url), {
      workerData: this.snapshot ? { snapshot: this.snapshot } : { seedSql: WAREHOUSE_SQL },
    });
    // The warehouse never keeps the process alive; the app closes it on shutdown.
    worker.unref();
    const address = new Promise<string>((resolve, reject) => {
      worker.once("message", (message: { address: string; snapshot?: Uint8Array }) => {
        if (message.snapshot) this.snapshot = message.snapshot;
        resolve(message.address);
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`demo warehouse worker exited with code ${code}`)));
    });
    // Nobody may be waiting yet (a stop before the first session): never an unhandled rejection.
    address.catch(() => {});
    const running = { worker, address };
    worker.on("exit", () => {
      if (this.running === running) this.running = undefined;
    });
    worker.on("error", () => {});
    return running;
  }

  private async stop(running: RunningWorker): Promise<void> {
    if (this.running === running) this.running = undefined;
    await running.worker.terminate();
  }

  async close(): Promise<void> {
    if (this.running) await this.stop(this.running);
  }
}

/** Names of a platform database's warehouse database and reader role (roles are cluster-wide). */
export function warehouseNames(platformDatabase: string): { database: string; role: string } {
  const hash = createHash("sha256").update(platformDatabase).digest("hex").slice(0, 12);
  const database = `${platformDatabase}_warehouse`;
  return {
    database: Buffer.byteLength(database) <= 63 ? database : `gateway_warehouse_${hash}`,
    role: `gateway_warehouse_reader_${hash}`,
  };
}

class PostgresWarehouse implements DemoWarehouse {
  readonly kind = "postgresql" as const;
  private ready?: Promise<pg.ClientConfig>;

  constructor(
    private readonly platformDatabaseUrl: string,
    private readonly derivePassword: (label: string) => string,
  ) {}

  session(): Promise<WarehouseSession> {
    this.ready ??= this.provision().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready.then((config) => ({ config, embedded: false, abandon: async () => {} }));
  }

  /** Creates (idempotently, concurrently with other instances) the database, role and data. */
  private async provision(): Promise<pg.ClientConfig> {
    const platform = new pg.Client({ connectionString: this.platformDatabaseUrl });
    await platform.connect();
    let names: { database: string; role: string };
    const password = this.derivePassword("demo-warehouse-reader");
    try {
      const current = (await platform.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db;
      names = warehouseNames(current);
      const exists = await platform.query("SELECT 1 FROM pg_database WHERE datname = $1", [names.database]);
      if (exists.rowCount === 0) {
        await platform.query(`CREATE DATABASE ${ident(names.database)}`).catch(ignoreDuplicate);
      }
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT 32 PASSWORD ${literal(password)}`;
      await platform
        .query(`CREATE ROLE ${ident(names.role)} ${attributes}`)
        .catch(ignoreDuplicate)
        // Re-asserted on every start: nobody widens the reader between two starts unnoticed.
        .then(() => platform.query(`ALTER ROLE ${ident(names.role)} ${attributes}`));
      const memberships = await platform.query<{ role: string }>(
        "SELECT roleid::regrole::text AS role FROM pg_auth_members WHERE member = $1::regrole",
        [names.role],
      );
      for (const { role } of memberships.rows) {
        await platform.query(`REVOKE ${role} FROM ${ident(names.role)}`);
      }
      // PostgreSQL grants CONNECT on every new database to PUBLIC; the platform's is not public.
      await platform.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${ident(current)} FROM PUBLIC`);
    } finally {
      await platform.end();
    }

    const adminUrl = new URL(this.platformDatabaseUrl);
    adminUrl.pathname = `/${names.database}`;
    const warehouse = new pg.Client({ connectionString: adminUrl.toString() });
    await warehouse.connect();
    try {
      // Instances starting together seed once; the statements are idempotent anyway.
      await warehouse.query("SELECT pg_advisory_lock(72707371)");
      await warehouse.query(WAREHOUSE_SQL);
      await warehouse.query(`
        REVOKE ALL ON DATABASE ${ident(names.database)} FROM PUBLIC;
        GRANT CONNECT ON DATABASE ${ident(names.database)} TO ${ident(names.role)};
        REVOKE ALL ON SCHEMA public FROM PUBLIC;
        GRANT USAGE ON SCHEMA analytics TO ${ident(names.role)};
        GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO ${ident(names.role)};
        -- Shared catalogs would list the server's other databases and roles: not from here.
        REVOKE SELECT ON pg_catalog.pg_database, pg_catalog.pg_roles, pg_catalog.pg_user,
          pg_catalog.pg_auth_members, pg_catalog.pg_stat_activity, pg_catalog.pg_stat_database,
          pg_catalog.pg_shdescription, pg_catalog.pg_tablespace, pg_catalog.pg_db_role_setting FROM PUBLIC;`);
    } finally {
      await warehouse.end();
    }

    const parsed = parseConnectionString(this.platformDatabaseUrl);
    const { host, port, ssl, options: _options, ...rest } = parsed;
    return {
      ...(rest as pg.ClientConfig),
      host: host ?? undefined,
      port: port ? Number(port) : 5432,
      ...(ssl === undefined ? {} : { ssl: ssl as pg.ClientConfig["ssl"] }),
      user: names.role,
      password,
      database: names.database,
    } as pg.ClientConfig;
  }

  async close(): Promise<void> {}
}

/**
 * Drops a platform database's warehouse database and its reader role, which is cluster-wide and
 * outlives any DROP DATABASE (tests and scratch databases; src/db/scratch-database.ts). The role
 * goes even when the database was already gone; it holds privileges in that database only.
 */
export async function dropPostgresWarehouse(serverUrl: string, platformDatabase: string): Promise<void> {
  const names = warehouseNames(platformDatabase);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(names.database)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${ident(names.role)}`);
  } finally {
    await admin.end();
  }
}

function ignoreDuplicate(error: { code?: string }): void {
  // 42P04 duplicate database, 42710 duplicate role, 23505 the catalog's race on either.
  if (error.code === "42P04" || error.code === "42710" || error.code === "23505") return;
  throw error;
}

/** Names built here from a database name: quoted, never user input. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  if (!/^[0-9a-f]+$/.test(text)) throw new Error("the derived password must be hex");
  return `'${text}'`;
}
