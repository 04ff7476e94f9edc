// The seed's metadata example (platform snowflake), completed with the dim_customers entity
// its relationship points at, as a model document for tests.
import pg from "pg";
import { execEnvironment } from "../../src/exec/exec-environment.js";
import type { Platform } from "../../src/semantic/codegen/dialects.js";
import { seedSemanticDemo } from "../../src/semantic/semantic.seed.js";
import { createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";

/** A test app whose organisation has the demo warehouse's connection and its model. */
export async function openWarehouse(
  keyDigit: string,
  env: Record<string, string> = {},
): Promise<{ t: TestApp; org: TestOrg }> {
  const t = await createTestApp({ CONNECTIONS_ENCRYPTION_KEY: keyDigit.repeat(64), ...env });
  const org = await createOrg(t.prisma);
  await seedSemanticDemo(t.prisma, org.id, org.ownerId);
  // Started here, inside the caller's beforeAll and its long timeout: the embedded warehouse seeds
  // 100 000 orders on first use, which on a busy machine outlasts a test's 30 s.
  await execEnvironment(t.prisma).warehouse.session();
  return { t, org };
}

export async function closeWarehouse(t: TestApp | undefined): Promise<void> {
  await t?.close();
}

/**
 * A query on the demo warehouse itself, outside the API (its own PGlite instance, or its own
 * database on the PostgreSQL server, as its reader login).
 */
export async function warehouseQuery<T = Record<string, unknown>>(t: TestApp, sql: string): Promise<T[]> {
  const session = await execEnvironment(t.prisma).warehouse.session();
  const client = new pg.Client(session.config);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

export function seedExampleModel(platform: Platform = "snowflake") {
  return {
    version: "1.0",
    layers: [
      {
        name: "sales_analytics",
        label: "Sales Analytics",
        environment: { platform },
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
                  { name: "internal_code", label: "Internal", data_type: "TEXT", hidden: true, expr: "code" },
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
                    name: "median_amount",
                    label: "Median",
                    data_type: "DECIMAL",
                    hidden: false,
                    expr: "amount",
                    aggregation_type: "MEDIAN",
                  },
                  {
                    name: "customers",
                    label: "Customers",
                    data_type: "INTEGER",
                    hidden: false,
                    expr: "customer_id",
                    aggregation_type: "COUNT_DISTINCT",
                  },
                ],
                relationships: [
                  {
                    name: "customer",
                    join_type: "MANY_TO_ONE",
                    to_entity: "dim_customers",
                    expr: "fact_orders.customer_id = dim_customers.id",
                  },
                ],
              },
            ],
          },
          {
            name: "people",
            entities: [
              {
                name: "dim_customers",
                table_name: "analytics.dim_customers",
                dimensions: [{ name: "country", data_type: "TEXT", hidden: false, expr: "country" }],
                measures: [],
                relationships: [],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The seed's "with filters" codegen request. */
export const SEED_FILTER_QUERY = {
  dimensions: [{ entity: "fact_orders", field: "order_date" }],
  measures: [{ entity: "fact_orders", field: "total_revenue", alias: "revenue" }],
  filters: [
    {
      type: "AND",
      filters: [
        {
          type: "CONDITION",
          field: { entity: "fact_orders", field: "order_date" },
          operator: { type: "IN_DATE_RANGE", values: ["2024-01-01", "2024-12-31"] },
        },
        {
          type: "CONDITION",
          field: { entity: "fact_orders", field: "total_revenue" },
          operator: { type: "GREATER_THAN", value: "1000" },
        },
      ],
    },
  ],
  order_by: [{ field: { entity: "fact_orders", field: "total_revenue" }, desc: true }],
  limit: { fetch: 50, skip: 0 },
};

export const SEED_EXAMPLE_SQL =
  "SELECT order_date, SUM(amount) AS revenue FROM analytics.fact_orders WHERE order_date BETWEEN '2024-01-01' AND '2024-12-31' AND amount > 1000 GROUP BY order_date ORDER BY SUM(amount) DESC LIMIT 50";
