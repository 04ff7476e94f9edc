// Opens the application's database: the PostgreSQL at DATABASE_URL, or the embedded PGlite in
// DATA_DIR; applies pending migrations; returns a Prisma client bound to it.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { type ChangeFeed, LISTEN_STATEMENT, PoolFeed, SessionFeed, SilentFeed } from "./change-feed.js";
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
  /**
   * A direct (session) connection URL for the change feed when `url` goes through a
   * transaction-mode pooler (DATABASE_LISTEN_URL; see docs/deployment.md).
   */
  listenUrl?: string | undefined;
  /** False: never prepare named statements (a database shared with another process's session). */
  prepare?: boolean;
};

/**
 * `?pgbouncer=true` on a URL (Prisma's convention) says a transaction-mode pooler is in between:
 * no session state may outlive a transaction. Returns the URL without it, for the drivers.
 */
export function poolerMode(url: string): { url: string; transactionPooler: boolean } {
  const parsed = new URL(url);
  const flag = parsed.searchParams.get("pgbouncer");
  if (flag === null) return { url, transactionPooler: false };
  parsed.searchParams.delete("pgbouncer");
  return { url: parsed.toString(), transactionPooler: flag === "true" || flag === "1" };
}

/** Writes after which a pooled session waits for the change feed's barrier (change-feed.ts). */
const WRITES = new Set(["COMMIT", "INSERT", "UPDATE", "DELETE", "MERGE"]);

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.url
    ? undefined
    : await startEmbeddedPostgres(options.dataDir ? path.join(options.dataDir, "pglite") : undefined);
  const { url, transactionPooler } = poolerMode(options.url ?? embedded!.url);
  let feed: SessionFeed | undefined;
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
      if (!feed) return query.apply(this, args);
      const listening = feed;
      const callback = args.at(-1);
      if (typeof callback === "function") {
        // pool.query (Prisma's adapter) passes a callback: called once the barrier is passed.
        const done = callback as (error: Error | null, value?: pg.QueryResult) => void;
        args[args.length - 1] = (error: Error | null, value?: pg.QueryResult) => {
          if (error || !WRITES.has(value?.command ?? "")) return done(error, value);
          listening.barrier().then(() => done(null, value));
        };
        return query.apply(this, args);
      }
      const result = query.apply(this, args);
      if (!(result instanceof Promise)) return result;
      return result.then(async (value: pg.QueryResult) => {
        if (WRITES.has(value?.command)) await listening.barrier();
        return value;
      });
    } as pg.Client["query"];
    // Every connection LISTENs for the change feed before the pool hands it out (change-feed.ts),
    // except behind a transaction pooler, where the LISTEN would not outlive its transaction.
    const connect = pg.Client.prototype.connect as unknown as (this: pg.Client) => Promise<unknown>;
    CountingClient.prototype.connect = function (this: pg.Client, callback?: (error?: Error) => void) {
      const connected = connect
        .call(this)
        .then(() =>
          transactionPooler ? undefined : (query.call(this, LISTEN_STATEMENT) as Promise<unknown>),
        )
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
    let changes: ChangeFeed;
    if (!transactionPooler) {
      const poolFeed = new PoolFeed(pool);
      // The embedded database's other clients (the admin CLI) commit in its one session too.
      embedded?.onNotification((channel, payload) => poolFeed.notify(channel, payload));
      changes = poolFeed;
    } else if (options.listenUrl) {
      feed = new SessionFeed(poolerMode(options.listenUrl).url, (error) =>
        options.logger.warn(`change feed: ${error.message}`),
      );
      await feed.start();
      changes = feed;
    } else {
      options.logger.warn(
        "DATABASE_URL goes through a transaction pooler and DATABASE_LISTEN_URL is unset: the authentication cache is off",
      );
      changes = new SilentFeed();
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    // Named statements are per session: not behind a transaction pooler (PgBouncer 1.18 does
    // not track them), nor on the embedded database (one session shared by every client).
    const sql = new SqlPool(pool, changes, !embedded && !transactionPooler && options.prepare !== false);
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
        await feed?.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await feed?.close();
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
