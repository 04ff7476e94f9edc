// The process's Prometheus metrics (docs/operations.md lists them). Recording happens on every
// request, so it allocates nothing once a series exists: each series is found through nested
// Maps keyed by its label values (no label objects, no hashed keys as prom-client's own
// histograms build on every observation) and updates plain numbers. Formatting happens only when
// /metrics is scraped, through prom-client's Registry, which accepts any object with `get()`.
// Label values are bounded: routes are patterns, statuses and methods are what Node's parser
// accepts, GraphQL operation names are capped in length and number (GraphQLOperationNames).
import { collectDefaultMetrics, Registry } from "prom-client";

type MetricType = "counter" | "gauge" | "histogram";

/** What prom-client's Registry reads from a metric's get(). */
type Exported = {
  name: string;
  help: string;
  type: MetricType;
  values: Array<{ metricName?: string; labels: Readonly<Record<string, string | number>>; value: number }>;
  aggregator: "sum";
};

/** What prom-client's Registry accepts as a metric. */
type Collectable = { name: string; help: string; type: MetricType; aggregator: "sum"; get(): Exported };

/** Latency buckets in seconds: 1 ms to 10 s. */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One series of a histogram: cumulative counts are computed at scrape time. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    // One slot per bound, and the last for values above every bound (+Inf).
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/** One series of a counter. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * Series keyed by their label values, found through one Map level per label: no key is built on
 * the hot path. `series(a, b, c)` creates a series the first time its values are seen.
 */
abstract class Labelled<S> implements Collectable {
  readonly aggregator = "sum" as const;
  private readonly root = new Map<string, unknown>();
  protected readonly all: S[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    protected readonly labelNames: readonly string[],
  ) {
    if (labelNames.length < 1 || labelNames.length > 4) throw new Error("1 to 4 labels");
  }

  protected abstract create(labels: Record<string, string>): S;

  /**
   * The series of these label values (as many as the metric has labels, in order), created the
   * first time they are seen. Fixed parameters rather than a rest array: nothing is allocated.
   */
  series(a: string, b = "", c = "", d = ""): S {
    const depth = this.labelNames.length;
    let level: Map<string, unknown> = this.root;
    for (let i = 0; i < depth - 1; i++) {
      const value = i === 0 ? a : i === 1 ? b : c;
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const lastValue = depth === 1 ? a : depth === 2 ? b : depth === 3 ? c : d;
    let found = level.get(lastValue) as S | undefined;
    if (!found) {
      const values = [a, b, c, d];
      const labels: Record<string, string> = {};
      for (let i = 0; i < depth; i++) labels[this.labelNames[i]!] = values[i]!;
      found = this.create(labels);
      level.set(lastValue, found);
      this.all.push(found);
    }
    return found;
  }

  abstract get(): Exported;
}

export class Histogram extends Labelled<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds = SECONDS_BUCKETS,
  ) {
    super(name, help, "histogram", labelNames);
  }

  protected create(labels: Record<string, string>): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  get(): Exported {
    const values: Exported["values"] = [];
    for (const series of this.all) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...series.labels, le: this.bounds[i]! },
          value: cumulative,
        });
      }
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...series.labels, le: "+Inf" },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}

export class Counter extends Labelled<CounterSeries> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, "counter", labelNames);
  }

  protected create(labels: Record<string, string>): CounterSeries {
    return new CounterSeries(labels);
  }

  get(): Exported {
    const values = this.all.map((series) => ({ labels: series.labels, value: series.value }));
    return { name: this.name, help: this.help, type: "counter", values, aggregator: "sum" };
  }
}

/** A metric whose values are read when scraped (pool sizes, counters kept elsewhere). */
export class Collected implements Collectable {
  readonly aggregator = "sum" as const;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Array<{ labels: Record<string, string>; value: number }>,
  ) {}

  get(): Exported {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.read(),
      aggregator: "sum",
    };
  }
}

/** A pool's occupancy, read at scrape time (pg.Pool's totalCount, idleCount, waitingCount). */
export type PoolSource = () => { total: number; idle: number; waiting: number; max: number };

/** Sources of cache hits and misses kept as plain counters by their caches. */
export type CacheSource = () => { hits: number; misses: number };

export const MAX_OPERATION_NAME_LENGTH = 64;
export const MAX_OPERATION_NAMES = 100;

/**
 * GraphQL operation names as label values: clients choose them, so each is cut to
 * MAX_OPERATION_NAME_LENGTH characters and, once MAX_OPERATION_NAMES distinct names have been
 * seen, any new one is recorded as "(other)". Parenthesised values cannot be GraphQL names.
 */
export class GraphQLOperationNames {
  private readonly seen = new Set<string>();
  constructor(
    private readonly maxNames = MAX_OPERATION_NAMES,
    private readonly maxLength = MAX_OPERATION_NAME_LENGTH,
  ) {}

  label(name: string | undefined): string {
    if (!name) return "(anonymous)";
    const cut = name.length > this.maxLength ? name.slice(0, this.maxLength) : name;
    if (this.seen.has(cut)) return cut;
    if (this.seen.size >= this.maxNames) return "(other)";
    this.seen.add(cut);
    return cut;
  }
}

/** The first keyword of a statement (SELECT, INSERT...), without allocating; "OTHER" otherwise. */
const KEYWORDS = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "WITH",
  "BEGIN",
  "COMMIT",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
  "LISTEN",
  "SET",
] as const;
export type StatementOperation = (typeof KEYWORDS)[number] | "OTHER";

