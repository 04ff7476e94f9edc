import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedCatalogDemo } from "../../src/catalog/catalog.seed.js";
import { seedProjectsDemo } from "../../src/projects/projects.seed.js";
import { createOrg, createTestApp, type TestApp } from "../helpers/app.js";
import { catalogApi } from "./helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("demo catalog", () => {
  it("fills @Shared, the owner's @Personal and a demo project's folder in @Project Hub", async () => {
    const org = await createOrg(t.prisma, "Demo");
    await seedProjectsDemo(t.prisma, org.id);
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
    // Every demo project has its folder; the archived one's is hidden.
    expect(await names("@Project Hub")).toEqual(["Q3 board pack:PROJECT", "Supplier onboarding:PROJECT"]);
    expect(
      await t.prisma.catalogItem.count({ where: { organizationId: org.id, projectId: { not: null } } }),
    ).toBe(3);
    expect(await names("@Project Hub/Q3 board pack")).toEqual([
      "models:REGULAR_FOLDER",
      "report:COGINITI_SCRIPT",
    ]);
    expect((await api.get("@Project Hub/Q3 board pack/models/orders_enriched")).json().type).toBe(
      "COGINITI_SCRIPT",
    );
  });

  it("without demo projects, creates a project for the @Project Hub scripts", async () => {
    const org = await createOrg(t.prisma, "Demo without projects");
    await seedCatalogDemo(t.prisma, org.id, org.ownerId);
    const api = catalogApi(t.app, org.key);
    expect((await api.list("@Project Hub")).json().data.map((item: { name: string }) => item.name)).toEqual([
      "sales_2025",
    ]);
    expect((await api.get("@Project Hub/sales_2025/models/orders_enriched")).statusCode).toBe(200);
  });

  it("serves the catalog routes in the OpenAPI document", async () => {
    const document = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(
      Object.keys(document.paths)
        .filter((path) => path.startsWith("/api/v1/catalog"))
        .sort(),
    ).toEqual([
      "/api/v1/catalog/assets",
      "/api/v1/catalog/assets/{path}",
      "/api/v1/catalog/by-path/{path}",
      "/api/v1/catalog/folders",
      "/api/v1/catalog/folders/{path}",
      "/api/v1/catalog/list/{path}",
    ]);
  });
});
