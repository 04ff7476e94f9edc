// The REST surfaces of the Semantic Layer and Execution APIs over the demo warehouse: documented
// shapes and errors, generated SQL against hand-written SQL, injection attempts, CSV and Arrow.
import { tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CONNECTION_NAME, DEMO_ORDER_COUNT } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, createOrg, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse, SEED_FILTER_QUERY, warehouseQuery } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let reader: string;

beforeAll(async () => {
  ({ t, org } = await openWarehouse("a"));
  reader = await createKey(t.prisma, org, { scopes: ["semantic:read", "sql:execute"] });
}, 120_000);

afterAll(() => closeWarehouse(t));

const post = (url: string, body: unknown, key = reader, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(key), "content-type": "application/json", ...headers },
    payload: JSON.stringify(body),
  });
const execSql = (sql: string, params?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  post("/api/v1/exec/sql", { sql, params, connection: { name: DEMO_CONNECTION_NAME } }, reader, headers);
const rawQuery = (sql: string) => warehouseQuery(t, sql);

describe("GET /api/v1/semantic-layer/metadata/{connection_name}", () => {
  it("returns the documented shape, with the seed's example in it", async () => {
    const response = await t.app.inject({
      method: "GET",
      url: `/api/v1/semantic-layer/metadata/${encodeURIComponent(DEMO_CONNECTION_NAME)}`,
      headers: bearer(reader),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.version).toBe("1.0");
    const layer = body.layers[0];
    expect(Object.keys(layer)).toEqual(["name", "label", "environment", "domains"]);
    expect(layer).toMatchObject({
      name: "sales_analytics",
      label: "Sales Analytics",
      environment: { platform: "postgres" },
    });
    const entity = layer.domains[0].entities[0];
    expect(Object.keys(entity)).toEqual([
      "name",
      "label",
      "description",
      "table_name",
      "dimensions",
      "measures",
      "relationships",
    ]);
    expect(entity.dimensions[0]).toEqual({
      name: "order_date",
      label: "Order Date",
      data_type: "DATE",
      hidden: false,
      expr: "order_date",
    });
    expect(entity.measures[0]).toEqual({
      name: "total_revenue",
      label: "Total Revenue",
      data_type: "DECIMAL",
      hidden: false,
      expr: "amount",
      aggregation_type: "SUM",
    });
    expect(entity.relationships[0]).toEqual({
      name: "customer",
      join_type: "MANY_TO_ONE",
      to_entity: "dim_customers",
      expr: "fact_orders.customer_id = dim_customers.id",
    });
  });

  it("answers the documented errors", async () => {
    const get = (name: string, key = reader) =>
      t.app.inject({
        method: "GET",
        url: `/api/v1/semantic-layer/metadata/${encodeURIComponent(name)}`,
        headers: bearer(key),
      });
    const missing = await get("Nowhere");
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ message: expect.any(String), detail: "Connection not found" });
    await t.prisma.dataConnection.create({
      data: { organizationId: org.id, name: "Bare", platform: "postgres", encryptedUrl: "x" },
    });
    expect((await get("Bare")).json().detail).toBe("No semantic model found for connection");
    const noScope = await createKey(t.prisma, org, { scopes: ["records:read"] });
    const forbidden = await get(DEMO_CONNECTION_NAME, noScope);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().detail).toBe("You don't have permission to access this connection");
  });

  it("is confined to the organisation", async () => {
    const other = await createOrg(t.prisma, "Other");
    const response = await t.app.inject({
      method: "GET",
      url: `/api/v1/semantic-layer/metadata/${encodeURIComponent(DEMO_CONNECTION_NAME)}`,
      headers: bearer(other.key),
    });
    expect(response.json()).toMatchObject({ detail: "Connection not found" });
  });
});

