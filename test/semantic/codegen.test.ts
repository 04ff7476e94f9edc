// Golden SQL per dialect, the seed's example, every documented error, and the audited
// literal/identifier spellings (property tests).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSemanticQuery } from "../../src/semantic/codegen/compile.js";
import { DIALECTS, PLATFORMS, type Platform } from "../../src/semantic/codegen/dialects.js";
import { type SemanticQuery, SemanticQueryInput } from "../../src/semantic/semantic.inputs.js";
import { parseSemanticModel } from "../../src/semantic/semantic.model.js";
import { SEED_EXAMPLE_SQL, SEED_FILTER_QUERY, seedExampleModel } from "./fixtures.js";

const q = (query: unknown): SemanticQuery => SemanticQueryInput.parse(query);
const compile = (query: unknown, platform: Platform = "snowflake") =>
  compileSemanticQuery(parseSemanticModel(seedExampleModel(platform)), q(query)).sql;
const cond = (field: string, operator: unknown, entity = "fact_orders") => ({
  type: "CONDITION",
  field: { entity, field },
  operator,
});

describe("the seed's example", () => {
  it.each(PLATFORMS)("compiles to the seed's SQL on %s", (platform) => {
    expect(compile(SEED_FILTER_QUERY, platform)).toBe(SEED_EXAMPLE_SQL);
  });

  it("compiles the simple example and the order_by/limit example", () => {
    expect(
      compile({
        dimensions: [{ entity: "fact_orders", field: "order_date" }],
        measures: [{ entity: "fact_orders", field: "total_revenue" }],
      }),
    ).toBe("SELECT order_date, SUM(amount) AS total_revenue FROM analytics.fact_orders GROUP BY order_date");
    expect(
      compile({
        dimensions: [{ entity: "fact_orders", field: "order_date" }],
        measures: [{ entity: "fact_orders", field: "total_revenue", alias: "revenue" }],
        order_by: [{ field: { entity: "fact_orders", field: "order_date" }, desc: true }],
        limit: { fetch: 100 },
      }),
    ).toBe(
      "SELECT order_date, SUM(amount) AS revenue FROM analytics.fact_orders GROUP BY order_date ORDER BY order_date DESC LIMIT 100",
    );
  });
});

