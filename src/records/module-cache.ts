// Every instance keeps each organisation's modules (and the version they were read at) in
// process, so the warm path of a request sends no statement for them. A trigger on
// `record_modules` (migration module_schema_versions) bumps the organisation's version and
// notifies `gateway_modules` with the organisation's id at commit; every instance drops that
// organisation's entry when it hears it. PostgreSQL hands a session its own notifications before
// the result of the committing statement, so the instance that changed a module has dropped its
// entry before the change returns; the others as soon as the notification is delivered. While the
// feed is not live nothing is served from here and every request reads the modules afresh, and a
// read that started before a change was heard is never stored (the generation check).
import type { ChangeFeed } from "../db/change-feed.js";
import type { SqlPool } from "../db/sql.js";
import type { ModuleDef } from "./modules.store.js";

export const MODULES_CHANNEL = "gateway_modules";
const CAPACITY = 1_000;

export type ModuleSnapshot = { version: number; modules: ModuleDef[] };

export class ModuleCache {
  private readonly entries = new Map<string, ModuleSnapshot>();
  private generation = 0;

  constructor(private readonly feed: ChangeFeed) {
    feed.subscribe(
      (channel, organizationId) => {
        if (channel !== MODULES_CHANNEL) return;
        this.generation += 1;
        this.entries.delete(organizationId);
      },
      () => {
        this.generation += 1;
        this.entries.clear();
      },
    );
  }

  get(organizationId: string): ModuleSnapshot | undefined {
    if (!this.feed.live) return undefined;
    return this.entries.get(organizationId);
  }

  begin(): number {
    return this.generation;
  }

  set(organizationId: string, snapshot: ModuleSnapshot, generation: number): void {
    if (generation !== this.generation || !this.feed.live) return;
    this.entries.delete(organizationId);
    this.entries.set(organizationId, snapshot);
    if (this.entries.size > CAPACITY) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

const caches = new WeakMap<SqlPool, ModuleCache>();

/** The module cache of a database (one per pool: tests run several apps in one process). */
export function moduleCacheOf(db: SqlPool): ModuleCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ModuleCache(db.changes);
    caches.set(db, cache);
  }
  return cache;
}
