// Opens the application's database: the PostgreSQL at DATABASE_URL, or the embedded PGlite in
// DATA_DIR; applies pending migrations; returns a Prisma client bound to it.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { LISTEN_STATEMENT, PoolFeed } from "./change-feed.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { type MigrationLogger, migrate } from "./migrator.js";
import { bindSql, SqlPool } from "./sql.js";

export type Database = {
  prisma: PrismaClient;
  /** The stores' executor, on the same pool as `prisma`. */
  sql: SqlPool;
  /** Statements sent since the database was opened (by Prisma and the stores alike). */
  statementCount(): number;
  /** Calls `observer` with every statement sent from now on; returns a function that stops it. */
  observeStatements(observer: StatementObserver): () => void;
  /** Calls `observer` with every statement's duration from now on; returns a function that stops it. */
  observeStatementTimings(observer: StatementTimingObserver): () => void;
  /** The pool's connections now (pg.Pool's counts), read by the metrics. */
  poolStats(): PoolStats;
  /** "postgresql" or "embedded": shown by /readyz and the start-up log. */
  kind: "postgresql" | "embedded";
  /** The URL the application reaches its database at (the embedded server's loopback URL). */
  url: string;
  ping(): Promise<void>;
  close(): Promise<void>;
};

export type StatementObserver = (text: string, values: unknown[]) => void;
/** A statement's text, how long it took (seconds, until its result or error) and whether it failed. */
export type StatementTimingObserver = (text: string, seconds: number, failed: boolean) => void;
export type PoolStats = { total: number; idle: number; waiting: number; max: number };

export type OpenDatabaseOptions = {
  /** A PostgreSQL URL; when absent the embedded database is used. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; undefined means in memory. */
  dataDir?: string | undefined;
  logger: MigrationLogger;
  poolSize?: number;
};

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.url
    ? undefined
    : await startEmbeddedPostgres(options.dataDir ? path.join(options.dataDir, "pglite") : undefined);
  const url = options.url ?? embedded!.url;
  try {
    await migrate(url, options.logger);
    // One pool for Prisma and the stores. The embedded server has a single session: one pooled
    // connection (see embedded.ts).
    let statements = 0;
    const observers = new Set<StatementObserver>();
    const timings = new Set<StatementTimingObserver>();
    // Every statement of the pool passes here, Prisma's and the stores' alike.
    const CountingClient = class extends pg.Client {} as typeof pg.Client;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    CountingClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      statements += 1;
      if (observers.size > 0) {
        const first = args[0] as string | { text?: string; values?: unknown[] };
        const text = typeof first === "string" ? first : (first?.text ?? "");
        const values = (typeof first === "string" ? args[1] : first?.values) as unknown[] | undefined;
        for (const observer of observers) observer(text, values ?? []);
      }
      return query.apply(this, args);
    } as pg.Client["query"];
    // Every connection LISTENs for the change feed before the pool hands it out (change-feed.ts).
    const connect = pg.Client.prototype.connect as unknown as (this: pg.Client) => Promise<unknown>;
    CountingClient.prototype.connect = function (this: pg.Client, callback?: (error?: Error) => void) {
      const connected = connect
        .call(this)
        .then(() => query.call(this, LISTEN_STATEMENT) as Promise<unknown>)
        .then(() => this);
      if (!callback) return connected;
      connected.then(() => callback(), callback);
      return undefined;
    } as unknown as pg.Client["connect"];
    timeStatements(CountingClient, timings);
    const pool = new pg.Pool({
      connectionString: url,
      max: embedded ? 1 : (options.poolSize ?? 10),
      Client: CountingClient,
    });
    // An idle connection that breaks (the server restarted) is dropped by the pool; requests see
    // the failure of their own statements (503, src/db/unavailable.ts).
    pool.on("error", () => {});
    const changes = new PoolFeed(pool);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const sql = new SqlPool(pool, changes, !embedded);
    bindSql(prisma, sql);
    await prisma.$connect();
    return {
      prisma,
      sql,
      statementCount: () => statements,
      observeStatements(observer) {
        observers.add(observer);
        return () => observers.delete(observer);
      },
      observeStatementTimings(observer) {
        timings.add(observer);
        return () => timings.delete(observer);
      },
      poolStats: () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: pool.options.max ?? 10,
      }),
      kind: embedded ? "embedded" : "postgresql",
      url,
      async ping() {
        await sql.rows({ text: "SELECT 1", values: [] });
      },
      async close() {
        await prisma.$disconnect();
        await pool.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/**
 * Wraps the client's `query` so that each statement's duration reaches `observers` (the metrics,
 * src/observability). With no observer it costs one size check.
 */
function timeStatements(Client: typeof pg.Client, observers: Set<StatementTimingObserver>): void {
  const inner = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (observers.size === 0) return inner.apply(this, args);
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === "string" ? first : (first?.text ?? "");
    const started = performance.now();
    const report = (failed: boolean) => {
      const seconds = (performance.now() - started) / 1000;
      for (const observer of observers) observer(text, seconds, failed);
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (error: unknown, result: unknown) => {
        report(Boolean(error));
        return callback(error, result);
      };
      return inner.apply(this, args);
    }
    let result: unknown;
    try {
      result = inner.apply(this, args);
    } catch (error) {
      report(true);
      throw error;
    }
    if (result instanceof Promise) {
      result.then(
        () => report(false),
        () => report(true),
      );
    }
    return result;
  } as pg.Client["query"];
}
