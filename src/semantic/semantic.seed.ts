// The demo organisation's "Demo Warehouse" connection to the demo warehouse (schema `analytics`:
// fact_orders, dim_customers, dim_products, ~100 000 orders; src/exec/demo-warehouse.ts, which
// keeps it apart from the platform's database) and the semantic model over it (which contains
// the seed's example: sales_analytics → orders → fact_orders).
import { ConnectionService } from "../exec/connections.service.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { SemanticService } from "./semantic.service.js";

export const DEMO_CONNECTION_NAME = "Demo Warehouse";
export { DEMO_ORDER_COUNT } from "../exec/demo-warehouse.js";

export const DEMO_SEMANTIC_MODEL = {
  version: "1.0",
  layers: [
    {
      name: "sales_analytics",
      label: "Sales Analytics",
      environment: { platform: "postgres" },
      domains: [
        {
          name: "orders",
          label: "Orders",
          description: "Order transactions and line items",
          entities: [
            {
              name: "fact_orders",
              label: "Orders",
              description: "Order fact table",
              table_name: "analytics.fact_orders",
              dimensions: [
                {
                  name: "order_date",
                  label: "Order Date",
                  data_type: "DATE",
                  hidden: false,
                  expr: "order_date",
                },
                { name: "status", label: "Status", data_type: "TEXT", hidden: false, expr: "status" },
                { name: "order_id", label: "Order Id", data_type: "INTEGER", hidden: true, expr: "id" },
              ],
              measures: [
                {
                  name: "total_revenue",
                  label: "Total Revenue",
                  data_type: "DECIMAL",
                  hidden: false,
                  expr: "amount",
                  aggregation_type: "SUM",
                },
                {
                  name: "order_count",
                  label: "Orders",
                  data_type: "INTEGER",
                  hidden: false,
                  expr: "id",
                  aggregation_type: "COUNT",
                },
                {
                  name: "average_order_value",
                  label: "Average Order Value",
                  data_type: "DECIMAL",
                  hidden: false,
                  expr: "amount",
                  aggregation_type: "AVG",
                },
                {
                  name: "median_order_value",
                  label: "Median Order Value",
                  data_type: "DECIMAL",
                  hidden: false,
                  expr: "amount",
                  aggregation_type: "MEDIAN",
                },
                {
                  name: "customer_count",
                  label: "Customers",
                  data_type: "INTEGER",
                  hidden: false,
                  expr: "customer_id",
                  aggregation_type: "COUNT_DISTINCT",
                },
                {
                  name: "units_sold",
                  label: "Units Sold",
                  data_type: "INTEGER",
                  hidden: false,
                  expr: "quantity",
                  aggregation_type: "SUM",
                },
              ],
              relationships: [
                {
                  name: "customer",
                  join_type: "MANY_TO_ONE",
                  to_entity: "dim_customers",
                  expr: "fact_orders.customer_id = dim_customers.id",
                },
                {
                  name: "product",
                  join_type: "MANY_TO_ONE",
                  to_entity: "dim_products",
                  expr: "fact_orders.product_id = dim_products.id",
                },
              ],
            },
          ],
        },
        {
          name: "customers",
          label: "Customers",
          description: "Customers and products",
          entities: [
            {
              name: "dim_customers",
              label: "Customers",
              description: "Customer dimension",
              table_name: "analytics.dim_customers",
              dimensions: [
                {
                  name: "customer_name",
                  label: "Customer Name",
                  data_type: "TEXT",
                  hidden: false,
                  expr: "name",
                },
                { name: "country", label: "Country", data_type: "TEXT", hidden: false, expr: "country" },
                { name: "segment", label: "Segment", data_type: "TEXT", hidden: false, expr: "segment" },
                { name: "email", label: "E-mail", data_type: "TEXT", hidden: true, expr: "email" },
              ],
              measures: [],
              relationships: [],
            },
            {
              name: "dim_products",
              label: "Products",
              description: "Product dimension",
              table_name: "analytics.dim_products",
              dimensions: [
                {
                  name: "product_name",
                  label: "Product Name",
                  data_type: "TEXT",
                  hidden: false,
                  expr: "name",
                },
                { name: "category", label: "Category", data_type: "TEXT", hidden: false, expr: "category" },
              ],
              measures: [],
              relationships: [],
            },
          ],
        },
      ],
    },
  ],
};

export async function seedSemanticDemo(
  prisma: PrismaClient,
  organizationId: string,
  ownerId: string,
): Promise<void> {
  const [organization, owner] = await Promise.all([
    prisma.organization.findUniqueOrThrow({ where: { id: organizationId } }),
    prisma.user.findUniqueOrThrow({ where: { id: ownerId } }),
  ]);
  const viewer = Viewer.system(organization, owner);
  await new ConnectionService(prisma, viewer).createDemoWarehouseConnection(
    DEMO_CONNECTION_NAME,
    "analytics",
  );
  await new SemanticService(prisma, viewer).setModel(DEMO_CONNECTION_NAME, DEMO_SEMANTIC_MODEL);
}