describe("POST /api/v1/semantic-layer/codegen/sql", () => {
  it("turns the seed's request into the seed's SQL", async () => {
    const response = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query: SEED_FILTER_QUERY,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      sql: "SELECT order_date, SUM(amount) AS revenue FROM analytics.fact_orders WHERE order_date BETWEEN '2024-01-01' AND '2024-12-31' AND amount > 1000 GROUP BY order_date ORDER BY SUM(amount) DESC LIMIT 50",
    });
  });

  it.each([
    [{ dimensions: [], measures: [] }, "At least one dimension or measure is required"],
    [{ dimensions: [{ entity: "nope", field: "x" }] }, "Entity not found: nope"],
    [
      { dimensions: [{ entity: "fact_orders", field: "nope" }] },
      "Field not found: nope in entity fact_orders",
    ],
    [
      {
        dimensions: [{ entity: "fact_orders", field: "status" }],
        filters: [
          {
            type: "CONDITION",
            field: { entity: "fact_orders", field: "status" },
            operator: { type: "REGEX", values: ["x"] },
          },
        ],
      },
      "Invalid operator type: REGEX",
    ],
    [
      { dimensions: [{ entity: "fact_orders", field: "status" }], limit: { fetch: 0 } },
      "Fetch must be greater than 0",
    ],
    [
      { dimensions: [{ entity: "fact_orders", field: "order_id" }] },
      "Field is hidden: order_id in entity fact_orders",
    ],
  ])("400 for %j", async (query, detail) => {
    const response = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      message: "The request was unacceptable, since it didn't pass validation",
      detail,
    });
  });

  it("answers no model and no permission", async () => {
    const noModel = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: "Bare",
      query: { dimensions: [{ entity: "a", field: "b" }] },
    });
    expect(noModel.json().detail).toBe("No semantic model found for connection");
    const key = await createKey(t.prisma, org, { scopes: ["sql:execute"] });
    const forbidden = await post(
      "/api/v1/semantic-layer/codegen/sql",
      {
        connection_name: DEMO_CONNECTION_NAME,
        query: { dimensions: [{ entity: "fact_orders", field: "status" }] },
      },
      key,
    );
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().detail).toBe("You don't have permission to access this connection");
  });
});

describe("generated SQL on the demo warehouse", () => {
  it("gives the same aggregates as a hand-written query", async () => {
    const generated = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query: {
        dimensions: [{ entity: "dim_customers", field: "country" }],
        measures: [
          { entity: "fact_orders", field: "total_revenue" },
          { entity: "fact_orders", field: "order_count" },
          { entity: "fact_orders", field: "customer_count" },
        ],
        filters: [
          {
            type: "CONDITION",
            field: { entity: "fact_orders", field: "order_date" },
            operator: { type: "IN_DATE_RANGE", values: ["2023-03-01", "2023-09-30"] },
          },
          {
            type: "CONDITION",
            field: { entity: "fact_orders", field: "status" },
            operator: { type: "NOT_EQUALS", values: ["returned"] },
          },
        ],
        order_by: [{ field: { entity: "dim_customers", field: "country" } }],
      },
    });
    expect(generated.statusCode).toBe(200);
    const run = await execSql(generated.json().sql);
    expect(run.statusCode).toBe(200);
    const expected = await rawQuery(
      `SELECT c.country, sum(o.amount)::text AS revenue, count(*)::int AS orders, count(DISTINCT o.customer_id)::int AS customers
       FROM analytics.fact_orders o JOIN analytics.dim_customers c ON c.id = o.customer_id
       WHERE o.order_date >= DATE '2023-03-01' AND o.order_date <= DATE '2023-09-30' AND o.status <> 'returned'
       GROUP BY c.country ORDER BY c.country`,
    );
    expect(expected.length).toBe(6);
    expect(run.json().result.data).toEqual(
      expected.map((r) => [r.country, r.revenue, String(r.orders), String(r.customers)]),
    );
  });

  it("holds about 100 000 orders", async () => {
    const run = await execSql("SELECT count(*) AS n FROM fact_orders");
    expect(run.json().result).toEqual({
      columns: [{ name: "n", type: "BIGINT" }],
      data: [[String(DEMO_ORDER_COUNT)]],
    });
  });
});

