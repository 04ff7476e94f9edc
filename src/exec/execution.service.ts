// Runs one read-only statement on a named connection: a fresh session, BEGIN READ ONLY, a
// statement timeout, the connection's schema and role, the statement through a cursor (so it
// must be a query, one statement, and at most maxRows rows are fetched), then ROLLBACK.
// Only SET LOCAL is used: on the embedded database every client shares one PostgreSQL session.
// The `open…` methods hand out a RowStream that REST streams to the client batch by batch; the
// `execute…` ones read it whole for GraphQL and semantic queries.
import pg from "pg";
import { type CatalogEntry, CatalogService } from "../catalog/catalog.service.js";
import {
  ConnectionUnavailableError,
  ForbiddenError,
  NotFoundError,
  QueryFailedError,
  ValidationError,
} from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { BLOCK_PARAM_PREFIX, type Block, type Package, renderBlock, renderScript } from "./blocks.js";
import { TargetRefusedError } from "./connection-targets.js";
import { ConnectionService, type OpenedConnection } from "./connections.service.js";
import { DEMO_WAREHOUSE_URL, type WarehouseSession } from "./demo-warehouse.js";
import { type ExecEnvironment, execEnvironment } from "./exec-environment.js";
import { loadPackages, testSuiteOf } from "./packages.js";
import { now, type ResultSet, RowStream, STREAM_BATCH_ROWS, translateQueryError } from "./row-stream.js";
import { firstStatement } from "./script.js";
import { bindParams, type ParamValue } from "./sql-params.js";

export type { ExecutionStats, ResultColumn, ResultSet } from "./row-stream.js";

export type ExecuteSqlInput = {
  sql?: unknown;
  params?: unknown;
  connection?: unknown;
};

