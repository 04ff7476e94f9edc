// One statement's rows, read through a server-side cursor in batches as the consumer asks for
// them, so a large result travels from the database to the HTTP response without being held
// whole in memory. The first batch is fetched before the stream is handed out: a statement that
// fails at once still gets a proper error status. The stream owns its database session and
// closes it (ROLLBACK, disconnect) when it is read to the end, abandoned or fails.
import type pg from "pg";
import { QueryFailedError } from "../errors.js";

export type ResultColumn = { name: string; type: string };
/** A column's PostgreSQL type and type modifier (numeric(p,s)), for writers that keep types. */
export type ColumnSource = { oid: number; typmod: number };
export type ExecutionStats = {
  startedAt: Date;
  startedAtText: string;
  finishedAt: Date;
  finishedAtText: string;
  durationMs: number;
};
export type ResultSet = {
  columns: ResultColumn[];
  rows: unknown[][];
  stats: ExecutionStats;
  truncated: boolean;
};

/** Rows per FETCH when streaming: large enough to amortise round trips, small enough to bound memory. */
export const STREAM_BATCH_ROWS = 1_000;

const TYPE_NAMES: Record<number, string> = {
  16: "BOOLEAN",
  17: "BINARY",
  20: "BIGINT",
  21: "SMALLINT",
  23: "INTEGER",
  25: "STRING",
  114: "JSON",
  700: "FLOAT",
  701: "DOUBLE",
  1042: "STRING",
  1043: "STRING",
  1082: "DATE",
  1083: "TIME",
  1114: "TIMESTAMP",
  1184: "TIMESTAMP_TZ",
  1700: "DECIMAL",
  2950: "STRING",
  3802: "JSON",
};

/**
 * Values as JSON can carry them exactly, one JSON type per column: integers up to 32 bits and
 * floats as numbers; BIGINT and DECIMAL as their exact decimal text (a JSON number past 2^53, or
 * with more than 17 significant digits, is rounded by most readers); dates and times as ISO-like
 * text, TIMESTAMP_TZ in UTC with PostgreSQL's microseconds (docs/semantic.md, "Value types").
 */
function parserFor(oid: number): (text: string) => unknown {
  switch (oid) {
    case 16:
      return (t) => t === "t";
    case 21:
    case 23:
    case 700:
    case 701:
      return Number;
    case 114:
    case 3802:
      return (t) => JSON.parse(t);
    case 1114:
      return (t) => t.replace(" ", "T");
    case 1184:
      return utcInstantText;
    default:
      // BIGINT, DECIMAL, DATE, TIME, bytea (\x hex), text and the rest: PostgreSQL's own text.
      return (t) => t;
  }
}

const TIMESTAMPTZ =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** Milliseconds since the epoch of a UTC date and time, for any four-digit year. */
export function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

/**
 * A timestamptz as PostgreSQL prints it in the session's time zone (`2024-03-01 10:00:00.123456+05:30`)
 * as an ISO instant in UTC keeping every fractional digit, at least three (`…T04:30:00.123456Z`);
 * `infinity`, BC and five-digit years stay as PostgreSQL prints them.
 */
export function utcInstantText(text: string): string {
  const m = TIMESTAMPTZ.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, fraction = "", sign, oh, om = "0", os = "0"] = m as unknown as string[];
  const offset = (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === "-" ? -1 : 1);
  const utc = new Date(
    utcMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)) - offset * 1000,
  );
  const year = utc.getUTCFullYear();
  if (year < 1 || year > 9999) return text;
  return `${utc.toISOString().slice(0, 19)}.${(fraction as string).padEnd(3, "0")}Z`;
}
const types = { getTypeParser: (oid: number) => parserFor(oid) };

/** Nanosecond-precision ISO instants as the seed prints them (9 fractional digits). */
export function preciseInstant(ms: number): { date: Date; text: string } {
  const whole = Math.floor(ms);
  const date = new Date(whole);
  const nanos = String(Math.round((ms - whole) * 1e6))
    .padStart(6, "0")
    .slice(0, 6);
  return { date, text: `${date.toISOString().slice(0, -1)}${nanos}Z` };
}
export const now = () => performance.timeOrigin + performance.now();

export type CursorOptions = {
  /** The most rows the result may carry; a longer one is cut there and marked truncated. */
  maxRows: number;
  /** Rows per FETCH; maxRows + 1 reads the whole result at once (no streaming). */
  batchRows: number;
  /** Turns a driver error into the application's error. */
  translate: (error: unknown) => unknown;
};

