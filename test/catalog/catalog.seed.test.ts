import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedCatalogDemo } from "../../src/catalog/catalog.seed.js";
import { createOrg, createTestApp, type TestApp } from "../helpers/app.js";
import { catalogApi } from "./helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("demo catalog", () => {
  it("fills @Shared, the owner's @Personal and @Project Hub", async () => {
    const org = await createOrg(t.prisma, "Demo");
    await seedCatalogDemo(t.prisma, org.id, org.ownerId);
    const api = catalogApi(t.app, org.key);
    const names = async (path: string) =>
      (await api.list(path))
        .json()
        .data.map((item: { name: string; type: string }) => `${item.name}:${item.type}`);
    expect(await names("@Shared/Finance")).toEqual([
      "Monthly Close:REGULAR_FOLDER",
      "top_customers:SQL_SCRIPT",
    ]);
    expect(await names("@Personal/Reports/Sample Project")).toEqual(["my_asset:SQL_SCRIPT"]);
    expect(await names("@Project Hub")).toEqual(["sales_2025:PROJECT"]);
    expect(await names("@Project Hub/sales_2025")).toEqual([
      "models:REGULAR_FOLDER",
      "report:COGINITI_SCRIPT",
    ]);
    expect((await api.get("@Project Hub/sales_2025/models/orders_enriched")).json().type).toBe(
      "COGINITI_SCRIPT",
    );
  });

  it("serves the catalog routes in the OpenAPI document", async () => {
    const document = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(
      Object.keys(document.paths)
        .filter((path) => path.startsWith("/api/v1/catalog"))
        .sort(),
    ).toEqual([
      "/api/v1/catalog/assets",
      "/api/v1/catalog/assets/{*}",
      "/api/v1/catalog/by-path/{*}",
      "/api/v1/catalog/folders",
      "/api/v1/catalog/folders/{*}",
      "/api/v1/catalog/list/{*}",
    ]);
  });
});
