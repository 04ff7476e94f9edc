import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import {
  bearer,
  createKey,
  createOrg,
  decodeGlobalId,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { closeWarehouse, openWarehouse, SEED_FILTER_QUERY } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let reader: string;

beforeAll(async () => {
  // The operator allows loopback here: the connections these tests create point at 127.0.0.1.
  ({ t, org } = await openWarehouse("b", { EXEC_ALLOWED_HOSTS: "127.0.0.1" }));
  reader = await createKey(t.prisma, org, { scopes: ["semantic:read", "sql:execute"] });
}, 120_000);

afterAll(() => closeWarehouse(t));

const post = (url: string, body: unknown, key = reader) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...bearer(key), "content-type": "application/json" },
    payload: JSON.stringify(body),
  });

/** The GraphQL form of a codegen query (order_by → orderBy). */
function gqlQuery(query: Json): Json {
  const { order_by, ...rest } = query;
  return { ...rest, ...(order_by ? { orderBy: order_by } : {}) };
}

const RESULT = "columns { name type } rows stats { startedAt finishedAt durationMs } truncated";

describe("data connections and semantic models", () => {
  it("lists the connection and walks its model down to related entities", async () => {
    const { body } = await gql<Json>(
      t.app,
      reader,
      `{ dataConnections { name platform }
         dataConnection(name: "${DEMO_CONNECTION_NAME}") {
           name platform
           semanticModel { version layers { name label platform domains { entities {
             id name label tableName
             dimensions { name dataType hidden expr }
             measures { name aggregationType }
             relationships { name joinType expr toEntity { id name tableName } }
           } } } }
         } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.dataConnections).toEqual([{ name: DEMO_CONNECTION_NAME, platform: "postgres" }]);
    const layer = body.data.dataConnection.semanticModel.layers[0];
    expect(body.data.dataConnection.semanticModel.version).toBe("1.0");
    expect(layer).toMatchObject({ name: "sales_analytics", label: "Sales Analytics", platform: "postgres" });
    const orders = layer.domains[0].entities[0];
    expect(orders).toMatchObject({ name: "fact_orders", tableName: "analytics.fact_orders" });
    expect(orders.dimensions[0]).toEqual({
      name: "order_date",
      dataType: "DATE",
      hidden: false,
      expr: "order_date",
    });
    expect(orders.measures[0]).toEqual({ name: "total_revenue", aggregationType: "SUM" });
    expect(orders.relationships[0]).toMatchObject({
      name: "customer",
      joinType: "MANY_TO_ONE",
      toEntity: { name: "dim_customers" },
    });
    expect(decodeGlobalId(orders.id).type).toBe("SemanticEntity");

    const node = await gql<Json>(
      t.app,
      reader,
      "query($id: ID!) { node(id: $id) { ... on SemanticEntity { name } } }",
      {
        id: orders.relationships[0].toEntity.id,
      },
    );
    expect(node.body.data.node).toEqual({ name: "dim_customers" });
  });

  it("creates, updates, models and deletes a connection, never returning its URL", async () => {
    const secret = "s3cr3t-Passw0rd";
    const url = `postgresql://someone:${secret}@127.0.0.1:1/nowhere`;
    const created = await gql<Json>(
      t.app,
      org.key,
      `mutation($input: CreateDataConnectionInput!) { createDataConnection(input: $input) { name platform defaultSchema } }`,
      { input: { name: "Scratch", url, defaultSchema: "public" } },
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createDataConnection).toEqual({
      name: "Scratch",
      platform: "postgres",
      defaultSchema: "public",
    });
    const stored = await t.prisma.dataConnection.findFirstOrThrow({ where: { name: "Scratch" } });
    expect(stored.encryptedUrl).not.toContain(secret);

    const updated = await gql<Json>(
      t.app,
      org.key,
      `mutation($input: UpdateDataConnectionInput!) { updateDataConnection(input: $input) { name defaultSchema } }`,
      { input: { name: "Scratch", newName: "Scratch 2", defaultSchema: null } },
    );
    expect(updated.body.data.updateDataConnection).toEqual({ name: "Scratch 2", defaultSchema: null });

    const model = {
      version: "1.0",
      layers: [
        {
          name: "l",
          environment: { platform: "duckdb" },
          domains: [{ name: "d", entities: [{ name: "e", table_name: "t", dimensions: [], measures: [] }] }],
        },
      ],
    };
    const set = await gql<Json>(
      t.app,
      org.key,
      `mutation($input: SetSemanticModelInput!) { setSemanticModel(input: $input) { name semanticModel { layers { platform } } } }`,
      { input: { connectionName: "Scratch 2", model } },
    );
    expect(set.body.data.setSemanticModel.semanticModel.layers).toEqual([{ platform: "duckdb" }]);

    const bad = await gql<Json>(
      t.app,
      org.key,
      `mutation($input: SetSemanticModelInput!) { setSemanticModel(input: $input) { name } }`,
      {
        input: {
          connectionName: "Scratch 2",
          model: {
            layers: [
              {
                name: "l",
                environment: { platform: "duckdb" },
                domains: [
                  {
                    name: "d",
                    entities: [
                      {
                        name: "e",
                        table_name: "t",
                        query: "select 1",
                        relationships: [
                          { name: "r", join_type: "MANY_TO_ONE", to_entity: "nope", expr: "1=1" },
                        ],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        },
      },
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    expect(JSON.stringify(bad.body.errors?.[0]?.extensions)).toContain("unknown to_entity nope");
    expect(JSON.stringify(bad.body.errors?.[0]?.extensions)).toContain("mutually exclusive");

    // Every field of DataConnection, and the whole answer, are free of the URL.
    const introspection = await gql<Json>(
      t.app,
      reader,
      `{ __type(name: "DataConnection") { fields { name } } }`,
    );
    const fields = introspection.body.data.__type.fields.map((f: { name: string }) => f.name);
    expect(fields.some((name: string) => /url|password|secret|encrypted/i.test(name))).toBe(false);
    const all = await gql<Json>(
      t.app,
      org.key,
      `{ dataConnections { ${fields.filter((f: string) => f !== "semanticModel").join(" ")} } }`,
    );
    expect(JSON.stringify(all.body)).not.toContain(secret);
    expect(JSON.stringify(all.body)).not.toContain("someone");

    const deleted = await gql<Json>(
      t.app,
      org.key,
      `mutation { deleteDataConnection(input: { name: "Scratch 2" }) { name } }`,
    );
    expect(deleted.body.data.deleteDataConnection).toEqual({ name: "Scratch 2" });
    const gone = await gql<Json>(t.app, org.key, `{ dataConnection(name: "Scratch 2") { name } }`);
    expect(gone.body.data.dataConnection).toBeNull();
  });

  it("of concurrent creates of one name, one wins and the others answer CONFLICT (never a 500)", async () => {
    const create = () =>
      gql<Json>(
        t.app,
        org.key,
        `mutation($input: CreateDataConnectionInput!) { createDataConnection(input: $input) { name } }`,
        { input: { name: "Twin", url: "postgresql://someone@127.0.0.1:1/nowhere" } },
      );
    const answers = await Promise.all(Array.from({ length: 6 }, create));
    const codes = answers.map((a) => a.body.errors?.[0]?.extensions?.code ?? "OK").sort();
    expect(codes).toEqual(["CONFLICT", "CONFLICT", "CONFLICT", "CONFLICT", "CONFLICT", "OK"]);
    for (const answer of answers.filter((a) => a.body.errors)) {
      expect(answer.body.errors?.[0]?.message).toBe("A connection named Twin already exists");
    }
    await gql(t.app, org.key, `mutation { deleteDataConnection(input: { name: "Twin" }) { name } }`);
  });

  it("loads the models of every listed connection in one statement", async () => {
    const query = "{ dataConnections { name semanticModel { version } } }";
    // Statements on semantic_models only: authentication and its caches are not this test's.
    const count = async () => {
      let statements = 0;
      const stop = t.db.observeStatements((text) => {
        if (text.includes("semantic_models")) statements += 1;
      });
      const { body } = await gql<Json>(t.app, reader, query);
      stop();
      expect(body.errors).toBeUndefined();
      return { statements, connections: body.data.dataConnections.length };
    };
    const one = await count();
    for (const name of ["Extra 1", "Extra 2", "Extra 3"]) {
      await gql(
        t.app,
        org.key,
        `mutation($input: CreateDataConnectionInput!) { createDataConnection(input: $input) { name } }`,
        { input: { name, url: "postgresql://someone@127.0.0.1:1/nowhere" } },
      );
    }
    const four = await count();
    expect(four.connections).toBe(one.connections + 3);
    expect(one.statements).toBe(1);
    expect(four.statements).toBe(1);
    for (const name of ["Extra 1", "Extra 2", "Extra 3"]) {
      await gql(t.app, org.key, `mutation { deleteDataConnection(input: { name: "${name}" }) { name } }`);
    }
  });

  it("answers errors with codes", async () => {
    const noAdmin = await gql<Json>(
      t.app,
      reader,
      `mutation { createDataConnection(input: { name: "X", url: "postgresql://a@b/c" }) { name } }`,
    );
    expect(noAdmin.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const badUrl = await gql<Json>(
      t.app,
      org.key,
      `mutation { createDataConnection(input: { name: "X", url: "mysql://a@b/c" }) { name } }`,
    );
    expect(badUrl.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const duplicate = await gql<Json>(
      t.app,
      org.key,
      `mutation { createDataConnection(input: { name: "${DEMO_CONNECTION_NAME}", url: "postgresql://a@b/c" }) { name } }`,
    );
    expect(duplicate.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const missing = await gql<Json>(
      t.app,
      reader,
      `mutation { executeSql(input: { sql: "select 1", connection: { name: "Nowhere" } }) { rows } }`,
    );
    expect(missing.body.errors?.[0]).toMatchObject({
      message: "Connection not found: Nowhere",
      extensions: { code: "NOT_FOUND" },
    });
    const failed = await gql<Json>(
      t.app,
      reader,
      `mutation { executeSql(input: { sql: "select * from public.users", connection: { name: "${DEMO_CONNECTION_NAME}" } }) { rows } }`,
    );
    expect(failed.body.errors?.[0]?.message).toMatch(
      /^Query failed: (permission denied|relation "public.users" does not exist)/,
    );
    const noScope = await createKey(t.prisma, org, { scopes: ["records:read"] });
    const forbidden = await gql<Json>(t.app, noScope, "{ dataConnections { name } }");
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const hidden = await gql<Json>(
      t.app,
      reader,
      `query($input: SemanticQueryInput!) { semanticSql(input: $input) }`,
      {
        input: {
          connectionName: DEMO_CONNECTION_NAME,
          query: { dimensions: [{ entity: "fact_orders", field: "order_id" }] },
        },
      },
    );
    const rest = await post("/api/v1/semantic-layer/codegen/sql", {
      connection_name: DEMO_CONNECTION_NAME,
      query: { dimensions: [{ entity: "fact_orders", field: "order_id" }] },
    });
    expect(rest.statusCode).toBe(400);
    expect(hidden.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    expect(hidden.body.errors?.[0]?.message).toBe(rest.json().detail);
  });

  it("keeps another organisation's connections invisible", async () => {
    const other = await createOrg(t.prisma, "Elsewhere");
    const { body } = await gql<Json>(
      t.app,
      other.key,
      `{ dataConnections { name } dataConnection(name: "${DEMO_CONNECTION_NAME}") { name } }`,
    );
    expect(body.data).toEqual({ dataConnections: [], dataConnection: null });
    const exec = await gql<Json>(
      t.app,
      other.key,
      `mutation { executeSql(input: { sql: "select 1", connection: { name: "${DEMO_CONNECTION_NAME}" } }) { rows } }`,
    );
    expect(exec.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const sql = await gql<Json>(
      t.app,
      other.key,
      `query($input: SemanticQueryInput!) { semanticSql(input: $input) }`,
      {
        input: { connectionName: DEMO_CONNECTION_NAME, query: gqlQuery(SEED_FILTER_QUERY) },
      },
    );
    expect(sql.body.errors?.[0]?.message).toBe("Connection not found");
    const connectionId = (
      await t.prisma.dataConnection.findFirstOrThrow({ where: { organizationId: org.id } })
    ).id;
    const node = await gql<Json>(t.app, other.key, "query($id: ID!) { node(id: $id) { id } }", {
      id: Buffer.from(`SemanticEntity:${connectionId}:fact_orders`).toString("base64"),
    });
    expect(node.body.data?.node ?? null).toBeNull();
  });
});

describe("semanticSql, semanticQuery and executeSql", () => {
  it("semanticSql equals REST codegen", async () => {
    const queries = [
      SEED_FILTER_QUERY,
      {
        dimensions: [{ entity: "dim_customers", field: "country" }],
        measures: [{ entity: "fact_orders", field: "total_revenue" }],
        order_by: [{ field: { entity: "dim_customers", field: "country" } }],
      },
    ];
    for (const query of queries) {
      const rest = await post("/api/v1/semantic-layer/codegen/sql", {
        connection_name: DEMO_CONNECTION_NAME,
        query,
      });
      expect(rest.statusCode).toBe(200);
      const { body } = await gql<Json>(
        t.app,
        reader,
        `query($input: SemanticQueryInput!) { semanticSql(input: $input) }`,
        {
          input: { connectionName: DEMO_CONNECTION_NAME, query: gqlQuery(query) },
        },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.semanticSql).toBe(rest.json().sql);
    }
  });

  it("executeSql returns what POST /exec/sql returns", async () => {
    const sql =
      "SELECT status, COUNT(*) AS n, SUM(amount) AS revenue, MIN(order_date) AS first FROM fact_orders WHERE amount > $min GROUP BY status ORDER BY status";
    const rest = await post("/api/v1/exec/sql", {
      sql,
      params: { $min: 10 },
      connection: { name: DEMO_CONNECTION_NAME },
    });
    expect(rest.statusCode).toBe(200);
    const { body } = await gql<Json>(
      t.app,
      reader,
      `mutation($input: ExecuteSqlInput!) { executeSql(input: $input) { ${RESULT} } }`,
      { input: { sql, params: { $min: 10 }, connection: { name: DEMO_CONNECTION_NAME } } },
    );
    expect(body.errors).toBeUndefined();
    const result = body.data.executeSql;
    expect(result.columns).toEqual(rest.json().result.columns);
    expect(result.rows).toEqual(rest.json().result.data);
    expect(result.truncated).toBe(false);
    expect(result.columns.map((c: { type: string }) => c.type)).toEqual([
      "STRING",
      "BIGINT",
      "DECIMAL",
      "DATE",
    ]);
    expect(Date.parse(result.stats.finishedAt)).toBeGreaterThanOrEqual(Date.parse(result.stats.startedAt));
    expect(typeof result.stats.durationMs).toBe("number");
  });

  it("semanticQuery compiles, runs and returns the same rows as running the SQL", async () => {
    const input = { connectionName: DEMO_CONNECTION_NAME, query: gqlQuery(SEED_FILTER_QUERY) };
    const { body } = await gql<Json>(
      t.app,
      reader,
      `query($input: SemanticQueryInput!) { semanticQuery(input: $input) { sql ${RESULT} } }`,
      { input },
    );
    expect(body.errors).toBeUndefined();
    const rest = await post("/api/v1/exec/sql", {
      sql: body.data.semanticQuery.sql,
      connection: { name: DEMO_CONNECTION_NAME },
    });
    expect(body.data.semanticQuery.columns).toEqual([
      { name: "order_date", type: "DATE" },
      { name: "revenue", type: "DECIMAL" },
    ]);
    expect(body.data.semanticQuery.rows).toEqual(rest.json().result.data);
    expect(body.data.semanticQuery.rows.length).toBeGreaterThan(0);
  });
});
