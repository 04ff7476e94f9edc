// The SDL of the schema a caller's requests run against (its organisation's typed graph), for
// GraphQL codegen and schema registries: `GET /graphql/schema.graphql` with a key, and
// `npm run admin -- schema print --org <id>`.
import type { FastifyInstance } from "fastify";
import { lexicographicSortSchema, printSchema } from "graphql";
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { ModuleService } from "../records/modules.service.js";
import { viewerOf } from "../rest/auth.js";
import { organizationSchema, staticSchema } from "./organization-schema.js";

/** The SDL of `viewer`'s schema: the static one, extended with the modules it may read. */
export async function schemaDocument(prisma: PrismaClient, viewer: Viewer): Promise<string> {
  const schema = viewer.can("records:read")
    ? organizationSchema(viewer.organization.id, await new ModuleService(prisma, viewer).snapshot())
    : staticSchema;
  return printSchema(lexicographicSortSchema(schema));
}

/** The SDL of an organisation's whole schema, as its owner sees it (the admin CLI). */
export function organizationSchemaDocument(
  prisma: PrismaClient,
  organization: { id: string; name: string },
): Promise<string> {
  const viewer = Viewer.system(organization, {
    id: "00000000-0000-0000-0000-000000000000",
    displayName: "admin CLI",
    email: "",
    role: "owner",
  });
  return schemaDocument(prisma, viewer);
}

export function registerSchemaDocument(app: FastifyInstance, prisma: PrismaClient): void {
  app.get("/graphql/schema.graphql", { schema: { hide: true } }, async (request, reply) =>
    reply
      .type("text/plain; charset=utf-8")
      .header("cache-control", "private, no-cache")
      .send(await schemaDocument(prisma, viewerOf(request))),
  );
}
