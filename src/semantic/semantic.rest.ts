// GET /api/v1/semantic-layer/metadata/{connection_name} and POST /api/v1/semantic-layer/codegen/sql
// (seed 003, Semantic Layer API), over SemanticService.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { SemanticService } from "./semantic.service.js";

export function registerSemanticRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/v1/semantic-layer/metadata/:connection_name",
    {
      schema: {
        tags: ["Semantic Layer"],
        summary: "The semantic model of a connection",
        params: z.object({ connection_name: z.string() }),
        response: {
          200: z.object({ version: z.string(), layers: z.array(z.unknown()) }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) =>
      new SemanticService(prisma, viewerOf(request)).metadata(request.params.connection_name),
  );

  r.post(
    "/api/v1/semantic-layer/codegen/sql",
    {
      schema: {
        tags: ["Semantic Layer"],
        summary: "Generate SQL for the layer's platform from a semantic query",
        // Checked by the service, which answers with the seed's detail texts.
        body: z.object({ connection_name: z.unknown().optional(), query: z.unknown().optional() }).nullish(),
        response: { 200: z.object({ sql: z.string() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      const compiled = await new SemanticService(prisma, viewerOf(request)).generateSql(request.body ?? {});
      return { sql: compiled.sql };
    },
  );
}
