// CoginitiScript packages: `#+import`, block calls inside blocks and scripts (inlined as bound
// subqueries), and test suites run by `{{ test.Run(packages=[...]) }}` through POST /exec/script.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCallArgs, parseImports, parsePackage, renderBlock } from "../../src/exec/blocks.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse, warehouseQuery } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let runner: string;

const LIB = `#+src sql OrdersWithStatus(status)
#+begin
SELECT id, amount FROM fact_orders WHERE status = {{ status }}
#+end

#+src sql BigOrders(status, min_amount)
#+begin
SELECT o.id FROM {{ OrdersWithStatus(status=status) }} o WHERE o.amount >= {{ min_amount }};
#+end
`;

const CHECKS = `#+import "@Shared/lib" as lib

#+test sql TestNoNegativeAmounts()
#+begin
SELECT * FROM fact_orders WHERE amount < 0
#+end

#+test sql TestCompletedHaveAmounts()
#+begin
SELECT * FROM {{ lib.OrdersWithStatus(status="completed") }} o WHERE o.amount IS NULL
#+end

#+test sql TestThereAreNoOrders()
#+begin
SELECT * FROM fact_orders
#+end

#+test sql TestStatusesAreKnown()
#+begin
SELECT * FROM fact_orders WHERE status NOT IN ('completed', 'pending', 'cancelled', 'refunded', 'shipped')
#+end
`;

const MORE_CHECKS = `#+test sql TestProductsExist()
#+begin
SELECT * FROM dim_products WHERE false
#+end
`;

const NIGHTLY = `#+import "std/test"
#+import "@Shared/checks"
#+import "@Shared/more_checks" as more

{{ test.Run(packages=[checks, more]) }}
`;

const STOP_ON_FAILURE = `#+import "std/test"
#+import "@Shared/checks"

{{ test.Run(packages=[checks], onFailure=test.Stop) }}
`;

const REPORT = `#+import "@Shared/lib"

SELECT count(*) AS n FROM {{ lib.BigOrders(status="completed", min_amount=100) }} AS big;
SELECT 'second statement is not run';
`;

async function asset(parentPath: string, name: string, content: string): Promise<void> {
  const created = await gql(
    t.app,
    org.key,
    "mutation($input: CreateCatalogAssetInput!) { createCatalogAsset(input: $input) { path } }",
    { input: { parentPath, name, content } },
  );
  expect(created.body.errors, JSON.stringify(created.body.errors)).toBeUndefined();
}

beforeAll(async () => {
  ({ t, org } = await openWarehouse("e"));
  runner = await createKey(t.prisma, org, { scopes: ["catalog:read", "sql:execute"] });
  await asset("@Shared", "lib", LIB);
  await asset("@Shared", "checks", CHECKS);
  await asset("@Shared", "more_checks", MORE_CHECKS);
  await asset("@Shared", "nightly", NIGHTLY);
  await asset("@Shared", "stop_on_failure", STOP_ON_FAILURE);
  await asset("@Shared", "report", REPORT);
  await asset(
    "@Shared",
    "cycle_a",
    `#+import "@Shared/cycle_b" as b\n#+src sql A()\n#+begin\nSELECT * FROM {{ b.B() }} x\n#+end\n`,
  );
  await asset(
    "@Shared",
    "cycle_b",
    `#+import "@Shared/cycle_a" as a\n#+src sql B()\n#+begin\nSELECT * FROM {{ a.A() }} y\n#+end\n`,
  );
}, 120_000);

afterAll(() => closeWarehouse(t));

const post = (url: string, body: unknown) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(runner), "content-type": "application/json" },
    payload: JSON.stringify({ ...(body as object), connection: { name: DEMO_CONNECTION_NAME } }),
  });
const count = async (sql: string) => Number((await warehouseQuery<{ n: string }>(t, sql))[0]?.n ?? 0);

