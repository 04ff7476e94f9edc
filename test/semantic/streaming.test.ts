// Large results travel batch by batch: JSON, CSV and Arrow carry the same rows, the row cap cuts
// them exactly, and on PostgreSQL a failure after the first batch can only cut the response off
// (the status went out with the first batch) and never leaves the session open. On the embedded
// database results are read whole before the response starts (docs/semantic.md). The statement
// timeout holds on both: enforced by PostgreSQL, or on the embedded warehouse by replacing its
// worker thread, since PGlite cannot interrupt a running statement.
import { tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse/sync";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse } from "./fixtures.js";

const MAX_ROWS = 2_500;
const TIMEOUT_MS = 1_000;
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

let t: TestApp;
let org: TestOrg;
let reader: string;

beforeAll(async () => {
  ({ t, org } = await openWarehouse("c", {
    EXEC_MAX_ROWS: String(MAX_ROWS),
    EXEC_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS),
  }));
  reader = await createKey(t.prisma, org, { scopes: ["sql:execute"] });
}, 120_000);

afterAll(() => closeWarehouse(t));

const execSql = (sql: string, accept = "application/json") =>
  t.app.inject({
    method: "POST",
    url: "/api/v1/exec/sql",
    headers: { ...bearer(reader), "content-type": "application/json", accept },
    payload: JSON.stringify({ sql, connection: { name: DEMO_CONNECTION_NAME } }),
  });

const series = (n: number) =>
  `SELECT i, md5(i::text) AS digest FROM generate_series(1, ${n}) AS i ORDER BY i`;

describe("large results", () => {
  it("JSON, CSV and Arrow carry the same rows, in batches of 1 000 on PostgreSQL", async () => {
    const n = 2_345;
    const json = await execSql(series(n));
    expect(json.statusCode).toBe(200);
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    const body = json.json();
    expect(body.result.columns).toEqual([
      { name: "i", type: "INTEGER" },
      { name: "digest", type: "STRING" },
    ]);
    expect(body.result.data).toHaveLength(n);
    expect(body.result.data[0]).toEqual([1, "c4ca4238a0b923820dcc509a6f75849b"]);
    expect(body.result.data.map((row: unknown[]) => row[0])).toEqual(
      Array.from({ length: n }, (_, k) => k + 1),
    );
    expect(Date.parse(body.stats.finished_at)).toBeGreaterThanOrEqual(Date.parse(body.stats.started_at));

    const csv = parse((await execSql(series(n), "text/csv")).body) as string[][];
    expect(csv[0]).toEqual(["i", "digest"]);
    expect(csv.slice(1)).toEqual(body.result.data.map((row: unknown[]) => row.map(String)));

    const arrow = await execSql(series(n), "application/vnd.apache.arrow.stream");
    const table = tableFromIPC(arrow.rawPayload);
    expect(table.numRows).toBe(n);
    expect(table.getChild("digest")?.get(n - 1)).toBe(body.result.data[n - 1][1]);
    // One record batch per FETCH when streaming; one for the whole result when read at once.
    expect(table.batches.length).toBe(onPostgres ? 3 : 1);
  });

  it("an empty result still has its columns in every format", async () => {
    const sql = "SELECT i FROM generate_series(1, 3) AS i WHERE i > 5";
    expect((await execSql(sql)).json().result).toEqual({
      columns: [{ name: "i", type: "INTEGER" }],
      data: [],
    });
    expect(parse((await execSql(sql, "text/csv")).body)).toEqual([["i"]]);
    const table = tableFromIPC((await execSql(sql, "application/vnd.apache.arrow.stream")).rawPayload);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["i"]);
    expect(table.numRows).toBe(0);
  });

  it.each([
    [MAX_ROWS - 1, MAX_ROWS - 1],
    [MAX_ROWS, MAX_ROWS],
    [MAX_ROWS + 1, MAX_ROWS],
    [MAX_ROWS * 3, MAX_ROWS],
  ])("a result of %i rows returns %i (the row cap), and says whether it was cut", async (n, expected) => {
    const cut = n > MAX_ROWS;
    /** The header when the first batch told, else the trailer sent after the last row. */
    const truncation = (response: Awaited<ReturnType<typeof execSql>>) =>
      response.headers["x-result-truncated"] ?? response.trailers["x-result-truncated"];
    const json = await execSql(series(n));
    const body = json.json();
    expect(body.result.data).toHaveLength(expected);
    expect(body.result.data.at(-1)?.[0]).toBe(expected);
    expect(body.truncated).toBe(cut ? true : undefined);
    expect(body.max_rows).toBe(cut ? MAX_ROWS : undefined);
    expect(truncation(json)).toBe(String(cut));
    // On the embedded warehouse the whole result is read first: the header already knows.
    if (!onPostgres) expect(json.headers["x-result-truncated"]).toBe(String(cut));
    const arrow = await execSql(series(n), "application/vnd.apache.arrow.stream");
    expect(tableFromIPC(arrow.rawPayload).numRows).toBe(expected);
    expect(truncation(arrow)).toBe(String(cut));
    const csv = await execSql(series(n), "text/csv");
    expect(parse(csv.body)).toHaveLength(expected + 1);
    expect(truncation(csv)).toBe(String(cut));
  });

  it("a failure after the first batch cuts the response off and releases the session", async () => {
    // Rows 1..1500 are fine; row 1501 divides by zero, after the first batch has been sent.
    const sql =
      "SELECT CASE WHEN i <= 1500 THEN i ELSE 1 / (i - i) END AS v FROM generate_series(1, 3000) AS i";
    const outcome = await execSql(sql).then(
      (response) => ({ status: response.statusCode, body: response.body }),
      (error: Error) => ({ status: -1, body: String(error) }),
    );
    if (onPostgres) {
      // The 200 went out with the first batch: the body is cut off, never a valid document.
      expect(outcome.status === 200 || outcome.status === -1).toBe(true);
      expect(() => JSON.parse(outcome.body)).toThrow();
      expect(outcome.body).not.toMatch(/"stats"/);
    } else {
      expect(outcome.status).toBe(400);
      expect(JSON.parse(outcome.body).detail).toMatch(/division by zero/);
    }
    if (onPostgres) {
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      try {
        // The cursor's session is gone (ROLLBACK and disconnect), not left idle in a transaction.
        let open = 1;
        for (let attempt = 0; attempt < 50 && open > 0; attempt++) {
          const { rows } = await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'FETCH FORWARD%' AND state LIKE 'idle in transaction%'",
          );
          open = rows[0].n;
          if (open > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(open).toBe(0);
      } finally {
        await admin.end();
      }
    }
    // The service still answers.
    expect((await execSql("SELECT 1 AS one")).json().result.data).toEqual([[1]]);
  });
});

