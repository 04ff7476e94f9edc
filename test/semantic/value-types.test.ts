// Values keep their exact value and one type per column in every format of the Execution API
// (issue 15, item 10): read back with the readers clients use (JSON.parse, csv-parse,
// apache-arrow's tableFromIPC) and compared with the exact values PostgreSQL holds.
import { type Table, tableFromIPC, util } from "apache-arrow";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let key: string;

beforeAll(async () => {
  ({ t, org } = await openWarehouse("7"));
  key = await createKey(t.prisma, org, { scopes: ["sql:execute"] });
}, 120_000);

afterAll(() => closeWarehouse(t));

const ARROW = "application/vnd.apache.arrow.stream";
const exec = (sql: string, accept = "application/json") =>
  t.app.inject({
    method: "POST",
    url: "/api/v1/exec/sql",
    headers: { ...bearer(key), "content-type": "application/json", accept },
    payload: JSON.stringify({ sql, connection: { name: DEMO_CONNECTION_NAME } }),
  });

// Three rows: values at the edges of their types, their negatives, and nulls.
const SQL = `
SELECT v.* FROM (VALUES
  (12345678901234567890.123456::numeric, 12345678901234567890.123456::numeric(30,6), 9007199254740993::bigint,
   timestamp '2024-02-29 13:14:15.123456', timestamptz '2024-02-29 13:14:15.654321+05:30',
   date '2024-02-29', time '23:59:59.999999', '\\x00ff10'::bytea, 12.5::numeric(12,2), 42::smallint),
  (-0.000001::numeric, '-99999999999999999999.999999'::numeric(30,6), '-9223372036854775808'::bigint,
   timestamp '1969-12-31 23:59:59.000001', timestamptz '1970-01-01 00:00:00+00',
   date '1900-01-01', time '00:00:00', ''::bytea, '-0.01'::numeric(12,2), '-32768'::smallint),
  (NULL, NULL::numeric(30,6), 7::bigint, NULL, NULL, NULL, NULL, NULL, NULL::numeric(12,2), NULL)
) AS v(dec_free, dec_30_6, big, ts, tstz, d, tm, bin, money, small)`;

const COLUMNS = ["dec_free", "dec_30_6", "big", "ts", "tstz", "d", "tm", "bin", "money", "small"];

/** The exact values, as JSON and CSV carry them (CSV: null as the empty field). */
const EXPECTED = [
  [
    "12345678901234567890.123456",
    "12345678901234567890.123456",
    "9007199254740993",
    "2024-02-29T13:14:15.123456",
    "2024-02-29T07:44:15.654321Z",
    "2024-02-29",
    "23:59:59.999999",
    "\\x00ff10",
    "12.50",
    42,
  ],
  [
    "-0.000001",
    "-99999999999999999999.999999",
    "-9223372036854775808",
    "1969-12-31T23:59:59.000001",
    "1970-01-01T00:00:00.000Z",
    "1900-01-01",
    "00:00:00",
    "\\x",
    "-0.01",
    -32768,
  ],
  [null, null, "7", null, null, null, null, null, null, null],
];

