// The request paths' SQL executor: `pg` on the pool Prisma's adapter also uses (so the embedded
// database's single session is shared, never doubled). Statements are Prisma.Sql fragments
// (composable, every value a bound parameter); a `named` one is prepared once per connection and
// then only bound and executed, which suits statements whose plan does not depend on their values
// (lookups by key). Statements built per request (filters, sorts) stay unnamed: PostgreSQL plans
// each with its values, which is what lets it pick a partial index (docs/architecture.md).
import { createHash } from "node:crypto";
import type pg from "pg";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { ChangeFeed } from "./change-feed.js";
import { isRetryableConflict } from "./errors.js";

export type Statement = Prisma.Sql | { readonly text: string; readonly values: readonly unknown[] };

/** Where statements run: the pool, or one connection inside a transaction. */
type Runner = { query(config: pg.QueryConfig): Promise<pg.QueryResult> };

export class Sql {
  constructor(
    private readonly runner: Runner,
    /** Whether named statements are prepared (not on the embedded database, see SqlPool). */
    protected readonly prepare = true,
  ) {}

  /** Every row of the statement. */
  async rows<T>(statement: Statement, options: { name?: string } = {}): Promise<T[]> {
    const result = await this.run(statement, options.name);
    return result.rows as T[];
  }

  /** The first row, or undefined. */
  async maybeOne<T>(statement: Statement, options: { name?: string } = {}): Promise<T | undefined> {
    return (await this.rows<T>(statement, options))[0];
  }

  /** How many rows the statement changed. */
  async execute(statement: Statement, options: { name?: string } = {}): Promise<number> {
    return (await this.run(statement, options.name)).rowCount ?? 0;
  }

  private async run(statement: Statement, name: string | undefined): Promise<pg.QueryResult> {
    const { text, values } = statement;
    if (!name || !this.prepare) return this.runner.query({ text, values: values as unknown[] });
    try {
      return await this.runner.query({ text, values: values as unknown[], name: preparedName(name, text) });
    } catch (error) {
      // The session is not the one the connection prepared on (a pooler or a proxy in between, or
      // a server shared by connections): 42P05 already exists, 26000 does not exist. Unnamed, it
      // runs anywhere.
      const code = (error as { code?: string }).code;
      if (code !== "42P05" && code !== "26000") throw error;
      return this.runner.query({ text, values: values as unknown[] });
    }
  }
}

/** The pool-level executor, able to open transactions. */
export class SqlPool extends Sql {
  constructor(
    private readonly pool: pg.Pool,
    /** Notifications of changes, for the caches that must drop what they made stale. */
    readonly changes: ChangeFeed,
    /**
     * False on the embedded database: its connections all share PGlite's one session, where a
     * statement prepared by one connection already exists for the next (42P05), and parsing there
     * costs no network round trip anyway.
     */
    prepare = true,
  ) {
    super({ query: (config) => queryKeepingConnection(pool, config) }, prepare);
  }

  /**
   * Runs `work` in one transaction on one connection; a serialisation failure or deadlock
   * (40001, 40P01) rolls back and runs it again, up to `retries` times.
   */
  async transaction<T>(
    work: (tx: Sql) => Promise<T>,
    options: { isolation?: "read committed" | "repeatable read" | "serializable"; retries?: number } = {},
  ): Promise<T> {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query(
          options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}` : "BEGIN",
        );
        const result = await work(new Sql(client, this.prepare));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        if (attempt < retries && isRetryableConflict(error)) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }
}

/**
 * pool.query() destroys the connection after any failed statement, so an ordinary unique
 * violation would cost a reconnect and every prepared statement again. A statement the server
 * answered with an error (a SQLSTATE) leaves the connection sound; anything else (a broken
 * socket) discards it.
 */
async function queryKeepingConnection(pool: pg.Pool, config: pg.QueryConfig): Promise<pg.QueryResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A socket error while checked out is emitted on the client (unhandled, it would end the process).
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    return await client.query(config);
  } catch (error) {
    const severity = (error as { severity?: unknown }).severity;
    const code = (error as { code?: unknown }).code;
    // Class 08 (connection) and 57P (shutdown) errors end the session.
    const fatal = typeof code !== "string" || code.startsWith("08") || code.startsWith("57P");
    if (typeof severity !== "string" || fatal) broken = error as Error;
    throw error;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/**
 * A statement's name on the server: the caller's label and a hash of its text, so two texts never
 * share a name (pg refuses a name reused for another text on one connection).
 */
function preparedName(label: string, text: string): string {
  const cached = names.get(text);
  if (cached) return cached;
  const name = `${label}_${createHash("sha1").update(text).digest("hex").slice(0, 12)}`;
  names.set(text, name);
  return name;
}
const names = new Map<string, string>();

const executors = new WeakMap<PrismaClient, SqlPool>();

/** Binds the executor to the Prisma client of the same pool (done once, by openDatabase). */
export function bindSql(prisma: PrismaClient, pool: SqlPool): void {
  executors.set(prisma, pool);
}

/**
 * The executor on the pool of `prisma`. Services are built from the Prisma client everywhere
 * (routes, resolvers, the CLI, tests); this is how their stores reach the same pool without a
 * second set of constructor arguments.
 */
export function sqlOf(prisma: PrismaClient): SqlPool {
  const pool = executors.get(prisma);
  if (!pool) throw new Error("this Prisma client was not opened by openDatabase()");
  return pool;
}

export { Prisma };
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;