export function statementOperation(text: string): StatementOperation {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 32) start++;
  for (const keyword of KEYWORDS) {
    if (matchesKeyword(text, start, keyword)) return keyword;
  }
  return "OTHER";
}

function matchesKeyword(text: string, at: number, keyword: string): boolean {
  if (text.length < at + keyword.length) return false;
  for (let i = 0; i < keyword.length; i++) {
    // ASCII letters only: OR-ing 0x20 lower-cases both sides.
    if ((text.charCodeAt(at + i) | 0x20) !== (keyword.charCodeAt(i) | 0x20)) return false;
  }
  const next = text.charCodeAt(at + keyword.length);
  // The keyword ends there: not followed by a letter, digit or underscore.
  return !(
    (next >= 65 && next <= 90) ||
    (next >= 97 && next <= 122) ||
    (next >= 48 && next <= 57) ||
    next === 95
  );
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram(
    "gateway_http_request_duration_seconds",
    "HTTP requests by surface, route pattern, method and status, and how long they took (to the last byte written).",
    ["surface", "route", "method", "status"],
  );
  readonly rateLimitRejections = new Counter(
    "gateway_rate_limit_rejections_total",
    "Requests refused by the rate limiter (429), by surface.",
    ["surface"],
  );
  readonly idempotencyReplays = new Counter(
    "gateway_idempotency_replays_total",
    "Responses replayed from the idempotency store (Idempotent-Replayed: true), by surface.",
    ["surface"],
  );
  readonly graphqlOperations = new Counter(
    "gateway_graphql_operations_total",
    "GraphQL operations by name, type and outcome (success; error: executed with errors; rejected: refused before or instead of execution).",
    ["operation", "type", "outcome"],
  );
  readonly graphqlPhases = new Histogram(
    "gateway_graphql_phase_duration_seconds",
    "Time spent in each phase of GraphQL operations (parse, validate, execute), by operation name.",
    ["phase", "operation"],
  );
  readonly statements = new Histogram(
    "gateway_db_statement_duration_seconds",
    "SQL statements sent to the database by first keyword and outcome, and how long they took.",
    ["operation", "outcome"],
  );
  /** The GraphQL document cache's lookups (src/graphql/document-limits.ts), counted by the plugin. */
  readonly documentCache = { hits: 0, misses: 0 };
  readonly operationNames = new GraphQLOperationNames();

  private readonly pools = new Set<PoolSource>();
  private readonly caches = new Map<string, Set<CacheSource>>();
  private processRegistry: Registry | undefined;

  constructor() {
    for (const metric of [
      this.httpRequests,
      this.rateLimitRejections,
      this.idempotencyReplays,
      this.graphqlOperations,
      this.graphqlPhases,
      this.statements,
    ]) {
      this.registry.registerMetric(metric as never);
    }
    this.addCache("graphql_document", () => this.documentCache);
    const pools = () => [...this.pools].map((read) => read());
    const sum = (pick: (pool: ReturnType<PoolSource>) => number) =>
      pools().reduce((total, pool) => total + pick(pool), 0);
    this.registry.registerMetric(
      new Collected(
        "gateway_db_pool_connections",
        "Connections of the database pool, by state (idle or in_use).",
        "gauge",
        () => [
          { labels: { state: "idle" }, value: sum((p) => p.idle) },
          { labels: { state: "in_use" }, value: sum((p) => p.total - p.idle) },
        ],
      ) as never,
    );
    this.registry.registerMetric(
      new Collected(
        "gateway_db_pool_waiting_requests",
        "Requests waiting for a connection of the database pool.",
        "gauge",
        () => [{ labels: {}, value: sum((p) => p.waiting) }],
      ) as never,
    );
    this.registry.registerMetric(
      new Collected("gateway_db_pool_max_connections", "The database pool's size limit.", "gauge", () => [
        { labels: {}, value: sum((p) => p.max) },
      ]) as never,
    );
    this.registry.registerMetric(
      new Collected(
        "gateway_cache_requests_total",
        "Cache lookups by cache (auth: credentials, graphql_document: parsed documents) and result (hit or miss).",
        "counter",
        () =>
          [...this.caches].flatMap(([cache, sources]) => {
            let hits = 0;
            let misses = 0;
            for (const read of sources) {
              const stats = read();
              hits += stats.hits;
              misses += stats.misses;
            }
            return [
              { labels: { cache, result: "hit" }, value: hits },
              { labels: { cache, result: "miss" }, value: misses },
            ];
          }),
      ) as never,
    );
  }

  /** Adds a database pool to the pool gauges; returns a function that removes it. */
  addPool(source: PoolSource): () => void {
    this.pools.add(source);
    return () => this.pools.delete(source);
  }

  addCache(name: string, source: CacheSource): void {
    let sources = this.caches.get(name);
    if (!sources) {
      sources = new Set();
      this.caches.set(name, sources);
    }
    sources.add(source);
  }

  /** The exposition text: these metrics and the process's (CPU, memory, event loop, GC). */
  async exposition(): Promise<string> {
    if (!this.processRegistry) {
      // Created on the first scrape: a server that is never scraped never starts their observers.
      this.processRegistry = new Registry();
      collectDefaultMetrics({ register: this.processRegistry });
    }
    const [own, process] = await Promise.all([this.registry.metrics(), this.processRegistry.metrics()]);
    return `${own}\n${process}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The process's metrics: one set however many apps a process builds (tests build several). */
export const metrics = new Metrics();