describe("exact values in JSON, CSV and Arrow", () => {
  it("JSON: DECIMAL and BIGINT as exact strings (one JSON type per column), times with microseconds", async () => {
    const response = await exec(SQL);
    expect(response.statusCode).toBe(200);
    const body: Json = JSON.parse(response.body);
    expect(body.result.columns).toEqual([
      { name: "dec_free", type: "DECIMAL" },
      { name: "dec_30_6", type: "DECIMAL" },
      { name: "big", type: "BIGINT" },
      { name: "ts", type: "TIMESTAMP" },
      { name: "tstz", type: "TIMESTAMP_TZ" },
      { name: "d", type: "DATE" },
      { name: "tm", type: "TIME" },
      { name: "bin", type: "BINARY" },
      { name: "money", type: "DECIMAL" },
      { name: "small", type: "SMALLINT" },
    ]);
    expect(body.result.data).toEqual(EXPECTED);
    // A BIGINT small enough for a JSON number is a string all the same.
    for (const [i] of COLUMNS.entries()) {
      const types = new Set(
        body.result.data
          .map((row: unknown[]) => row[i])
          .filter((v: unknown) => v !== null)
          .map((v: unknown) => typeof v),
      );
      expect(types.size, COLUMNS[i]).toBe(1);
    }
  });

  it("CSV: the same exact text", async () => {
    const response = await exec(SQL, "text/csv");
    expect(response.statusCode).toBe(200);
    const records: string[][] = parse(response.body);
    expect(records[0]).toEqual(COLUMNS);
    expect(records.slice(1)).toEqual(EXPECTED.map((row) => row.map((v) => (v === null ? "" : String(v)))));
  });

  it("Arrow: Decimal, Int64, Timestamp, Date, Time and Binary types with exact values", async () => {
    const response = await exec(SQL, ARROW);
    expect(response.statusCode).toBe(200);
    const table = tableFromIPC(response.rawPayload);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      // Unconstrained: the first batch's largest scale, Decimal128's full precision.
      dec_free: "Decimal[38e+6]",
      dec_30_6: "Decimal[30e+6]",
      big: "Int64",
      ts: "Timestamp<MICROSECOND>",
      tstz: "Timestamp<MICROSECOND, UTC>",
      d: "Date32<DAY>",
      tm: "Time64<MICROSECOND>",
      bin: "Binary",
      money: "Decimal[12e+2]",
      small: "Int16",
    });
    const decimal = (name: string, scale: number) =>
      column(table, name).map((v) => (v === null ? null : decimalText(unscaled(v), scale)));
    expect(decimal("dec_free", 6)).toEqual(["12345678901234567890.123456", "-0.000001", null]);
    expect(decimal("dec_30_6", 6)).toEqual([
      "12345678901234567890.123456",
      "-99999999999999999999.999999",
      null,
    ]);
    expect(decimal("money", 2)).toEqual(["12.50", "-0.01", null]);
    // What a JavaScript Arrow reader gets from the library itself.
    expect(util.bigNumToString(column(table, "dec_30_6")[1] as never)).toBe("-99999999999999999999999999");
    expect(column(table, "big")).toEqual([9007199254740993n, -9223372036854775808n, 7n]);
    // Microseconds since the epoch (UTC), read from the column's own buffer.
    expect(raw(table, "ts")).toEqual([1709212455123456n, -999999n, null]);
    expect(raw(table, "tstz")).toEqual([
      BigInt(Date.UTC(2024, 1, 29, 7, 44, 15)) * 1000n + 654321n,
      0n,
      null,
    ]);
    expect(raw(table, "tm")).toEqual([86399999999n, 0n, null]);
    expect(raw(table, "d")).toEqual([
      Date.UTC(2024, 1, 29) / 86_400_000,
      Date.UTC(1900, 0, 1) / 86_400_000,
      null,
    ]);
    expect(
      column(table, "bin").map((v) => (v === null ? null : Buffer.from(v as Uint8Array).toString("hex"))),
    ).toEqual(["00ff10", "", null]);
    expect(column(table, "small")).toEqual([42, -32768, null]);
  });

  it("Arrow: a table's numeric(12,2) column is a Decimal(12, 2)", async () => {
    const sql = "SELECT id, amount FROM fact_orders ORDER BY id LIMIT 3";
    const json: Json = (await exec(sql)).json();
    const table = tableFromIPC((await exec(sql, ARROW)).rawPayload);
    expect(String(table.schema.fields[1]?.type)).toBe("Decimal[12e+2]");
    expect(column(table, "amount").map((v) => decimalText(unscaled(v), 2))).toEqual(
      json.result.data.map((row: unknown[]) => row[1]),
    );
    expect(json.result.data.every((row: unknown[]) => /^\d+\.\d\d$/.test(row[1] as string))).toBe(true);
  });

  it("Arrow: a numeric wider than Decimal128 is a Decimal256; NaN makes the column text", async () => {
    const wide = "123456789012345678901234567890123456789012345.678901234567890123456789";
    const response = await exec(
      `SELECT '${wide}'::numeric AS wide, 'NaN'::numeric AS nan, 1.5::numeric AS one`,
      ARROW,
    );
    expect(response.statusCode).toBe(200);
    const table = tableFromIPC(response.rawPayload);
    expect(String(table.schema.fields[0]?.type)).toBe("Decimal[76e+24]");
    expect((table.schema.fields[0]?.type as { bitWidth: number }).bitWidth).toBe(256);
    expect(decimalText(unscaled(column(table, "wide")[0]), 24)).toBe(wide);
    expect(String(table.schema.fields[1]?.type)).toBe("Utf8");
    expect(column(table, "nan")).toEqual(["NaN"]);
    expect(decimalText(unscaled(column(table, "one")[0]), 1)).toBe("1.5");
    expect((await exec("SELECT 'NaN'::numeric AS nan")).json().result.data).toEqual([["NaN"]]);
  });
});

function column(table: Table, name: string): unknown[] {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`no column ${name}`);
  return Array.from({ length: vector.length }, (_, i) => vector.get(i));
}

/** A fixed-width column's values straight from its buffer (null where the bitmap says so). */
function raw(table: Table, name: string): unknown[] {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`no column ${name}`);
  const data = vector.data[0] as unknown as { values: ArrayLike<unknown>; getValid(i: number): boolean };
  return Array.from({ length: vector.length }, (_, i) => (data.getValid(i) ? data.values[i] : null));
}

/**
 * A Decimal value's unscaled integer from its little-endian 32-bit words (two's complement).
 * apache-arrow's own util.bigNumToString is right for Decimal128 (checked above) but prints
 * 256-bit values wrong (21.2.0), so the words are read here.
 */
function unscaled(value: unknown): bigint {
  const words = value as Uint32Array;
  let bits = 0n;
  for (let w = words.length - 1; w >= 0; w--) bits = (bits << 32n) | BigInt(words[w] as number);
  return BigInt.asIntN(words.length * 32, bits);
}

/** An unscaled integer as decimal text with `scale` fractional digits. */
function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