describe("POST /api/v1/exec/sql", () => {
  it("binds $ and $$ params and reports stats and the started-at header", async () => {
    const response = await execSql(
      "SELECT order_date, SUM(amount) AS total FROM fact_orders WHERE order_date >= $start_date AND order_date < $$end_date AND status = $status GROUP BY order_date ORDER BY order_date",
      { $start_date: "2024-01-01", $$end_date: "2024-01-03", status: "completed" },
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.result.columns).toEqual([
      { name: "order_date", type: "DATE" },
      { name: "total", type: "DECIMAL" },
    ]);
    expect(body.result.data.map((row: unknown[]) => row[0])).toEqual(["2024-01-01", "2024-01-02"]);
    expect(body.stats).toEqual({
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      finished_at: expect.any(String),
      duration_ms: expect.any(Number),
    });
    expect(response.headers["x-coginiti-execution-started-at"]).toBe(body.stats.started_at);
  });

  it.each([
    [{ connection: { name: DEMO_CONNECTION_NAME } }, 400, "SQL query is required"],
    [{ sql: "SELECT 1" }, 400, "Connection is required"],
    [{ sql: "SELECT 1", connection: {} }, 400, "Connection name is required"],
    [{ sql: "SELECT 1", connection: { name: "Nowhere" } }, 404, "Connection not found: Nowhere"],
  ])("documented error for %j", async (body, status, detail) => {
    const response = await post("/api/v1/exec/sql", body);
    expect(response.statusCode).toBe(status);
    expect(response.json().detail).toBe(detail);
  });

  it("runs read-only, one statement, inside the analytics schema only", async () => {
    const before = await rawQuery("SELECT count(*)::int AS n FROM analytics.fact_orders");
    const write = await execSql("DELETE FROM fact_orders");
    expect(write.statusCode).toBe(400);
    const two = await execSql("SELECT 1; DELETE FROM fact_orders");
    expect(two.statusCode).toBe(400);
    expect(two.json().detail).toMatch(/multiple commands|syntax/);
    // The platform's tables are not in the warehouse at all (test/semantic/isolation.test.ts).
    const appTable = await execSql("SELECT email FROM public.users");
    expect(appTable.statusCode).toBe(400);
    expect(appTable.json().detail).toMatch(/does not exist|permission denied/);
    expect(await rawQuery("SELECT count(*)::int AS n FROM analytics.fact_orders")).toEqual(before);
  });

  it("injection through params and filter values fails safely and leaves data intact", async () => {
    const hostile = "x'; DELETE FROM fact_orders; --";
    const viaParam = await execSql("SELECT count(*) AS n FROM fact_orders WHERE status = $s", {
      $s: hostile,
    });
    expect(viaParam.json().result.data).toEqual([["0"]]);
    const codegen = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query: {
        measures: [{ entity: "fact_orders", field: "order_count" }],
        filters: [
          {
            type: "CONDITION",
            field: { entity: "fact_orders", field: "status" },
            operator: { type: "EQUALS", values: [hostile, "a\\'b"] },
          },
        ],
      },
    });
    const ran = await execSql(codegen.json().sql);
    expect(ran.json().result.data).toEqual([["0"]]);
    const viaIdentifier = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query: { measures: [{ entity: "fact_orders; DROP TABLE fact_orders", field: "order_count" }] },
    });
    expect(viaIdentifier.statusCode).toBe(400);
    const viaOverride = await post("/api/v1/exec/sql", {
      sql: "SELECT 1",
      connection: { name: DEMO_CONNECTION_NAME, overrides: { schema: 'analytics"; DROP' } },
    });
    expect(viaOverride.statusCode).toBe(400);
    expect(await rawQuery("SELECT count(*)::int AS n FROM analytics.fact_orders")).toEqual([
      { n: DEMO_ORDER_COUNT },
    ]);
  });

  it("CSV and Arrow read back equal to the JSON output", async () => {
    const sql =
      "SELECT o.id, o.order_date, o.amount, o.status, o.quantity > 2 AS big, NULL::text AS nothing FROM fact_orders o ORDER BY o.id LIMIT 50";
    const json = (await execSql(sql)).json().result;
    const csv = await execSql(sql, undefined, { accept: "text/csv" });
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    const records: string[][] = parse(csv.body);
    expect(records[0]).toEqual(json.columns.map((c: { name: string }) => c.name));
    expect(records.slice(1)).toEqual(
      json.data.map((row: unknown[]) => row.map((v) => (v === null ? "" : String(v)))),
    );
    const arrow = await execSql(sql, undefined, { accept: "application/vnd.apache.arrow.stream" });
    expect(arrow.headers["content-type"]).toBe("application/vnd.apache.arrow.stream");
    expect(arrow.headers["x-coginiti-execution-started-at"]).toBeTruthy();
    const table = tableFromIPC(arrow.rawPayload);
    expect(table.schema.fields.map((f) => f.name)).toEqual(json.columns.map((c: { name: string }) => c.name));
    const rows = table.toArray().map((row) =>
      table.schema.fields.map((f) => {
        const v = row[f.name];
        if (v === null) return null;
        if (f.type.toString().startsWith("Date")) return new Date(v as number).toISOString().slice(0, 10);
        // amount numeric(12,2): a Decimal128 whose low word holds the cents of these amounts.
        if (f.type.toString() === "Decimal[12e+2]") return (Number((v as Uint32Array)[0]) / 100).toFixed(2);
        return v;
      }),
    );
    expect(rows).toEqual(json.data);
  });
});