describe("parsing", () => {
  it("reads imports with and without aliases", () => {
    expect(parseImports(NIGHTLY)).toEqual([
      { path: "std/test", alias: "test" },
      { path: "@Shared/checks", alias: "checks" },
      { path: "@Shared/more_checks", alias: "more" },
    ]);
    expect(() => parseImports('#+import "@Shared/x" as')).toThrow(/Invalid import/);
    expect(() => parseImports('#+import "@Shared/my report"')).not.toThrow();
    expect(parseImports('#+import "@Shared/my report"')[0]?.alias).toBe("my_report");
  });

  it("reads call arguments: strings, numbers, booleans, null, lists and references", () => {
    const lookup = (name: string) => (name === "caller" ? "from caller" : `?${name}`);
    expect(
      parseCallArgs(
        `a="x, y", b='it\\'s', n=-1.5e2, t=true, f=false, z=null, l=[1, "two", [3]], r=caller`,
        lookup,
      ),
    ).toEqual({
      a: "x, y",
      b: "it's",
      n: -150,
      t: true,
      f: false,
      z: null,
      l: [1, "two", [3]],
      r: "from caller",
    });
    expect(() => parseCallArgs("a=1, a=2", lookup)).toThrow(/a given twice/);
    expect(() => parseCallArgs('a="open', lookup)).toThrow(/unterminated string/);
    expect(() => parseCallArgs("a 1", lookup)).toThrow(/expected =/);
  });

  it("inlines a called block as a subquery whose values are bound, never spliced", () => {
    const lib = parsePackage("@Shared/lib", LIB);
    const big = lib.blocks.find((b) => b.name === "BigOrders")!;
    const rendered = renderBlock(
      big,
      { status: "x'); DROP TABLE fact_orders; --", min_amount: 5 },
      { packages: new Map([[lib.path, lib]]), current: lib },
    );
    expect(rendered.sql).toBe(
      "SELECT o.id FROM (SELECT id, amount FROM fact_orders WHERE status = $__block_arg_1) o WHERE o.amount >= $__block_arg_2;",
    );
    expect(rendered.params).toEqual({ $__block_arg_1: "x'); DROP TABLE fact_orders; --", $__block_arg_2: 5 });
  });
});

describe("block calls", () => {
  it("a block calling another block of its package runs as one statement", async () => {
    const response = await post("/api/v1/exec/block", {
      package: "@Shared/lib",
      block_name: "BigOrders",
      args: { status: "completed", min_amount: 400 },
    });
    expect(response.statusCode).toBe(200);
    const expected = await count(
      "SELECT count(*) AS n FROM analytics.fact_orders WHERE status = 'completed' AND amount >= 400",
    );
    expect(expected).toBeGreaterThan(0);
    expect(response.json().result.data).toHaveLength(expected);
  });

  it("a script's statement may call blocks of an imported package; only its first statement runs", async () => {
    const response = await post("/api/v1/exec/script", { path: "@Shared/report" });
    expect(response.statusCode).toBe(200);
    const expected = await count(
      "SELECT count(*) AS n FROM analytics.fact_orders WHERE status = 'completed' AND amount >= 100",
    );
    expect(response.json().result).toEqual({
      columns: [{ name: "n", type: "BIGINT" }],
      data: [[String(expected)]],
    });
  });

  it.each([
    [
      "an unknown package alias",
      "SELECT * FROM {{ nope.X() }} x",
      400,
      "Unknown package in block call: nope.X",
    ],
    ["an unknown block", "SELECT * FROM {{ Missing() }} x", 400, "Block not found: Missing"],
    [
      "a missing argument",
      '#+import "@Shared/lib"\nSELECT * FROM {{ lib.OrdersWithStatus() }} x',
      400,
      "Missing argument for block OrdersWithStatus: status",
    ],
    [
      "an unknown argument",
      '#+import "@Shared/lib"\nSELECT * FROM {{ lib.OrdersWithStatus(status="a", extra=1) }} x',
      400,
      "Unknown argument for block OrdersWithStatus: extra",
    ],
    [
      "an import of a missing path",
      '#+import "@Shared/nowhere"\nSELECT 1',
      404,
      "Path not found: @Shared/nowhere",
    ],
    ["an import of a folder", '#+import "@Shared"\nSELECT 1', 422, "Imported path must be an asset: @Shared"],
    [
      "a call cycle",
      '#+import "@Shared/cycle_a" as a\nSELECT * FROM {{ a.A() }} z',
      400,
      "Block calls nest deeper than 8 (a call cycle?) at a.A()",
    ],
  ])("%s answers its documented error", async (_name, content, status, detail) => {
    const name = `bad_${Math.random().toString(36).slice(2, 8)}`;
    await asset("@Shared", name, content);
    const response = await post("/api/v1/exec/script", { path: `@Shared/${name}` });
    expect(response.statusCode).toBe(status);
    expect(response.json().detail).toBe(detail);
    // Nothing ran against the warehouse.
    expect(await count("SELECT count(*) AS n FROM analytics.fact_orders")).toBe(100_000);
  });
});

