// PostgreSQL notifications for the caches of every instance. Triggers `pg_notify` at commit
// (migration auth_change_feed); every process hears them and drops what a change made stale.
//
// Each connection of the pool LISTENs as it opens, before it serves anything (one statement
// per connection, not per request). PostgreSQL hands a session its own notifications before the result of the
// committing statement, so the process that made a change has dropped its cache entries before
// the write returns; the other instances' idle connections hear it as soon as it is delivered. While no
// connection is listening (none open yet, or the last one was closed or broke) the feed is not
// `live` and caches must not serve: a change could go unheard. The embedded database is one
// session, so the same holds there. Behind a transaction-mode pooler (PgBouncer), LISTEN does not
// survive the transaction: see docs/architecture.md.
import type pg from "pg";

export type ChangeHandler = (channel: string, payload: string) => void;

export interface ChangeFeed {
  /** True while every notification is sure to be heard. */
  readonly live: boolean;
  /** Calls `onChange` for each notification, `onLost` when notifications may have been missed. */
  subscribe(onChange: ChangeHandler, onLost: () => void): () => void;
}

export const CHANNELS = ["gateway_auth"] as const;
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
