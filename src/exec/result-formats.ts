// A result in the three formats of the Execution API's Accept header: the documented JSON body,
// CSV (csv-stringify, header row of column names) and an Arrow IPC stream (apache-arrow). Each
// is written batch by batch as the RowStream yields rows, so memory stays bounded by one batch.
import { Readable } from "node:stream";
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { stringify } from "csv-stringify";
import { QueryFailedError } from "../errors.js";
import { type ColumnSource, type ResultColumn, type RowStream, utcMillis } from "./row-stream.js";

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

/** One column's Arrow type and how a batch of its values becomes Arrow data. */
type ArrowColumn = { type: DataType; data(values: unknown[]): Data };

/** A value that has no Arrow representation of its column's type ends the stream (never rounded). */
export class ArrowValueError extends QueryFailedError {
  constructor(column: string, value: unknown, type: string) {
    super(`The value ${JSON.stringify(value)} of column ${column} cannot be written as Arrow ${type}`);
  }
}

/**
 * Arrow types that keep PostgreSQL's values exact: Int16/32/64, Float32/64, Decimal (128 or 256
 * bits; numeric(p,s) as declared, an unconstrained numeric at the largest scale of the first
 * batch), Date32 (days), Time64 and Timestamp in microseconds (TIMESTAMP_TZ with time zone UTC),
 * Binary; anything else as UTF-8 text (docs/semantic.md, "Value types").
 */
function arrowColumn(
  column: ResultColumn,
  source: ColumnSource | undefined,
  first: readonly unknown[][],
  index: number,
): ArrowColumn {
  const plain = (type: DataType, convert: (v: unknown) => unknown = (v) => v): ArrowColumn => ({
    type,
    data: (values) =>
      vectorFromArray(
        values.map((v) => (v === null ? null : convert(v))),
        type,
      ).data[0] as Data,
  });
  const fixed = <A extends BigInt64Array | Int32Array>(
    type: DataType,
    ArrayType: { new (length: number): A },
    convert: (v: unknown) => A[number],
  ): ArrowColumn => ({
    type,
    data: (values) => {
      const out = new ArrayType(values.length);
      values.forEach((v, i) => {
        if (v !== null) out[i] = convert(v);
      });
      return makeData({ type, length: values.length, ...validity(values), data: out } as never);
    },
  });
  const fail =
    (type: string) =>
    (v: unknown): never => {
      throw new ArrowValueError(column.name, v, type);
    };
  switch (column.type) {
    case "BOOLEAN":
      return plain(new Bool());
    case "SMALLINT":
      return plain(new Int16());
    case "INTEGER":
      return plain(new Int32());
    case "BIGINT":
      return plain(new Int64(), (v) => BigInt(v as string));
    case "FLOAT":
      return plain(new Float32());
    case "DOUBLE":
      return plain(new Float64());
    case "DECIMAL": {
      const decimal = decimalShape(source, first, index);
      if (!decimal) return plain(new Utf8(), String);
      return decimalColumn(column.name, decimal.precision, decimal.scale);
    }
    case "DATE":
      return fixed(new DateDay(), Int32Array, (v) => {
        const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(v as string) ?? fail("Date32")(v);
        return utcMillis(Number(m[1]), Number(m[2]), Number(m[3])) / 86_400_000;
      });
    case "TIME":
      return fixed(new TimeMicrosecond(), BigInt64Array, (v) => {
        const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(v as string) ?? fail("Time64")(v);
        const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
        return BigInt(seconds) * 1_000_000n + BigInt((m[4] ?? "").padEnd(6, "0"));
      });
    case "TIMESTAMP":
    case "TIMESTAMP_TZ": {
      const zone = column.type === "TIMESTAMP_TZ" ? "UTC" : null;
      const pattern = zone
        ? /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3,6})Z$/
        : /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
      return fixed(new TimestampMicrosecond(zone), BigInt64Array, (v) => {
        const m = pattern.exec(v as string) ?? fail("Timestamp")(v);
        const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        return BigInt(utcMillis(y, mo, d, h, mi, sec)) * 1000n + BigInt((m[7] ?? "").padEnd(6, "0"));
      });
    }
    case "BINARY": {
      const type = new Binary();
      return {
        type,
        data: (values) => {
          const chunks = values.map((v) => {
            if (v === null) return new Uint8Array(0);
            const hex = /^\\x((?:[0-9a-fA-F]{2})*)$/.exec(v as string) ?? fail("Binary")(v);
            return Buffer.from(hex[1] as string, "hex");
          });
          const valueOffsets = new Int32Array(values.length + 1);
          chunks.forEach((chunk, i) => {
            valueOffsets[i + 1] = (valueOffsets[i] as number) + chunk.length;
          });
          const data = new Uint8Array(valueOffsets[values.length] as number);
          chunks.forEach((chunk, i) => {
            data.set(chunk, valueOffsets[i]);
          });
          return makeData({ type, length: values.length, ...validity(values), valueOffsets, data });
        },
      };
    }
    default:
      return plain(new Utf8(), (v) => (typeof v === "string" ? v : JSON.stringify(v)));
  }
}

