import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBlocks, renderBlock } from "../../src/exec/blocks.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse, warehouseQuery } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let runner: string;

const PACKAGE = `#+src sql OrdersWithStatus(status)
#+begin
SELECT COUNT(*) AS n FROM fact_orders WHERE status = {{ status }}
#+end

#+src sql OrdersWithStatuses(statuses)
#+begin
SELECT status, COUNT(*) AS n FROM fact_orders WHERE status IN ({{ statuses }}) GROUP BY status ORDER BY status;
#+end

#+src sql Fees(payment_fees)
#+begin
SELECT {{ payment_fees.credit_card }}::numeric AS card, {{ payment_fees.paypal }}::numeric AS paypal
#+end

#+src sql Quoted(domain)
#+begin
SELECT COUNT(*) FROM dim_customers WHERE email LIKE '%{{ domain }}'
#+end

#+test sql TestNoNegativeAmounts()
#+begin
SELECT * FROM fact_orders WHERE amount < 0
#+end

#+test sql TestNoOrders()
#+begin
SELECT * FROM fact_orders
#+end
`;

beforeAll(async () => {
  ({ t, org } = await openWarehouse("d"));
  runner = await createKey(t.prisma, org, { scopes: ["catalog:read", "sql:execute"] });
  const created = await gql(
    t.app,
    org.key,
    "mutation($input: CreateCatalogAssetInput!) { createCatalogAsset(input: $input) { path } }",
    { input: { parentPath: "@Shared", name: "checks", content: PACKAGE } },
  );
  expect(created.body.errors).toBeUndefined();
}, 120_000);

afterAll(() => closeWarehouse(t));

const post = (url: string, body: unknown, key = runner) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(key), "content-type": "application/json" },
    payload: JSON.stringify(body),
  });
const block = (block_name: string, args?: unknown) =>
  post("/api/v1/exec/block", {
    package: "@Shared/checks",
    block_name,
    args,
    connection: { name: DEMO_CONNECTION_NAME },
  });
const count = async (sql: string) => Number((await warehouseQuery<{ n: string }>(t, sql))[0]?.n ?? 0);

describe("parsing and rendering blocks", () => {
  it("finds blocks and binds references instead of splicing them", () => {
    const blocks = parseBlocks(PACKAGE);
    expect(blocks.map((b) => [b.kind, b.name, b.args])).toEqual([
      ["src", "OrdersWithStatus", ["status"]],
      ["src", "OrdersWithStatuses", ["statuses"]],
      ["src", "Fees", ["payment_fees"]],
      ["src", "Quoted", ["domain"]],
      ["test", "TestNoNegativeAmounts", []],
      ["test", "TestNoOrders", []],
    ]);
    const rendered = renderBlock(blocks[1] as (typeof blocks)[number], {
      statuses: ["a", "b'; DROP TABLE x; --"],
    });
    expect(rendered.sql).toContain("IN ($__block_arg_1, $__block_arg_2)");
    expect(rendered.params).toEqual({ $__block_arg_1: "a", $__block_arg_2: "b'; DROP TABLE x; --" });
  });
});

describe("POST /api/v1/exec/block", () => {
  it("runs a block with a scalar argument", async () => {
    const response = await block("OrdersWithStatus", { status: "completed" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-coginiti-execution-started-at"]).toBeDefined();
    const expected = await count(
      "SELECT COUNT(*) AS n FROM analytics.fact_orders WHERE status = 'completed'",
    );
    expect(expected).toBeGreaterThan(0);
    // COUNT(*) is a BIGINT: an exact string in JSON (docs/semantic.md, "Value types").
    expect(response.json().result.data).toEqual([[String(expected)]]);
  });

  it("runs a block with a list argument, and an injection attempt is just a value", async () => {
    const response = await block("OrdersWithStatuses", {
      statuses: ["completed", "pending", "x'); DELETE FROM fact_orders; --"],
    });
    expect(response.statusCode).toBe(200);
    const statuses = response.json().result.data.map((row: unknown[]) => row[0]);
    expect(statuses).toEqual(["completed", "pending"]);
    expect(await count("SELECT COUNT(*) AS n FROM analytics.fact_orders")).toBe(100_000);
  });

  it("runs a block with a map argument", async () => {
    const response = await block("Fees", { payment_fees: { credit_card: 0.25, paypal: 0.3 } });
    expect(response.statusCode).toBe(200);
    // Bound as numeric parameters: DECIMAL columns, exact strings in JSON.
    expect(response.json().result.data).toEqual([["0.25", "0.3"]]);
  });

  it("answers the documented test report, 200 when passing and failing", async () => {
    const passed = await block("TestNoNegativeAmounts");
    expect(passed.statusCode).toBe(200);
    expect(passed.json()).toMatchObject({
      tests: [
        {
          package_name: "@Shared/checks",
          test_name: "TestNoNegativeAmounts",
          status: "PASSED",
          message: "Test passed",
        },
      ],
      stats: { tests: 1, passed: 1, failed: 0 },
    });
    const failed = await block("TestNoOrders");
    expect(failed.statusCode).toBe(200);
    expect(failed.json().tests[0]).toMatchObject({
      status: "FAILED",
      message: "Test assertion failed: The test returned non-empty recordset",
    });
    expect(failed.json().stats).toMatchObject({ tests: 1, passed: 0, failed: 1 });
    expect(Object.keys(failed.json().tests[0])).toEqual([
      "package_name",
      "test_name",
      "status",
      "message",
      "started_at",
      "finished_at",
      "duration_ms",
    ]);
  });

  it.each([
    [{ block_name: "Fees", connection: { name: DEMO_CONNECTION_NAME } }, 400, "Package is required"],
    [
      { package: "@Shared/checks", connection: { name: DEMO_CONNECTION_NAME } },
      400,
      "Block name is required",
    ],
    [{ package: "@Shared/checks", block_name: "TestNoOrders" }, 400, "Connection is required"],
    [
      { package: "@Shared/checks", block_name: "TestNoOrders", connection: {} },
      400,
      "Connection name is required",
    ],
    [
      { package: "@Shared/nope", block_name: "X", connection: { name: DEMO_CONNECTION_NAME } },
      404,
      "Path not found: @Shared/nope",
    ],
    [
      { package: "@Shared", block_name: "X", connection: { name: DEMO_CONNECTION_NAME } },
      422,
      "Path must be an asset",
    ],
    [
      { package: "@Shared/checks", block_name: "Nope", connection: { name: DEMO_CONNECTION_NAME } },
      404,
      "Block not found: Nope",
    ],
    [
      {
        package: "@Shared/checks",
        block_name: "OrdersWithStatus",
        connection: { name: DEMO_CONNECTION_NAME },
      },
      400,
      "Missing argument for block OrdersWithStatus: status",
    ],
    [
      {
        package: "@Shared/checks",
        block_name: "OrdersWithStatus",
        args: { status: "a" },
        connection: { name: "Nowhere" },
      },
      404,
      "Connection not found: Nowhere",
    ],
    [
      {
        package: "@Shared/checks",
        block_name: "Quoted",
        args: { domain: "x" },
        connection: { name: DEMO_CONNECTION_NAME },
      },
      400,
      "A {{ }} reference inside a quoted string or comment cannot be bound; write '%' || {{ x }} instead",
    ],
  ])("documented error for %j", async (body, status, detail) => {
    const response = await post("/api/v1/exec/block", body);
    expect(response.statusCode).toBe(status);
    expect(response.json().detail).toBe(detail);
  });
});
