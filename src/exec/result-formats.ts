// A ResultSet in the three formats of the Execution API's Accept header: the documented JSON
// body, CSV (csv-stringify, header row of column names) and an Arrow IPC stream (apache-arrow).
import { Readable } from "node:stream";
import {
  Bool,
  type DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { stringify } from "csv-stringify";
import type { ResultSet } from "./execution.service.js";

export const CSV = "text/csv";
export const ARROW = "application/vnd.apache.arrow.stream";
export type ResultFormat = "json" | "csv" | "arrow";

/** The first supported type the Accept header names; JSON by default. */
export function negotiate(accept: string | undefined): ResultFormat {
  const types = (accept ?? "").split(",").map((part) => part.split(";")[0]?.trim().toLowerCase());
  for (const type of types) {
    if (type === CSV) return "csv";
    if (type === ARROW) return "arrow";
    if (type === "application/json" || type === "*/*") return "json";
  }
  return "json";
}

export function resultJson(result: ResultSet) {
  return {
    result: { columns: result.columns, data: result.rows },
    stats: {
      started_at: result.stats.startedAtText,
      finished_at: result.stats.finishedAtText,
      duration_ms: result.stats.durationMs,
    },
  };
}

export function resultCsv(result: ResultSet): Readable {
  const stringifier = stringify({
    header: true,
    columns: result.columns.map((c, i) => ({ key: String(i), header: c.name })),
    cast: {
      boolean: (value) => String(value),
      object: (value) => JSON.stringify(value),
    },
  });
  // Rows are written as the stream is read, not joined into one string first.
  const rows = result.rows[Symbol.iterator]();
  const source = new Readable({
    objectMode: true,
    read() {
      const next = rows.next();
      this.push(
        next.done ? null : Object.fromEntries((next.value as unknown[]).map((v, i) => [String(i), v])),
      );
    },
  });
  return source.pipe(stringifier);
}

function arrowType(type: string): { type: DataType; convert: (value: unknown) => unknown } {
  switch (type) {
    case "BOOLEAN":
      return { type: new Bool(), convert: (v) => v };
    case "SMALLINT":
    case "INTEGER":
      return { type: new Int32(), convert: (v) => v };
    case "BIGINT":
      return { type: new Int64(), convert: (v) => (v === null ? null : BigInt(v as number | string)) };
    case "FLOAT":
    case "DOUBLE":
    case "DECIMAL":
      return { type: new Float64(), convert: (v) => v };
    case "DATE":
      return {
        type: new DateDay(),
        convert: (v) => (v === null ? null : new Date(`${v as string}T00:00:00Z`)),
      };
    default:
      return {
        type: new Utf8(),
        convert: (v) => (v === null ? null : typeof v === "string" ? v : JSON.stringify(v)),
      };
  }
}

export function resultArrow(result: ResultSet): Buffer {
  const vectors = result.columns.map((column, i) => {
    const { type, convert } = arrowType(column.type);
    return vectorFromArray(
      result.rows.map((row) => convert(row[i] ?? null)),
      type,
    );
  });
  const fields = result.columns.map(
    (column, i) => new Field(column.name, (vectors[i] as { type: DataType }).type, true),
  );
  const schema = new Schema(fields);
  if (result.rows.length === 0) return Buffer.from(tableToIPC(new Table(schema), "stream"));
  const data = makeData({
    type: new Struct(fields),
    length: result.rows.length,
    nullCount: 0,
    children: vectors.map((v) => v.data[0] as never),
  });
  return Buffer.from(tableToIPC(new Table([new RecordBatch(schema, data)]), "stream"));
}