/** Arrow's null bitmap of a batch of values (bit set: a value). */
function validity(values: unknown[]): { nullCount: number; nullBitmap: Uint8Array } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
  });
  return { nullCount, nullBitmap };
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
/** Decimal256's 76 digits: past them (or NaN, Infinity in the first batch) a DECIMAL is text. */
const MAX_DECIMAL_DIGITS = 76;

/**
 * A numeric column's Arrow precision and scale: numeric(p,s) as declared; an unconstrained
 * numeric at the largest scale its first batch prints (PostgreSQL prints each value at its display
 * scale) and the widest precision of its bit width, so later batches have room; undefined when no
 * Decimal can hold it (text then).
 */
function decimalShape(
  source: ColumnSource | undefined,
  first: readonly unknown[][],
  index: number,
): { precision: number; scale: number } | undefined {
  const typmod = source?.typmod ?? -1;
  if (typmod >= 4) {
    const precision = ((typmod - 4) >> 16) & 0xffff;
    const scale = (typmod - 4) & 0xffff;
    // PostgreSQL 15 allows a negative scale (stored in 11 bits): infer it from the values instead.
    if (scale <= precision && precision <= MAX_DECIMAL_DIGITS) return { precision, scale };
  }
  let scale = 0;
  let integers = 1;
  for (const row of first) {
    const value = row[index];
    if (value === null || value === undefined) continue;
    const m = DECIMAL_TEXT.exec(value as string);
    if (!m) return undefined;
    scale = Math.max(scale, (m[3] ?? "").length);
    integers = Math.max(integers, (m[2] as string).replace(/^0+(?=\d)/, "").length);
  }
  if (integers + scale > MAX_DECIMAL_DIGITS) return undefined;
  return { precision: integers + scale <= 38 ? 38 : MAX_DECIMAL_DIGITS, scale };
}

function decimalColumn(name: string, precision: number, scale: number): ArrowColumn {
  const bitWidth = precision <= 38 ? 128 : 256;
  const words = bitWidth / 32;
  const type = new Decimal(scale, precision, bitWidth);
  const limit = 10n ** BigInt(precision);
  return {
    type,
    data: (values) => {
      const data = new Uint32Array(values.length * words);
      values.forEach((v, i) => {
        if (v === null) return;
        const m = DECIMAL_TEXT.exec(v as string);
        const fraction = m?.[3] ?? "";
        // Digits past the scale are refused unless they are zeros: a value is never rounded.
        if (!m || /[1-9]/.test(fraction.slice(scale))) throw new ArrowValueError(name, v, type.toString());
        let unscaled = BigInt(`${m[2]}${fraction.slice(0, scale).padEnd(scale, "0")}`);
        if (unscaled >= limit) throw new ArrowValueError(name, v, type.toString());
        if (m[1] === "-") unscaled = -unscaled;
        // Two's complement, little-endian 32-bit words.
        let bits = BigInt.asUintN(bitWidth, unscaled);
        for (let w = 0; w < words; w++) {
          data[i * words + w] = Number(bits & 0xffff_ffffn);
          bits >>= 32n;
        }
      });
      return makeData({ type, length: values.length, ...validity(values), data });
    },
  };
}

/** An Arrow IPC stream: the schema, then one record batch per batch of rows. */
export function resultArrow(stream: RowStream): Readable {
  const first = stream.firstBatch();
  const arrowColumns = stream.columns.map((column, i) => arrowColumn(column, stream.sources[i], first, i));
  const fields = stream.columns.map((column, i) => new Field(column.name, arrowColumns[i]!.type, true));
  const schema = new Schema(fields);
  const writer = new RecordBatchStreamWriter();
  // The schema is written even when there are no rows, so an empty result still reads back.
  writer.reset(undefined, schema);
  (async () => {
    try {
      for await (const batch of stream.batches()) writer.write(recordBatch(schema, arrowColumns, batch));
      writer.finish();
    } catch (error) {
      writer.abort(error);
    }
  })();
  return writer.toNodeStream();
}

function recordBatch(schema: Schema, columns: ArrowColumn[], rows: unknown[][]): RecordBatch {
  const children = columns.map((column, i) => column.data(rows.map((row) => row[i] ?? null)));
  const data = makeData({
    type: new Struct(schema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  });
  return new RecordBatch(schema, data);
}
