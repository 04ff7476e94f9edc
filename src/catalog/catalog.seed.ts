// Demo catalog of the demo organisation: a few folders and scripts in each namespace, created
// through CatalogService so that they obey the same rules as anything a caller creates.
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { CatalogService } from "./catalog.service.js";

export async function seedCatalogDemo(
  prisma: PrismaClient,
  organizationId: string,
  ownerUserId: string,
): Promise<void> {
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId } });
  const owner = await prisma.user.findUniqueOrThrow({ where: { id: ownerUserId } });
  const catalog = new CatalogService(
    prisma,
    Viewer.system({ id: organization.id, name: organization.name }, owner),
  );

  await catalog.createFolder({ parentPath: "@Shared", name: "Finance" });
  await catalog.createFolder({ parentPath: "@Shared/Finance", name: "Monthly Close" });
  await catalog.createAsset({
    parentPath: "@Shared/Finance/Monthly Close",
    name: "revenue_by_month",
    description: "Recognised revenue per calendar month",
    content:
      "SELECT date_trunc('month', booked_at) AS month, SUM(amount) AS revenue\nFROM fact_sales\nGROUP BY 1\nORDER BY 1",
  });
  await catalog.createAsset({
    parentPath: "@Shared/Finance",
    name: "top_customers",
    content: "SELECT customer_id, SUM(amount) FROM orders GROUP BY customer_id ORDER BY 2 DESC LIMIT 20",
  });

  await catalog.createFolder({ parentPath: "@Personal", name: "Reports" });
  await catalog.createFolder({ parentPath: "@Personal/Reports", name: "Sample Project" });
  await catalog.createAsset({
    parentPath: "@Personal/Reports/Sample Project",
    name: "my_asset",
    content: "SELECT * FROM fact_sales WHERE year = 2024",
  });

  await catalog.createFolder({ parentPath: "@Project Hub", name: "sales_2025", folderType: "PROJECT" });
  await catalog.createFolder({ parentPath: "@Project Hub/sales_2025", name: "models" });
  await catalog.createAsset({
    parentPath: "@Project Hub/sales_2025/models",
    name: "orders_enriched",
    content:
      "#+src sql orders_enriched()\n#+begin\nSELECT o.*, c.segment\nFROM orders o JOIN customers c USING (customer_id)\n#+end",
  });
  await catalog.createAsset({
    parentPath: "@Project Hub/sales_2025",
    name: "report",
    content: "SELECT segment, COUNT(*) FROM {{ orders_enriched() }} GROUP BY segment",
  });
}
