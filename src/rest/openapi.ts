// OpenAPI 3.1 from the routes' own zod schemas (fastify-type-provider-zod), served at
// /openapi.json, with two Swagger UIs, both offline: /docs for every REST surface, and
// /api-swagger (seed 004's address) for the public API alone: /api/v1, /api/v2 and the token
// endpoints.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";
import { finishDocument, type OpenApiDocument, withoutUnusedSchemas } from "./openapi-document.js";

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
    z.object({
      message: z.string(),
      detail: z.string().optional(),
      code: z.string().optional().describe("/api/v2 and the token endpoints: token_expired, forbidden…"),
    }),
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
          "The documented REST surfaces, served beside the GraphQL graph at /graphql. Every request needs " +
          "`Authorization: Bearer <API key>`; /api/v1 also takes `PublicApi <access token>` and /api/v2 " +
          "`PublicApiV2 <access token>` (tokens from POST /api/v1|v2/tokens/renewtokens, docs/tokens.md).",
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer" },
          // Not RFC 7235 schemes Swagger UI knows: the whole header value is typed in.
          publicApi: {
            type: "apiKey",
            in: "header",
            name: "Authorization",
            description: "`PublicApi <access token>`: a token from POST /api/v1/tokens/renewtokens.",
          },
          publicApiV2: {
            type: "apiKey",
            in: "header",
            name: "Authorization",
            description: "`PublicApiV2 <access token>`: a token from POST /api/v2/tokens/renewtokens.",
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    // Routes of the public API that name no security of their own take their version's token too.
    transform: (input) => {
      const output = jsonSchemaTransform(input);
      const version = /^\/api\/v([12])\//i.exec(input.url)?.[1];
      const schema = output.schema as { security?: unknown } | undefined;
      if (version && schema && schema.security === undefined) {
        schema.security = [{ bearerAuth: [] }, { [version === "2" ? "publicApiV2" : "publicApi"]: [] }];
      }
      return output;
    },
    // Valid OpenAPI 3.1 for validators and generators (src/rest/openapi-document.ts).
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input) as OpenApiDocument) as never,
  });
  // Each UI in its own encapsulated scope: the plugin decorates its instance and cannot be
  // registered twice in one.
  await app.register(async (scope) => {
    await scope.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list" } });
  });
  await app.register(async (scope) => {
    await scope.register(swaggerUi, {
      routePrefix: "/api-swagger",
      uiConfig: { docExpansion: "list" },
      transformSpecification: (document) => publicApiOnly(document as OpenApiDocument),
    });
  });
  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}

/** The document with only the public API's paths (/api/v1, /api/v2). */
function publicApiOnly(document: OpenApiDocument): OpenApiDocument {
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).filter(([path]) => path.toLowerCase().startsWith("/api/")),
  );
  return withoutUnusedSchemas({
    ...document,
    info: { ...(document.info as object), title: "Public API (v1 and v2)" },
    paths,
  });
}
