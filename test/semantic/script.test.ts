// POST /api/v1/exec/script and CatalogAsset.execute: a catalog asset's first statement on a named
// connection, through the same pipeline as /exec/sql; the documented errors.
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstStatement, splitStatements } from "../../src/exec/script.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, createOrg, gql, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let runner: string;

const REPORT = `-- Orders by status above a minimum amount
SELECT status, COUNT(*) AS n, 'a;b' AS "semi;colon" FROM fact_orders WHERE amount > $min GROUP BY status ORDER BY status;
SELECT 'second result set';
`;
const BLOCKS = `#+import "std/test"
#+src sql Hidden()
#+begin
SELECT 'inside a block';
#+end
SELECT COUNT(*) AS customers FROM dim_customers;
`;

async function createAsset(parentPath: string, name: string, content: string) {
  const { body } = await gql<Json>(
    t.app,
    org.key,
    "mutation($input: CreateCatalogAssetInput!) { createCatalogAsset(input: $input) { path } }",
    { input: { parentPath, name, content } },
  );
  expect(body.errors).toBeUndefined();
  return body.data.createCatalogAsset.path as string;
}

beforeAll(async () => {
  ({ t, org } = await openWarehouse("c"));
  runner = await createKey(t.prisma, org, { scopes: ["catalog:read", "sql:execute"] });
  await gql(
    t.app,
    org.key,
    `mutation { createCatalogFolder(input: { parentPath: "@Shared", name: "Reports" }) { path } }`,
  );
  await createAsset("@Shared/Reports", "by_status", REPORT);
  await createAsset("@Shared/Reports", "with_blocks", BLOCKS);
  await createAsset("@Shared/Reports", "empty", "-- nothing here\n");
}, 120_000);

afterAll(() => closeWarehouse(t));

const post = (url: string, body: unknown, key = runner, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(key), "content-type": "application/json", ...headers },
    payload: JSON.stringify(body),
  });
const script = (path: string, params?: Record<string, unknown>, key = runner, headers = {}) =>
  post("/api/v1/exec/script", { path, params, connection: { name: DEMO_CONNECTION_NAME } }, key, headers);

describe("splitting scripts", () => {
  it("ends statements only at top-level semicolons", () => {
    expect(splitStatements("select ';' as a, $$x;y$$ -- c;\n; /* ; */ ; select \"a;b\" from t; ; ")).toEqual([
      "select ';' as a, $$x;y$$ -- c;",
      'select "a;b" from t',
    ]);
    expect(splitStatements("select $$p; select 2", new Set(["$$p"]))).toEqual(["select $$p", "select 2"]);
    expect(firstStatement(BLOCKS)).toBe("SELECT COUNT(*) AS customers FROM dim_customers");
    expect(firstStatement("-- only a comment")).toBeUndefined();
  });
});

describe("POST /api/v1/exec/script", () => {
  it("returns the first result set, as /exec/sql would", async () => {
    const response = await script("@Shared/Reports/by_status", { min: 10 });
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-coginiti-execution-started-at"]).toMatch(/^\d{4}-\d\d-\d\dT.*\.\d{9}Z$/);
    const direct = await post("/api/v1/exec/sql", {
      sql: firstStatement(REPORT),
      params: { $min: 10 },
      connection: { name: DEMO_CONNECTION_NAME },
    });
    expect(response.json().result).toEqual(direct.json().result);
    expect(response.json().result.columns.map((c: { name: string }) => c.name)).toEqual([
      "status",
      "n",
      "semi;colon",
    ]);
    expect(Object.keys(response.json().stats)).toEqual(["started_at", "finished_at", "duration_ms"]);
  });

  it("skips CoginitiScript block definitions and honours Accept", async () => {
    const response = await script("@Shared/Reports/with_blocks", undefined, runner, { accept: "text/csv" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/csv/);
    expect(parse(response.body)).toEqual([["customers"], ["1000"]]);
  });

  it.each([
    [{ connection: { name: DEMO_CONNECTION_NAME } }, 400, "Path is required"],
    [{ path: "@Shared/Reports/by_status", params: { min: 1 } }, 400, "Connection is required"],
    [{ path: "@Shared/Reports/by_status", connection: {} }, 400, "Connection name is required"],
    [
      { path: "@Shared/nope", connection: { name: DEMO_CONNECTION_NAME } },
      404,
      "Path not found: @Shared/nope",
    ],
    [{ path: "@Shared/Reports", connection: { name: DEMO_CONNECTION_NAME } }, 422, "Path must be an asset"],
    [
      { path: "@Shared/Reports/by_status", params: { min: 1 }, connection: { name: "Nowhere" } },
      404,
      "Connection not found: Nowhere",
    ],
    [
      { path: "@Shared/Reports/by_status", connection: { name: DEMO_CONNECTION_NAME } },
      400,
      "Parameter $min has no value in params",
    ],
    [
      { path: "@Shared/Reports/empty", connection: { name: DEMO_CONNECTION_NAME } },
      400,
      "The script has no statement to run",
    ],
  ])("documented error for %j", async (body, status, detail) => {
    const response = await post("/api/v1/exec/script", body);
    expect(response.statusCode).toBe(status);
    expect(response.json().detail).toBe(detail);
  });

  it("needs sql:execute, and another organisation sees no such path", async () => {
    const readOnly = await createKey(t.prisma, org, { scopes: ["catalog:read"] });
    expect((await script("@Shared/Reports/by_status", { min: 1 }, readOnly)).statusCode).toBe(403);
    const other = await createOrg(t.prisma, "Other");
    const response = await script("@Shared/Reports/by_status", { min: 1 }, other.key);
    expect(response.statusCode).toBe(404);
    expect(response.json().detail).toBe("Path not found: @Shared/Reports/by_status");
  });
});

describe("CatalogAsset.execute", () => {
  it("returns what POST /exec/script returns", async () => {
    const { body } = await gql<Json>(
      t.app,
      runner,
      `query($params: JSONObject) { catalogItem(path: "@Shared/Reports/by_status") {
         ... on CatalogAsset { execute(connection: "${DEMO_CONNECTION_NAME}", params: $params) {
           columns { name type } rows stats { durationMs } } } } }`,
      { params: { $min: 10 } },
    );
    expect(body.errors).toBeUndefined();
    const rest = (await script("@Shared/Reports/by_status", { min: 10 })).json();
    expect(body.data.catalogItem.execute.columns).toEqual(rest.result.columns);
    expect(body.data.catalogItem.execute.rows).toEqual(rest.result.data);
  });

  it("answers errors with codes", async () => {
    const { body } = await gql<Json>(
      t.app,
      runner,
      `{ catalogItem(path: "@Shared/Reports/by_status") { ... on CatalogAsset { execute(connection: "Nowhere", params: { min: 1 }) { rows } } } }`,
    );
    expect(body.errors?.[0]).toMatchObject({
      message: "Connection not found: Nowhere",
      extensions: { code: "NOT_FOUND" },
    });
  });
});
