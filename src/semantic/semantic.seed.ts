// The demo warehouse: schema `analytics` in the application's own database (fact_orders,
// dim_customers, dim_products, ~100 000 orders generated set-based), a reader role that may
// only read that schema, the "Demo Warehouse" connection and the semantic model over it
// (which contains the seed's example: sales_analytics → orders → fact_orders).
import { createHash } from "node:crypto";
import pg from "pg";
import { ConnectionService } from "../exec/connections.service.js";
import { execEnvironment } from "../exec/exec-environment.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { SemanticService } from "./semantic.service.js";

export const DEMO_CONNECTION_NAME = "Demo Warehouse";
export const DEMO_ORDER_COUNT = 100_000;

const WAREHOUSE_SQL = `
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.dim_customers (
  id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, country text NOT NULL, segment text NOT NULL);
CREATE TABLE IF NOT EXISTS analytics.dim_products (
  id integer PRIMARY KEY, name text NOT NULL, category text NOT NULL, unit_price numeric(10,2) NOT NULL);
CREATE TABLE IF NOT EXISTS analytics.fact_orders (
  id integer PRIMARY KEY, order_date date NOT NULL, customer_id integer NOT NULL REFERENCES analytics.dim_customers(id),
  product_id integer NOT NULL REFERENCES analytics.dim_products(id), quantity integer NOT NULL,
  amount numeric(12,2) NOT NULL, status text NOT NULL);
INSERT INTO analytics.dim_customers
SELECT i, 'Customer ' || i, 'customer' || i || '@' || (ARRAY['example.com','mail.test','corp.example'])[1 + i % 3],
       (ARRAY['US','DE','FR','JP','BR','IN'])[1 + i % 6], (ARRAY['Consumer','Corporate','Home Office'])[1 + (i * 7) % 3]
FROM generate_series(1, 1000) AS i ON CONFLICT DO NOTHING;
INSERT INTO analytics.dim_products
SELECT i, 'Product ' || i, (ARRAY['Furniture','Office Supplies','Technology','Books'])[1 + i % 4], round((5 + (i * 37) % 500)::numeric, 2)
FROM generate_series(1, 200) AS i ON CONFLICT DO NOTHING;
INSERT INTO analytics.fact_orders
SELECT i, DATE '2023-01-01' + (i * 13) % 730, 1 + (i * 7919) % 1000, 1 + (i::bigint * 104729) % 200, 1 + i % 5,
       round(((i * 7907) % 200000)::numeric / 100 + 1, 2), (ARRAY['completed','completed','completed','returned','pending'])[1 + i % 5]
FROM generate_series(1, ${DEMO_ORDER_COUNT}) AS i ON CONFLICT DO NOTHING;
`;

/** Creates the warehouse (idempotent) and returns the reader role, or null when roles cannot be created. */
export async function createDemoWarehouse(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(WAREHOUSE_SQL);
    const database =
      (await client.query<{ db: string }>("SELECT current_database() AS db")).rows[0]?.db ?? "";
    // Roles are cluster-wide; one reader role per database keeps databases apart.
    const role = `analytics_reader_${createHash("sha256").update(database).digest("hex").slice(0, 12)}`;
    try {
      await client.query(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF; END $$`,
      );
      await client.query(`GRANT USAGE ON SCHEMA analytics TO ${role}`);
      await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO ${role}`);
      return role;
    } catch {
      return null;
    }
  } finally {
    await client.end();
  }
}

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
  const environment = execEnvironment(prisma);
  const role = await createDemoWarehouse(environment.appDatabaseUrl);
  const [organization, owner] = await Promise.all([
    prisma.organization.findUniqueOrThrow({ where: { id: organizationId } }),
    prisma.user.findUniqueOrThrow({ where: { id: ownerId } }),
  ]);
  const viewer = Viewer.system(organization, owner);
  await new ConnectionService(prisma, viewer).create({
    name: DEMO_CONNECTION_NAME,
    url: environment.appDatabaseUrl,
    defaultSchema: "analytics",
    runAsRole: role,
  });
  await new SemanticService(prisma, viewer).setModel(DEMO_CONNECTION_NAME, DEMO_SEMANTIC_MODEL);
}