describe("dialects", () => {
  const query = {
    dimensions: [{ entity: "fact_orders", field: "status", alias: "Order Status".replace(" ", "_") }],
    measures: [
      { entity: "fact_orders", field: "median_amount" },
      { entity: "fact_orders", field: "customers" },
    ],
    filters: [
      cond("status", { type: "CONTAINS", values: ["it's", "a\\b"] }),
      cond("status", { type: "NOT_ENDS_WITH", values: [".test"] }),
    ],
    limit: { fetch: 10, skip: 20 },
  };
  const golden: Record<Platform, string> = {
    postgres:
      "SELECT status AS \"Order_Status\", PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount) AS median_amount, COUNT(DISTINCT customer_id) AS customers FROM analytics.fact_orders WHERE (STRPOS(status, 'it''s') > 0 OR STRPOS(status, E'a\\\\b') > 0) AND NOT (RIGHT(status, LENGTH('.test')) = '.test') GROUP BY status LIMIT 10 OFFSET 20",
    snowflake:
      "SELECT status AS \"Order_Status\", MEDIAN(amount) AS median_amount, COUNT(DISTINCT customer_id) AS customers FROM analytics.fact_orders WHERE (CONTAINS(status, 'it''s') OR CONTAINS(status, 'a\\\\b')) AND NOT (ENDSWITH(status, '.test')) GROUP BY status LIMIT 10 OFFSET 20",
    bigquery:
      "SELECT status AS `Order_Status`, APPROX_QUANTILES(amount, 2)[OFFSET(1)] AS median_amount, COUNT(DISTINCT customer_id) AS customers FROM analytics.fact_orders WHERE (STRPOS(status, 'it\\'s') > 0 OR STRPOS(status, 'a\\\\b') > 0) AND NOT (ENDS_WITH(status, '.test')) GROUP BY status LIMIT 10 OFFSET 20",
    databricks:
      "SELECT status AS `Order_Status`, MEDIAN(amount) AS median_amount, COUNT(DISTINCT customer_id) AS customers FROM analytics.fact_orders WHERE (CONTAINS(status, 'it\\'s') OR CONTAINS(status, 'a\\\\b')) AND NOT (ENDSWITH(status, '.test')) GROUP BY status LIMIT 10 OFFSET 20",
    duckdb:
      "SELECT status AS \"Order_Status\", MEDIAN(amount) AS median_amount, COUNT(DISTINCT customer_id) AS customers FROM analytics.fact_orders WHERE (CONTAINS(status, 'it''s') OR CONTAINS(status, 'a\\b')) AND NOT (ENDS_WITH(status, '.test')) GROUP BY status LIMIT 10 OFFSET 20",
  };
  it.each(PLATFORMS)("golden SQL for %s", (platform) => {
    expect(compile(query, platform)).toBe(golden[platform]);
  });

  it("renders every operator", () => {
    const sql = compile({
      measures: [{ entity: "fact_orders", field: "total_revenue" }],
      filters: [
        {
          type: "OR",
          filters: [
            cond("status", { type: "EQUALS", values: ["active", "pending"] }),
            cond("status", { type: "NOT_EQUALS", values: ["cancelled"] }),
            cond("status", { type: "STARTS_WITH", values: ["US-"] }),
            cond("status", { type: "NOT_STARTS_WITH", values: ["TEMP-"] }),
            cond("status", { type: "ENDS_WITH", values: [".com"] }),
            cond("status", { type: "NOT_CONTAINS", values: ["test"] }),
            cond("total_revenue", { type: "GREATER_THAN_OR_EQUAL", value: "0" }),
            cond("total_revenue", { type: "LESS_THAN", value: "500" }),
            cond("total_revenue", { type: "LESS_THAN_OR_EQUAL", value: 100 }),
            cond("order_date", { type: "NOT_IN_DATE_RANGE", values: ["2024-01-01", "2024-03-31"] }),
            cond("order_date", { type: "BEFORE_DATE", value: "2024-01-01" }),
            cond("order_date", { type: "AFTER_DATE", value: "2024-12-31" }),
            cond("order_date", { type: "BEFORE_OR_ON_DATE", value: "2024-06-30" }),
            cond("order_date", { type: "AFTER_OR_ON_DATE", value: "2024-01-01" }),
            cond("status", { type: "IS_NULL" }),
            cond("status", { type: "IS_NOT_NULL" }),
          ],
        },
      ],
    });
    expect(sql).toBe(
      "SELECT SUM(amount) AS total_revenue FROM analytics.fact_orders WHERE (status IN ('active', 'pending') OR status <> 'cancelled' OR STARTSWITH(status, 'US-') OR NOT (STARTSWITH(status, 'TEMP-')) OR ENDSWITH(status, '.com') OR NOT (CONTAINS(status, 'test')) OR amount >= 0 OR amount < 500 OR amount <= 100 OR order_date NOT BETWEEN '2024-01-01' AND '2024-03-31' OR order_date < '2024-01-01' OR order_date > '2024-12-31' OR order_date <= '2024-06-30' OR order_date >= '2024-01-01' OR status IS NULL OR status IS NOT NULL)",
    );
  });

  it("joins along relationships and qualifies plain columns", () => {
    expect(
      compile(
        {
          dimensions: [{ entity: "dim_customers", field: "country" }],
          measures: [{ entity: "fact_orders", field: "total_revenue" }],
          filters: [cond("country", { type: "EQUALS", values: ["DE"] }, "dim_customers")],
          order_by: [{ field: { entity: "fact_orders", field: "total_revenue" }, desc: true }],
        },
        "postgres",
      ),
    ).toBe(
      "SELECT dim_customers.country AS country, SUM(fact_orders.amount) AS total_revenue FROM analytics.fact_orders AS fact_orders LEFT JOIN analytics.dim_customers AS dim_customers ON fact_orders.customer_id = dim_customers.id WHERE dim_customers.country = 'DE' GROUP BY dim_customers.country ORDER BY SUM(fact_orders.amount) DESC",
    );
  });
});

