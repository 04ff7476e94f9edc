// POST /api/v1/exec/sql (seed 003, Execution API), over ExecutionService.
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { ExecutionService } from "./execution.service.js";
import { ARROW, CSV, negotiate, resultArrow, resultCsv, resultJson } from "./result-formats.js";
import type { RowStream } from "./row-stream.js";

const ResultBody = z
  .object({
    result: z.object({
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
      data: z
        .array(z.array(z.unknown()))
        .describe(
          "Rows, each an array in column order; one JSON type per column: BIGINT and DECIMAL as exact strings, TIMESTAMP_TZ in UTC (docs/semantic.md, Value types)",
        ),
    }),
    stats: z.object({ started_at: z.string(), finished_at: z.string(), duration_ms: z.number() }),
  })
  .meta({ id: "ExecutionResult" });

// Loose on purpose: the service answers missing fields with the seed's exact detail texts.
const ExecSqlBody = z
  .object({
    sql: z.unknown().optional().describe("SQL query to execute"),
    params: z.unknown().optional().describe("Parameter values by name ($name or $$name)"),
    connection: z.unknown().optional().describe("{ name, overrides?: { database?, schema? } }"),
  })
  .nullish();

const TestReportBody = z
  .object({
    tests: z.array(
      z.object({
        package_name: z.string(),
        test_name: z.string(),
        status: z.string(),
        message: z.string(),
        started_at: z.string(),
        finished_at: z.string(),
        duration_ms: z.number(),
      }),
    ),
    stats: z.object({
      tests: z.number(),
      passed: z.number(),
      failed: z.number(),
      started_at: z.string(),
      finished_at: z.string(),
      duration_ms: z.number(),
    }),
  })
  .meta({ id: "TestReport" });

/**
 * Streams a result in the negotiated format. The status and headers are sent with the first
 * batch; a failure after that (say, a division by zero at row 50 000) can no longer change the
 * status, so the response is cut off and the connection closed (docs/semantic.md).
 */
export const TRUNCATED_HEADER = "x-result-truncated";

export function sendResult(reply: FastifyReply, accept: string | undefined, result: RowStream) {
  reply.header("X-Coginiti-Execution-Started-At", result.startedAt.text);
  // A result cut at EXEC_MAX_ROWS says so in every format: in a header when the first batch
  // already tells, otherwise in a trailer of the same name once the last row is read.
  const truncated = result.truncationKnown;
  if (truncated === undefined) {
    reply.trailer(TRUNCATED_HEADER, async () => String(result.truncated));
  } else {
    reply.header(TRUNCATED_HEADER, String(truncated));
  }
  // A client that goes away releases the database session at once.
  reply.raw.on("close", () => void result.close());
  const format = negotiate(accept);
  if (format === "csv") return reply.type(`${CSV}; charset=utf-8`).send(resultCsv(result));
  if (format === "arrow") return reply.type(ARROW).send(resultArrow(result));
  return reply.type("application/json; charset=utf-8").send(resultJson(result));
}

export function registerExecRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/api/v1/exec/sql",
    {
      schema: {
        tags: ["Execution"],
        summary: "Execute SQL on a named connection (JSON, CSV or Arrow by Accept)",
        body: ExecSqlBody,
        response: { 200: ResultBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const result = await new ExecutionService(prisma, viewerOf(request)).openSql(request.body ?? {});
      return sendResult(reply, request.headers.accept, result);
    },
  );

  r.post(
    "/api/v1/exec/script",
    {
      schema: {
        tags: ["Execution"],
        summary:
          "Execute a catalog asset's first statement (JSON, CSV or Arrow), or its test.Run() suite (a test report)",
        body: z
          .object({
            path: z.unknown().optional().describe("Absolute path of the catalog asset"),
            params: z.unknown().optional().describe("Parameter values by name ($name or $$name)"),
            connection: z.unknown().optional().describe("{ name }"),
          })
          .nullish(),
        response: {
          200: z.union([ResultBody, TestReportBody]),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const outcome = await new ExecutionService(prisma, viewerOf(request)).openScript(request.body ?? {});
      if (outcome.kind === "tests") return reply.send(outcome.report);
      return sendResult(reply, request.headers.accept, outcome.result);
    },
  );

  r.post(
    "/api/v1/exec/block",
    {
      schema: {
        tags: ["Execution"],
        summary: "Execute a CoginitiScript block (a result set, or a test report for #+test blocks)",
        body: z
          .object({
            package: z.unknown().optional().describe("Absolute path of the CoginitiScript package"),
            block_name: z.unknown().optional().describe("Name of the block"),
            args: z.unknown().optional().describe("Argument values by name: scalars, lists, maps"),
            params: z.unknown().optional().describe("Parameter values by name ($name or $$name)"),
            connection: z.unknown().optional().describe("{ name }"),
          })
          .nullish(),
        response: {
          200: z.union([ResultBody, TestReportBody]),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const outcome = await new ExecutionService(prisma, viewerOf(request)).executeBlock(request.body ?? {});
      if (outcome.kind === "tests") return reply.send(outcome.report);
      return sendResult(reply, request.headers.accept, outcome.result);
    },
  );
}
