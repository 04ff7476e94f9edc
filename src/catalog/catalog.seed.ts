// Demo catalog of the demo organisation: a few folders and scripts in each namespace, created
// through CatalogService so that they obey the same rules as anything a caller creates. The
// @Project Hub scripts go into the folder of the demo project "Q3 board pack" (seeded before
// the catalog, src/projects/projects.seed.ts); without demo projects, a project "sales_2025"
// is created for them through ProjectService, which creates its folder. Every asset runs on the
// demo organisation's "Demo Warehouse" connection as it stands (schema `analytics`: fact_orders,
// dim_customers, dim_products; src/exec/demo-warehouse.ts), test/catalog/demo-assets.test.ts.
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { ProjectService } from "../projects/projects.service.js";
import { CatalogService } from "./catalog.service.js";

export async function seedCatalogDemo(
  prisma: PrismaClient,
  organizationId: string,
  ownerUserId: string,
): Promise<void> {
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId } });
  const owner = await prisma.user.findUniqueOrThrow({ where: { id: ownerUserId } });
  const viewer = Viewer.system({ id: organization.id, name: organization.name }, owner);
  const catalog = new CatalogService(prisma, viewer);

  await catalog.createFolder({ parentPath: "@Shared", name: "Finance" });
  await catalog.createFolder({ parentPath: "@Shared/Finance", name: "Monthly Close" });
  await catalog.createAsset({
    parentPath: "@Shared/Finance/Monthly Close",
    name: "revenue_by_month",
    description: "Recognised revenue per calendar month",
    content:
      "SELECT date_trunc('month', order_date)::date AS month, SUM(amount) AS revenue\nFROM fact_orders\nWHERE status = 'completed'\nGROUP BY 1\nORDER BY 1",
  });
  await catalog.createAsset({
    parentPath: "@Shared/Finance",
    name: "top_customers",
    content:
      "SELECT c.id AS customer_id, c.name, SUM(o.amount) AS revenue\nFROM fact_orders o JOIN dim_customers c ON c.id = o.customer_id\nGROUP BY c.id, c.name\nORDER BY revenue DESC, c.id\nLIMIT 20",
  });

  await catalog.createFolder({ parentPath: "@Personal", name: "Reports" });
  await catalog.createFolder({ parentPath: "@Personal/Reports", name: "Sample Project" });
  await catalog.createAsset({
    parentPath: "@Personal/Reports/Sample Project",
    name: "my_asset",
    content:
      "SELECT * FROM fact_orders WHERE order_date >= DATE '2024-01-01' AND order_date < DATE '2025-01-01' ORDER BY id LIMIT 100",
  });

  const demoProject =
    (await prisma.project.findFirst({
      where: { organizationId, externalId: "PRJ-1002", status: "active" },
    })) ?? (await new ProjectService(prisma, viewer).create({ name: "sales_2025" }));
  const projectFolder = await catalog.folderOfProject(demoProject.id);
  if (!projectFolder) throw new Error(`The demo project ${demoProject.name} has no catalog folder`);
  const hub = projectFolder.path;
  await catalog.createFolder({ parentPath: hub, name: "models" });
  await catalog.createAsset({
    parentPath: `${hub}/models`,
    name: "orders_enriched",
    content:
      "#+src sql orders_enriched()\n#+begin\nSELECT o.*, c.segment\nFROM fact_orders o JOIN dim_customers c ON c.id = o.customer_id\n#+end",
  });
  await catalog.createAsset({
    parentPath: hub,
    name: "report",
    // The block lives in another asset: imported (its alias is the path's last segment).
    content: `#+import "${hub}/models/orders_enriched"\nSELECT segment, COUNT(*) AS orders, SUM(amount) AS revenue\nFROM {{ orders_enriched.orders_enriched() }} AS enriched\nGROUP BY segment\nORDER BY segment`,
  });
}