describe("the statement timeout", () => {
  it("stops a long statement on both databases, and the server answers meanwhile", async () => {
    const started = Date.now();
    const running = execSql("SELECT count(*) FROM generate_series(1, 500000000)");
    // Tenant SQL never runs on the platform's thread or session: the API stays responsive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const probeStarted = Date.now();
    const health = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
    expect(Date.now() - probeStarted).toBeLessThan(500);
    const response = await running;
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toBe(`Query exceeded the statement timeout of ${TIMEOUT_MS} ms`);
    expect(Date.now() - started).toBeLessThan(10_000);
    // PGlite cannot interrupt the statement: its warehouse was replaced, and answers again.
    expect((await execSql("SELECT 1 AS one")).json().result.data).toEqual([[1]]);
  });

  it("pg_sleep is cancelled by the timeout on both databases", async () => {
    const response = await execSql("SELECT pg_sleep(3)");
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toBe(`Query exceeded the statement timeout of ${TIMEOUT_MS} ms`);
  });

  it("ordinary statements are not refused", async () => {
    const response = await execSql(
      "SELECT status, count(*) AS n FROM fact_orders GROUP BY status ORDER BY status",
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().result.data.length).toBeGreaterThan(1);
  });
});

describe("permission before validation", () => {
  it("a key without sql:execute gets 403 on every execution endpoint, even with an incomplete body", async () => {
    const outsider = await createKey(t.prisma, org, { scopes: ["catalog:read"] });
    for (const url of ["/api/v1/exec/sql", "/api/v1/exec/script", "/api/v1/exec/block"]) {
      const response = await t.app.inject({
        method: "POST",
        url,
        headers: { ...bearer(outsider), "content-type": "application/json" },
        payload: "{}",
      });
      expect(response.statusCode, url).toBe(403);
      expect(response.json().detail).toBe("You don't have permission to access this connection");
    }
  });
});