describe("documented errors", () => {
  const expectError = (query: unknown, message: string) => expect(() => compile(query)).toThrow(message);
  it("each has the seed's text", () => {
    expectError({}, "At least one dimension or measure is required");
    expectError({ dimensions: [{ entity: "nope", field: "x" }] }, "Entity not found: nope");
    expectError(
      { dimensions: [{ entity: "fact_orders", field: "nope" }] },
      "Field not found: nope in entity fact_orders",
    );
    expectError(
      {
        dimensions: [{ entity: "fact_orders", field: "status" }],
        filters: [cond("status", { type: "LIKE", values: ["x"] })],
      },
      "Invalid operator type: LIKE",
    );
    expectError(
      { dimensions: [{ entity: "fact_orders", field: "status" }], limit: { fetch: 0 } },
      "Fetch must be greater than 0",
    );
  });

  it("refuses hidden fields, bad values and bad aliases", () => {
    expectError(
      { dimensions: [{ entity: "fact_orders", field: "internal_code" }] },
      "Field is hidden: internal_code in entity fact_orders",
    );
    expectError(
      {
        measures: [{ entity: "fact_orders", field: "total_revenue" }],
        filters: [cond("total_revenue", { type: "GREATER_THAN", value: "1; DROP TABLE x" })],
      },
      "expected a number",
    );
    expectError(
      {
        measures: [{ entity: "fact_orders", field: "total_revenue" }],
        filters: [cond("order_date", { type: "BEFORE_DATE", value: "2024-02-30" })],
      },
      "expected a date",
    );
    expectError(
      { measures: [{ entity: "fact_orders", field: "total_revenue", alias: 'x" FROM y --' }] },
      "Invalid alias",
    );
    expectError(
      { dimensions: [{ entity: "fact_orders", field: "status" }], limit: { fetch: 1, skip: -1 } },
      "Skip must be 0 or greater",
    );
  });
});

describe("model validation", () => {
  it("rejects a bad aggregation type", () => {
    const model = seedExampleModel();
    (model.layers[0]!.domains[0]!.entities[0]!.measures[0] as { aggregation_type: string }).aggregation_type =
      "SUMMIT";
    expect(() => parseSemanticModel(model)).toThrow(/measures\.0\.aggregation_type: Invalid option/);
  });

  it("rejects unknown to_entity, bad aggregation and table_name with query", () => {
    const model = seedExampleModel();
    const entity = model.layers[0]!.domains[0]!.entities[0]! as Record<string, unknown> & {
      relationships: { to_entity: string }[];
      measures: { aggregation_type: string }[];
    };
    entity.relationships[0]!.to_entity = "dim_nowhere";
    entity.query = "SELECT 1";
    let issues: string[] = [];
    try {
      parseSemanticModel(model);
    } catch (error) {
      issues = (error as { issues: { field: string; message: string }[] }).issues.map(
        (i) => `${i.field}: ${i.message}`,
      );
    }
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/relationships\.0\.to_entity: unknown to_entity dim_nowhere/),
        expect.stringMatching(/entities\.0: table_name and query are mutually exclusive/),
      ]),
    );
  });
});

/** Reads a literal back the way each dialect's lexer does. */
function unquote(platform: Platform, literal: string): string {
  if (platform === "postgres" && literal.startsWith("E'"))
    return literal.slice(2, -1).replace(/\\(.)/g, "$1");
  const body = literal.slice(1, -1);
  if (platform === "postgres" || platform === "duckdb") return body.replaceAll("''", "'");
  if (platform === "snowflake") return body.replace(/''|\\(.)/g, (m, c) => (m === "''" ? "'" : c));
  const map: Record<string, string> = { n: "\n", r: "\r", t: "\t" };
  return body.replace(/\\(.)/gs, (_m, c: string) => map[c] ?? c);
}

describe("literals and identifiers (property)", () => {
  it.each(PLATFORMS)("a %s string literal is one token that reads back as the value", (platform) => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }).filter((s) => !s.includes("\u0000")),
        (value) => {
          const literal = DIALECTS[platform].string(value);
          // One token: no unescaped quote inside the body.
          const body = literal.replace(/^E?'/, "").slice(0, -1);
          const unescaped =
            (platform === "postgres" && !literal.startsWith("E")) || platform === "duckdb"
              ? body.replaceAll("''", "")
              : body.replace(/\\./gs, "").replaceAll("''", "");
          expect(unescaped.includes("'")).toBe(false);
          expect(unquote(platform, literal)).toBe(value);
        },
      ),
    );
  });

  it.each(PLATFORMS)("a %s quoted identifier reads back as the name", (platform) => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes("\u0000")),
        (name) => {
          const quoted = DIALECTS[platform].quoteIdentifier(name);
          const q0 = quoted[0] as string;
          const body = quoted.slice(1, -1);
          const read = platform === "bigquery" ? body.replace(/\\(.)/gs, "$1") : body.replaceAll(q0 + q0, q0);
          expect(read).toBe(name);
        },
      ),
    );
  });

  it("refuses NUL characters", () => {
    for (const platform of PLATFORMS) expect(() => DIALECTS[platform].string("a\u0000b")).toThrow("NUL");
  });
});
