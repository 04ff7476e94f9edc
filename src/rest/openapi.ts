// OpenAPI 3.1 from the routes' own zod schemas (fastify-type-provider-zod), served at
// /openapi.json with a Swagger UI at /docs, both offline.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";

/** Documentation-only: each surface's error body (see src/rest/surfaces.ts for the shapes). */
export const ErrorBody = z
  .union([
    z.object({
      error: z.object({
        code: z.string(),
        message: z.string(),
        details: z.unknown().optional(),
        request_id: z.string().optional(),
      }),
    }),
    z.object({ message: z.string(), detail: z.string().optional() }),
  ])
  .meta({ id: "Error" });

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Gateway REST compatibility API",
        version: "1.0.0",
        description:
          "The documented REST surfaces, served beside the GraphQL graph at /graphql. Every request needs `Authorization: Bearer <API key>`.",
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list" } });
  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
