// What authentication read for a credential (its key or token row with user and organisation),
// by secret hash, so the warm path of a request sends no statement for it. Entries are dropped
// by every change notification on `gateway_auth` (src/db/change-feed.ts: revocations, expiry
// changes, scopes, users' role or activity, group permissions and memberships), so a revoked
// credential stops working on the instance that revoked it before the revocation returns, and
// on every other as soon as the notification arrives (tested: under 1 s). Nothing is served while the feed is not live, a row read
// before a change is never stored after it (the generation check), and entries also expire after
// ENTRY_TTL_MS, a bound should everything else fail. Expiry times are checked on every use.
import type { ChangeFeed } from "../db/change-feed.js";

const CAPACITY = 10_000;
const ENTRY_TTL_MS = 60_000;

export class AuthCache<T> {
  private readonly entries = new Map<string, { value: T; storedAt: number }>();
  private generation = 0;

  constructor(private readonly feed: ChangeFeed) {
    feed.subscribe(
      (channel) => {
        if (channel === "gateway_auth") this.clear();
      },
      () => this.clear(),
    );
  }

  /** Marks the start of a read; pass it to set(). */
  begin(): number {
    return this.generation;
  }

  /** Lookups of every AuthCache of the process: gateway_cache_requests_total (src/observability). */
  static readonly stats = { hits: 0, misses: 0 };

  get(key: string): T | undefined {
    const value = this.lookup(key);
    if (value === undefined) AuthCache.stats.misses += 1;
    else AuthCache.stats.hits += 1;
    return value;
  }

  private lookup(key: string): T | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (Date.now() - entry.storedAt > ENTRY_TTL_MS) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores what was read since `generation`, unless a change was heard meanwhile. */
  set(key: string, value: T, generation: number): void {
    if (generation !== this.generation || !this.feed.live) return;
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: Date.now() });
    if (this.entries.size > CAPACITY) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
