// Every asset of the demo catalog runs, through the Execution API, on the demo organisation's
// "Demo Warehouse" connection (issue 15, item 8): scripts through POST /exec/script, a package of
// blocks through POST /exec/block for each of its blocks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/demo.seed.js";
import { parseBlocks } from "../../src/exec/blocks.js";
import { execEnvironment } from "../../src/exec/exec-environment.js";
import { firstStatement } from "../../src/exec/script.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createTestApp, type Json, type TestApp } from "../helpers/app.js";
import { catalogApi } from "./helpers.js";

let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: "d".repeat(64) });
  const seeded = await seedDemo(t.prisma);
  if (!seeded.created) throw new Error("the demo organisation was not created");
  key = seeded.ownerKey;
  // The embedded warehouse seeds its 100 000 orders on first use: inside beforeAll's timeout.
  await execEnvironment(t.prisma).warehouse.session();
}, 120_000);

afterAll(() => t?.close());

type Asset = { path: string; type: string; content: string };

/** Every asset under the three namespaces, found through the catalog's list route. */
async function demoAssets(): Promise<Asset[]> {
  const api = catalogApi(t.app, key);
  const assets: Asset[] = [];
  const walk = async (path: string) => {
    const listed = await api.list(path);
    expect(listed.statusCode).toBe(200);
    for (const item of listed.json().data as Array<{ path: string; type: string }>) {
      if (item.type === "REGULAR_FOLDER" || item.type === "PROJECT") await walk(item.path);
      else {
        const asset = (await api.get(item.path)).json();
        assets.push({ path: item.path, type: item.type, content: asset.data.content });
      }
    }
  };
  for (const root of ["@Shared", "@Personal", "@Project Hub"]) await walk(root);
  return assets;
}

const post = (url: string, body: unknown) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(key), "content-type": "application/json" },
    payload: JSON.stringify(body),
  });

describe("the demo catalog on the demo warehouse", () => {
  it("runs every asset and each returns rows", async () => {
    const assets = await demoAssets();
    // The five assets the demo seeds (src/catalog/catalog.seed.ts), none forgotten.
    expect(assets.map((a) => a.path.split("/").at(-1)).sort()).toEqual([
      "my_asset",
      "orders_enriched",
      "report",
      "revenue_by_month",
      "top_customers",
    ]);
    const connection = { name: DEMO_CONNECTION_NAME };
    for (const asset of assets) {
      const blocks = parseBlocks(asset.content);
      const runs: Array<{ label: string; response: Awaited<ReturnType<typeof post>> }> = [];
      if (firstStatement(asset.content) === undefined) {
        // A package of blocks and no statement of its own: each block runs through /exec/block.
        expect(blocks.length, asset.path).toBeGreaterThan(0);
        for (const block of blocks)
          runs.push({
            label: `${asset.path} ${block.name}`,
            response: await post("/api/v1/exec/block", {
              package: asset.path,
              block_name: block.name,
              connection,
            }),
          });
      } else {
        runs.push({
          label: asset.path,
          response: await post("/api/v1/exec/script", { path: asset.path, connection }),
        });
      }
      for (const { label, response } of runs) {
        expect({
          label,
          status: response.statusCode,
          body: response.statusCode === 200 ? "" : response.body,
        }).toEqual({ label, status: 200, body: "" });
        const body: Json = response.json();
        expect(body.result.columns.length, label).toBeGreaterThan(0);
        expect(body.result.data.length, label).toBeGreaterThan(0);
      }
    }
  });

  it("the report counts every order of the warehouse once, by customer segment", async () => {
    const assets = await demoAssets();
    const report = assets.find((a) => a.path.endsWith("/report")) as Asset;
    const body: Json = (
      await post("/api/v1/exec/script", { path: report.path, connection: { name: DEMO_CONNECTION_NAME } })
    ).json();
    expect(body.result.columns.map((c: { name: string }) => c.name)).toEqual([
      "segment",
      "orders",
      "revenue",
    ]);
    const direct: Json = (
      await post("/api/v1/exec/sql", {
        sql: "SELECT c.segment, COUNT(*) AS orders FROM fact_orders o JOIN dim_customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1",
        connection: { name: DEMO_CONNECTION_NAME },
      })
    ).json();
    expect(body.result.data.map((row: unknown[]) => [row[0], String(row[1])])).toEqual(
      direct.result.data.map((row: unknown[]) => [row[0], String(row[1])]),
    );
  });
});
