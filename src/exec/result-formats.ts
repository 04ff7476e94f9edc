// A result in the three formats of the Execution API's Accept header: the documented JSON body,
// CSV (csv-stringify, header row of column names) and an Arrow IPC stream (apache-arrow). Each
// is written batch by batch as the RowStream yields rows, so memory stays bounded by one batch.
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
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { stringify } from "csv-stringify";
import type { ResultColumn, RowStream } from "./row-stream.js";

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

/**
 * The seed's `{result: {columns, data}, stats}` body as text chunks. The stats come last in the
 * document, so they can carry the time the last row was read; a result cut at EXEC_MAX_ROWS
 * ends with `"truncated": true, "max_rows": n` (absent otherwise, so uncut results are the seed's).
 */
export function resultJson(stream: RowStream): Readable {
  return Readable.from(
    (async function* () {
      yield `{"result":{"columns":${JSON.stringify(stream.columns)},"data":[`;
      let first = true;
      for await (const batch of stream.batches()) {
        const text = batch.map((row) => JSON.stringify(row)).join(",");
        yield first ? text : `,${text}`;
        first = false;
      }
      const stats = stream.stats();
      yield `]},"stats":${JSON.stringify({
        started_at: stats.startedAtText,
        finished_at: stats.finishedAtText,
        duration_ms: stats.durationMs,
      })}${stream.truncated ? `,"truncated":true,"max_rows":${stream.maxRows}` : ""}}`;
    })(),
    { objectMode: false },
  );
}

export function resultCsv(stream: RowStream): Readable {
  const stringifier = stringify({
    header: true,
    columns: stream.columns.map((c, i) => ({ key: String(i), header: c.name })),
    cast: {
      boolean: (value) => String(value),
      object: (value) => JSON.stringify(value),
    },
  });
  const records = Readable.from(
    (async function* () {
      for await (const batch of stream.batches()) {
        for (const row of batch) yield Object.fromEntries(row.map((v, i) => [String(i), v]));
      }
    })(),
  );
  records.on("error", (error) => stringifier.destroy(error));
  return records.pipe(stringifier);
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

/** An Arrow IPC stream: the schema, then one record batch per batch of rows. */
export function resultArrow(stream: RowStream): Readable {
  const converters = stream.columns.map((column) => arrowType(column.type));
  const fields = stream.columns.map((column, i) => new Field(column.name, converters[i]!.type, true));
  const schema = new Schema(fields);
  const writer = new RecordBatchStreamWriter();
  // The schema is written even when there are no rows, so an empty result still reads back.
  writer.reset(undefined, schema);
  (async () => {
    try {
      for await (const batch of stream.batches()) writer.write(recordBatch(schema, stream.columns, batch));
      writer.finish();
    } catch (error) {
      writer.abort(error);
    }
  })();
  return writer.toNodeStream();
}

function recordBatch(schema: Schema, columns: ResultColumn[], rows: unknown[][]): RecordBatch {
  const vectors = columns.map((column, i) => {
    const { type, convert } = arrowType(column.type);
    return vectorFromArray(
      rows.map((row) => convert(row[i] ?? null)),
      type,
    );
  });
  const data = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children: vectors.map((v) => v.data[0] as never),
  });
  return new RecordBatch(schema, data);
}