export class ExecutionService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  private requireExecute(): void {
    if (!this.viewer.can("sql:execute"))
      throw new ForbiddenError("You don't have permission to access this connection");
  }

  /** GraphQL executeSql: POST /exec/sql's rules, the whole result in memory. */
  async executeSql(input: ExecuteSqlInput): Promise<ResultSet> {
    return (await this.openSql(input)).collect();
  }

  /** POST /exec/sql: validates with the seed's texts, then opens the result. */
  async openSql(input: ExecuteSqlInput): Promise<RowStream> {
    // Permission before validation: a caller who may not execute learns nothing from 400s.
    this.requireExecute();
    const body = (input ?? {}) as ExecuteSqlInput;
    if (typeof body.sql !== "string" || body.sql.trim() === "")
      throw new ValidationError("SQL query is required");
    if (body.connection === undefined || body.connection === null)
      throw new ValidationError("Connection is required");
    if (typeof body.connection !== "object" || Array.isArray(body.connection)) {
      throw new ValidationError("Connection is required");
    }
    const connection = body.connection as { name?: unknown; overrides?: unknown };
    if (typeof connection.name !== "string" || connection.name.trim() === "") {
      throw new ValidationError("Connection name is required");
    }
    if (
      body.params !== undefined &&
      (body.params === null || typeof body.params !== "object" || Array.isArray(body.params))
    ) {
      throw new ValidationError("params must be an object of parameter names and values");
    }
    const overrides = parseOverrides(connection.overrides);
    const opened = await new ConnectionService(this.prisma, this.viewer).open(connection.name);
    return this.open(opened, body.sql, (body.params ?? {}) as Record<string, ParamValue>, overrides);
  }

  /**
   * POST /exec/script: the first statement of a catalog asset, with the seed's errors; or, when
   * that statement is `{{ test.Run(packages=[...]) }}`, the test report of those packages.
   */
  async openScript(input: ExecuteScriptInput): Promise<BlockOutcome> {
    // Permission before validation: a caller who may not execute learns nothing from 400s.
    this.requireExecute();
    const body = (input ?? {}) as ExecuteScriptInput;
    if (typeof body.path !== "string" || body.path.trim() === "")
      throw new ValidationError("Path is required");
    const name = connectionNameOf(body.connection);
    const params = paramsOf(body.params);
    const entry = await new CatalogService(this.prisma, this.viewer).getByPath(body.path);
    return this.openAsset(entry, name, params);
  }

  /** CatalogAsset.execute: the asset's first statement, the whole result in memory. */
  async executeAsset(
    entry: CatalogEntry,
    connectionName: string,
    params: Record<string, ParamValue> = {},
  ): Promise<ResultSet> {
    const outcome = await this.openAsset(entry, connectionName, params);
    if (outcome.kind === "tests") {
      throw new ValidationError("This script runs a test suite; run it with POST /api/v1/exec/script");
    }
    return outcome.result.collect();
  }

  private async openAsset(
    entry: CatalogEntry,
    connectionName: string,
    params: Record<string, ParamValue>,
  ): Promise<BlockOutcome> {
    this.requireExecute();
    const catalog = new CatalogService(this.prisma, this.viewer);
    const { root, content, packages } = await loadPackages(catalog, entry);
    const statement = firstStatement(content, params);
    if (statement === undefined) throw new ValidationError("The script has no statement to run");
    const suite = testSuiteOf(statement, root, packages);
    const opened = await new ConnectionService(this.prisma, this.viewer).open(connectionName);
    if (suite) {
      const tests = suite.packages.flatMap((pkg) =>
        pkg.blocks.filter((b) => b.kind === "test").map((block) => ({ pkg, block })),
      );
      return {
        kind: "tests",
        report: await this.runTests(opened, tests, params, packages, suite.stopOnFailure),
      };
    }
    const rendered = renderScript(statement, { packages, current: root });
    const all = { ...params, ...rendered.params };
    requireBound(rendered.sql, all);
    return { kind: "result", result: await this.open(opened, rendered.sql, all, {}) };
  }

  /**
   * POST /exec/block: a `#+src` block's first result set, or for a `#+test` block the seed's
   * test report (a test passes when its query returns no rows).
   */
  async executeBlock(input: ExecuteBlockInput): Promise<BlockOutcome> {
    // Permission before validation: a caller who may not execute learns nothing from 400s.
    this.requireExecute();
    const body = (input ?? {}) as ExecuteBlockInput;
    if (typeof body.package !== "string" || body.package.trim() === "") {
      throw new ValidationError("Package is required");
    }
    if (typeof body.block_name !== "string" || body.block_name.trim() === "") {
      throw new ValidationError("Block name is required");
    }
    const name = connectionNameOf(body.connection);
    const params = paramsOf(body.params);
    if (
      body.args !== undefined &&
      body.args !== null &&
      (typeof body.args !== "object" || Array.isArray(body.args))
    ) {
      throw new ValidationError("args must be an object of argument names and values");
    }
    const catalog = new CatalogService(this.prisma, this.viewer);
    const { root, packages } = await loadPackages(catalog, await catalog.getByPath(body.package));
    const block = root.blocks.find((b) => b.name === body.block_name);
    if (!block) throw new NotFoundError(`Block not found: ${body.block_name}`);
    const args = (body.args ?? {}) as Record<string, ParamValue>;
    if (block.kind === "test") {
      const opened = await new ConnectionService(this.prisma, this.viewer).open(name);
      return {
        kind: "tests",
        report: await this.runTests(opened, [{ pkg: root, block, args }], params, packages),
      };
    }
    const { statement, params: all } = blockStatement(root, block, args, params, packages);
    const opened = await new ConnectionService(this.prisma, this.viewer).open(name);
    return { kind: "result", result: await this.open(opened, statement, all, {}) };
  }

  /**
   * Runs test blocks in order and reports them in the seed's shape; a test passes when its query
   * returns no rows. Every test is rendered before the first runs, so a broken reference fails
   * the request (400) instead of half a suite.
   */
  private async runTests(
    opened: OpenedConnection,
    tests: Array<{ pkg: Package; block: Block; args?: Record<string, ParamValue> }>,
    params: Record<string, ParamValue>,
    packages: ReadonlyMap<string, Package>,
    stopOnFailure = false,
  ): Promise<TestReport> {
    const prepared = tests.map(({ pkg, block, args }) => ({
      pkg,
      block,
      ...blockStatement(pkg, block, args ?? {}, params, packages),
    }));
    const suiteStarted = new Date();
    const results: TestReport["tests"] = [];
    for (const test of prepared) {
      const started = new Date();
      let status: "PASSED" | "FAILED" = "PASSED";
      let message = "Test passed";
      try {
        const result = await (await this.open(opened, test.statement, test.params, {})).collect();
        if (result.rows.length > 0) {
          status = "FAILED";
          message = "Test assertion failed: The test returned non-empty recordset";
        }
      } catch (error) {
        if (!(error instanceof QueryFailedError)) throw error;
        status = "FAILED";
        message = error.message;
      }
      const finished = new Date();
      results.push({
        package_name: test.pkg.path,
        test_name: test.block.name,
        status,
        message,
        ...span(started, finished),
      });
      if (status === "FAILED" && stopOnFailure) break;
    }
    const passed = results.filter((r) => r.status === "PASSED").length;
    return {
      tests: results,
      stats: {
        tests: results.length,
        passed,
        failed: results.length - passed,
        ...span(suiteStarted, new Date()),
      },
    };
  }

  /** Runs SQL on a connection by name (GraphQL executeSql, semantic queries). */
  async runOn(
    connectionName: string,
    sql: string,
    params: Record<string, ParamValue> = {},
  ): Promise<ResultSet> {
    this.requireExecute();
    const opened = await new ConnectionService(this.prisma, this.viewer).open(connectionName);
    return (await this.open(opened, sql, params, {})).collect();
  }

  private async open(
    { connection, url }: OpenedConnection,
    sql: string,
    params: Record<string, ParamValue>,
    overrides: Overrides,
  ): Promise<RowStream> {
    const env = execEnvironment(this.prisma);
    const bound = bindParams(sql, params);
    const session = await openSession(env, connection.name, url, overrides);
    const client = new pg.Client({
      ...session.config,
      connectionTimeoutMillis: 10_000,
      query_timeout: env.statementTimeoutMs + (session.embedded ? 1_000 : 5_000),
    });
    const started = now();
    try {
      await client.connect();
    } catch {
      throw new ConnectionUnavailableError(connection.name);
    }
    client.on("error", () => {});
    const translate = (error: unknown) => {
      // PGlite cannot interrupt a running statement: once the driver gives up waiting, the
      // embedded warehouse's thread is still busy, so it is replaced by a fresh one.
      if (session.embedded && (error as Error).message?.includes("Query read timeout"))
        void session.abandon();
      return translateQueryError(error, env.statementTimeoutMs);
    };
    try {
      await client.query("BEGIN READ ONLY");
      const timeout = Math.trunc(env.statementTimeoutMs);
      await client.query(`SET LOCAL statement_timeout = ${timeout}`);
      // A client that stops reading a streamed result must not hold the session for ever.
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${timeout}`);
      const schema = overrides.schema ?? connection.defaultSchema;
      if (schema) await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      if (connection.runAsRole) await client.query(`SET LOCAL ROLE ${quoteIdent(connection.runAsRole)}`);
      await client.query({
        text: `DECLARE gateway_exec NO SCROLL CURSOR FOR ${bound.text}`,
        values: bound.values,
        queryMode: "extended",
      } as pg.QueryConfig);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      await client.end().catch(() => {});
      throw translate(error);
    }
    return RowStream.open(client, "gateway_exec", started, {
      maxRows: env.maxRows,
      // The embedded warehouse is one PGlite session shared by every execution: a transaction
      // left open while a slow client reads would stall the others, so its results are read
      // whole (up to the row cap) and only their serialisation streams.
      batchRows: session.embedded ? env.maxRows + 1 : STREAM_BATCH_ROWS,
      translate,
    });
  }
}

/**
 * The session configuration of a connection: the demo warehouse's live address, or a tenant's
 * URL once TargetPolicy has resolved and checked it. Whatever goes wrong, the caller learns only
 * that the connection could not be reached, so connections cannot probe the network.
 */
async function openSession(
  env: ExecEnvironment,
  name: string,
  url: string,
  overrides: Overrides,
): Promise<WarehouseSession> {
  if (url === DEMO_WAREHOUSE_URL) {
    if (overrides.database) throw new ValidationError("This connection does not allow a database override");
    try {
      return await env.warehouse.session();
    } catch {
      throw new ConnectionUnavailableError(name);
    }
  }
  try {
    const config = await env.targets.clientConfig(url, overrides.database);
    return { config, embedded: false, abandon: async () => {} };
  } catch (error) {
    if (error instanceof TargetRefusedError) throw new ConnectionUnavailableError(name);
    throw error;
  }
}

function span(started: Date, finished: Date) {
  return {
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - started.getTime(),
  };
}

/** A block's first statement, rendered, with the request's params and the block's own. */
function blockStatement(
  pkg: Package,
  block: Block,
  args: Record<string, ParamValue>,
  params: Record<string, ParamValue>,
  packages: ReadonlyMap<string, Package>,
): { statement: string; params: Record<string, ParamValue> } {
  const rendered = renderBlock(block, args, { packages, current: pkg });
  const all = { ...params, ...rendered.params };
  const statement = firstStatement(rendered.sql, all);
  if (statement === undefined) throw new ValidationError(`The block ${block.name} has no statement to run`);
  requireBound(statement, all);
  return { statement, params: all };
}

/** A `{{ }}` reference inside a quoted string or a comment cannot become a parameter. */
function requireBound(statement: string, params: Record<string, ParamValue>): void {
  if (bindParams(statement, params).text.includes(BLOCK_PARAM_PREFIX)) {
    throw new ValidationError(
      "A {{ }} reference inside a quoted string or comment cannot be bound; write '%' || {{ x }} instead",
    );
  }
}

type Overrides = { database?: string; schema?: string };

export type ExecuteBlockInput = {
  package?: unknown;
  block_name?: unknown;
  args?: unknown;
  params?: unknown;
  connection?: unknown;
};
export type TestReport = {
  tests: Array<{
    package_name: string;
    test_name: string;
    status: "PASSED" | "FAILED";
    message: string;
    started_at: string;
    finished_at: string;
    duration_ms: number;
  }>;
  stats: {
    tests: number;
    passed: number;
    failed: number;
    started_at: string;
    finished_at: string;
    duration_ms: number;
  };
};
export type BlockOutcome = { kind: "result"; result: RowStream } | { kind: "tests"; report: TestReport };

export type ExecuteScriptInput = { path?: unknown; params?: unknown; connection?: unknown };

function connectionNameOf(value: unknown): string {
  if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError("Connection is required");
  }
  const name = (value as { name?: unknown }).name;
  if (typeof name !== "string" || name.trim() === "")
    throw new ValidationError("Connection name is required");
  return name;
}

function paramsOf(value: unknown): Record<string, ParamValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError("params must be an object of parameter names and values");
  }
  return value as Record<string, ParamValue>;
}

function parseOverrides(value: unknown): Overrides {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ValidationError("connection.overrides must be an object");
  const result: Overrides = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== "database" && key !== "schema")
      throw new ValidationError(`Unsupported connection override: ${key}`);
    if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(v)) {
      throw new ValidationError(`connection.overrides.${key} must be a plain database name`);
    }
    result[key] = v;
  }
  return result;
}

/** The one identifier quoting of session settings (schema, role): names already validated. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