export class RowStream {
  private sent = 0;
  private finishedMs: number | undefined;
  private closed = false;
  truncated = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly cursor: string,
    readonly columns: ResultColumn[],
    readonly sources: ColumnSource[],
    private pending: unknown[][] | null,
    private readonly startedMs: number,
    private readonly options: CursorOptions,
  ) {}

  /**
   * Reads the first batch of an already DECLAREd cursor named `cursor` on `client` (inside the
   * session's transaction). On failure the session is closed and the translated error thrown.
   */
  static async open(client: pg.Client, cursor: string, startedMs: number, options: CursorOptions) {
    try {
      const first = await fetch(client, cursor, firstFetchSize(options));
      const columns = first.fields.map((field) => ({
        name: field.name,
        type: TYPE_NAMES[field.dataTypeID] ?? "STRING",
      }));
      const sources = first.fields.map((field) => ({
        oid: field.dataTypeID,
        typmod: field.dataTypeModifier,
      }));
      return new RowStream(client, cursor, columns, sources, first.rows, startedMs, options);
    } catch (error) {
      await release(client);
      throw options.translate(error);
    }
  }

  /**
   * Whether the result is cut at maxRows, when the first batch already tells (it holds the whole
   * result, or more than the cap); undefined while streaming has yet to find out.
   */
  get truncationKnown(): boolean | undefined {
    if (this.pending === null) return this.truncated;
    if (this.pending.length > this.options.maxRows) return true;
    if (this.pending.length < firstFetchSize(this.options)) return false;
    return undefined;
  }

  /** The first batch, before batches() starts (the Arrow writer fixes a DECIMAL's scale from it). */
  firstBatch(): readonly unknown[][] {
    return this.pending ?? [];
  }

  get maxRows(): number {
    return this.options.maxRows;
  }

  get startedAt(): { date: Date; text: string } {
    return preciseInstant(this.startedMs);
  }

  /** The rows in batches, at most maxRows in all; the session is released at the end. */
  async *batches(): AsyncGenerator<unknown[][]> {
    try {
      let batch = this.pending;
      this.pending = null;
      let wanted = firstFetchSize(this.options);
      while (batch) {
        // A FETCH that returns fewer rows than asked for has reached the end of the result.
        const complete = batch.length < wanted;
        const room = this.options.maxRows - this.sent;
        if (batch.length > room) {
          this.truncated = true;
          batch = batch.slice(0, room);
        }
        this.sent += batch.length;
        if (batch.length > 0) yield batch;
        if (this.truncated || complete) break;
        // One more row than fits tells "exactly maxRows" from "more than maxRows".
        wanted = Math.min(this.options.batchRows, this.options.maxRows - this.sent + 1);
        try {
          batch = (await fetch(this.client, this.cursor, wanted)).rows;
        } catch (error) {
          throw this.options.translate(error);
        }
      }
      this.finishedMs = now();
    } finally {
      await this.close();
    }
  }

  /** Start, end and duration; the end is when the last row was read (or now, if not yet). */
  stats(): ExecutionStats {
    const finished = this.finishedMs ?? now();
    const s = preciseInstant(this.startedMs);
    const f = preciseInstant(finished);
    return {
      startedAt: s.date,
      startedAtText: s.text,
      finishedAt: f.date,
      finishedAtText: f.text,
      durationMs: Math.round(finished - this.startedMs),
    };
  }

  /** The whole result in memory (GraphQL, semantic queries, test blocks). */
  async collect(): Promise<ResultSet> {
    const rows: unknown[][] = [];
    for await (const batch of this.batches()) rows.push(...batch);
    return { columns: this.columns, rows, stats: this.stats(), truncated: this.truncated };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await release(this.client);
  }
}

function firstFetchSize(options: CursorOptions): number {
  return Math.min(options.batchRows, options.maxRows + 1);
}

function fetch(client: pg.Client, cursor: string, rows: number) {
  return client.query<unknown[]>({ text: `FETCH FORWARD ${rows} FROM ${cursor}`, rowMode: "array", types });
}

async function release(client: pg.Client): Promise<void> {
  await client.query("ROLLBACK").catch(() => {});
  await client.end().catch(() => {});
}

/** A PostgreSQL failure as the Execution API reports it. */
export function translateQueryError(error: unknown, statementTimeoutMs: number): unknown {
  const pgError = error as { code?: string; message?: string };
  if (pgError.code === "57014" || pgError.message?.includes("Query read timeout")) {
    return new QueryFailedError(`Query exceeded the statement timeout of ${statementTimeoutMs} ms`);
  }
  if (pgError.code === "25P03") {
    return new QueryFailedError("The result was not read in time; the session was closed");
  }
  if (typeof pgError.code === "string" && pgError.code.length === 5) {
    return new QueryFailedError(`Query failed: ${pgError.message}`, { sqlState: pgError.code });
  }
  return error;
}
