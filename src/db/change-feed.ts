// PostgreSQL notifications for the caches of every instance. Triggers `pg_notify` at commit
// (migration auth_change_feed); every process hears them and drops what a change made stale.
//
// Each connection of the pool LISTENs as it opens, before it serves anything (one statement
// per connection, not per request). PostgreSQL hands a session its own notifications before the result of the
// committing statement, so the process that made a change has dropped its cache entries before
// the write returns; the other instances' idle connections hear it as soon as it is delivered. While no
// connection is listening (none open yet, or the last one was closed or broke) the feed is not
// `live` and caches must not serve: a change could go unheard. The embedded database is one
// session, so the same holds there (and the embedded server also hears what other processes'
// connections commit through its shared socket: embedded.ts).
//
// Behind a transaction-mode pooler (PgBouncer) a LISTEN does not outlive its transaction, so the
// pooled connections do not LISTEN (database.ts): a SessionFeed listens on one direct session
// (DATABASE_LISTEN_URL) instead, and a write on the pool returns only after a round trip on that
// session (`barrier`), by which time PostgreSQL has delivered what the write's commit notified:
// the instance that made a change still stops serving it before the write returns. Without a
// listen URL nothing is live and the caches stay off (docs/deployment.md).
import pg from "pg";

export type ChangeHandler = (channel: string, payload: string) => void;

export interface ChangeFeed {
  /** True while every notification is sure to be heard. */
  readonly live: boolean;
  /** Calls `onChange` for each notification, `onLost` when notifications may have been missed. */
  subscribe(onChange: ChangeHandler, onLost: () => void): () => void;
}

export const CHANNELS = ["gateway_auth", "gateway_modules"] as const;
/** Sent by every pooled connection as it opens (database.ts), before it serves anything. */
export const LISTEN_STATEMENT = CHANNELS.map((c) => `LISTEN ${c}`).join("; ");

export class PoolFeed implements ChangeFeed {
  private readonly subscribers = new Set<{ onChange: ChangeHandler; onLost: () => void }>();
  private readonly listening = new Set<pg.PoolClient>();

  constructor(pool: pg.Pool) {
    pool.on("connect", (client) => {
      client.on("notification", (n) => {
        for (const s of this.subscribers) s.onChange(n.channel, n.payload ?? "");
      });
      // Emitted once the connection has LISTENed (database.ts), before it serves anything.
      this.listening.add(client);
    });
    pool.on("remove", (client) => this.forget(client));
    pool.on("error", (_error, client) => this.forget(client));
  }

  get live(): boolean {
    return this.listening.size > 0;
  }

  /** Delivers a notification heard elsewhere (the embedded database's other clients). */
  notify(channel: string, payload: string): void {
    for (const s of this.subscribers) s.onChange(channel, payload);
  }

  subscribe(onChange: ChangeHandler, onLost: () => void): () => void {
    const entry = { onChange, onLost };
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }

  private forget(client: pg.PoolClient): void {
    if (!this.listening.delete(client)) return;
    if (this.listening.size === 0) for (const s of this.subscribers) s.onLost();
  }
}

/** A feed that never hears anything: caches built on it never serve. */
export class SilentFeed implements ChangeFeed {
  readonly live = false;
  subscribe(): () => void {
    return () => {};
  }
}

/**
 * One dedicated session that LISTENs (a direct connection, not through a transaction pooler),
 * reconnecting after a failure; not live while it is down.
 */
export class SessionFeed implements ChangeFeed {
  private readonly subscribers = new Set<{ onChange: ChangeHandler; onLost: () => void }>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  live = false;

  constructor(
    private readonly url: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Connects and LISTENs; resolves once live (rejects if the first attempt fails). */
  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    client.on("notification", (n) => {
      for (const s of this.subscribers) s.onChange(n.channel, n.payload ?? "");
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("the listening session ended")));
    try {
      await client.connect();
      await client.query(LISTEN_STATEMENT);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.live = true;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    for (const s of this.subscribers) s.onLost();
    if (this.closed) return;
    this.onError(error);
    client.end().catch(() => {});
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.start().catch((error: Error) => {
        this.onError(error);
        this.scheduleRetry();
      });
    }, 1000);
    this.retry.unref();
  }

  /**
   * Resolves after a round trip on the listening session: whatever was committed before this
   * call has been delivered to the subscribers by then (PostgreSQL sends a session its pending
   * notifications before the result of its next statement).
   */
  barrier(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    // One round trip at a time on the session (pg deprecates queueing on a busy client). A
    // round trip not yet sent serves every caller arriving meanwhile: it starts after their
    // writes returned too.
    if (this.queued) return this.queued;
    const run = this.tail.then(() => {
      this.queued = undefined;
      return client.query("SELECT 1").then(
        () => {},
        () => {},
      );
    });
    this.queued = run;
    this.tail = run;
    return run;
  }
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  subscribe(onChange: ChangeHandler, onLost: () => void): () => void {
    const entry = { onChange, onLost };
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.live = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