describe("test suites with test.Run()", () => {
  it("runs every test block of the named packages and answers the seed's report, 200 with failures", async () => {
    const response = await post("/api/v1/exec/script", { path: "@Shared/nightly" });
    expect(response.statusCode).toBe(200);
    const report = response.json();
    expect(
      report.tests.map((r: { package_name: string; test_name: string; status: string }) => [
        r.package_name,
        r.test_name,
        r.status,
      ]),
    ).toEqual([
      ["@Shared/checks", "TestNoNegativeAmounts", "PASSED"],
      ["@Shared/checks", "TestCompletedHaveAmounts", "PASSED"],
      ["@Shared/checks", "TestThereAreNoOrders", "FAILED"],
      ["@Shared/checks", "TestStatusesAreKnown", expect.stringMatching(/PASSED|FAILED/)],
      ["@Shared/more_checks", "TestProductsExist", "PASSED"],
    ]);
    const failed = report.tests.find((r: { test_name: string }) => r.test_name === "TestThereAreNoOrders");
    expect(failed.message).toBe("Test assertion failed: The test returned non-empty recordset");
    expect(report.stats).toMatchObject({
      tests: 5,
      passed: report.tests.filter((r: { status: string }) => r.status === "PASSED").length,
      failed: report.tests.filter((r: { status: string }) => r.status === "FAILED").length,
    });
    expect(Object.keys(report.stats)).toEqual([
      "tests",
      "passed",
      "failed",
      "started_at",
      "finished_at",
      "duration_ms",
    ]);
    expect(Date.parse(report.stats.finished_at)).toBeGreaterThanOrEqual(Date.parse(report.stats.started_at));
  });

  it("onFailure=test.Stop stops at the first failure", async () => {
    const report = (await post("/api/v1/exec/script", { path: "@Shared/stop_on_failure" })).json();
    expect(report.tests.map((r: { test_name: string }) => r.test_name)).toEqual([
      "TestNoNegativeAmounts",
      "TestCompletedHaveAmounts",
      "TestThereAreNoOrders",
    ]);
    expect(report.stats).toMatchObject({ tests: 3, passed: 2, failed: 1 });
  });

  it("a test block that calls an imported block runs alone through /exec/block", async () => {
    const response = await post("/api/v1/exec/block", {
      package: "@Shared/checks",
      block_name: "TestCompletedHaveAmounts",
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().tests[0]).toMatchObject({ package_name: "@Shared/checks", status: "PASSED" });
  });

  it.each([
    [
      "packages missing",
      '#+import "std/test"\n{{ test.Run() }}',
      "test.Run needs packages=[...] naming imported packages",
    ],
    [
      "a package not imported",
      '#+import "std/test"\n{{ test.Run(packages=[checks]) }}',
      "test.Run: checks is not an imported package",
    ],
    [
      "a bad onFailure",
      '#+import "std/test"\n#+import "@Shared/checks"\n{{ test.Run(packages=[checks], onFailure=test.Explode) }}',
      "test.Run: onFailure must be test.Stop or test.Continue",
    ],
    [
      "an unknown argument",
      '#+import "std/test"\n#+import "@Shared/checks"\n{{ test.Run(packages=[checks], parallel=true) }}',
      "Unknown argument of test.Run: parallel",
    ],
  ])("%s answers 400", async (_name, content, detail) => {
    const name = `suite_${Math.random().toString(36).slice(2, 8)}`;
    await asset("@Shared", name, content);
    const response = await post("/api/v1/exec/script", { path: `@Shared/${name}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toBe(detail);
  });

  it("CatalogAsset.execute refuses a test suite with a pointer to /exec/script", async () => {
    const { body } = await gql(
      t.app,
      runner,
      `query ($path: String!) { catalogItem(path: $path) { ... on CatalogAsset { execute(connection: "${DEMO_CONNECTION_NAME}") { rows } } } }`,
      { path: "@Shared/nightly" },
    );
    expect(body.errors?.[0]?.message).toBe(
      "This script runs a test suite; run it with POST /api/v1/exec/script",
    );
  });
});
