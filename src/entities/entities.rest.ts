// The Entities API (seed 000) under /v1/entities: CRUD with the documented envelope, page and
// cursor pagination, filters, sort and field selection, over EntityService.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import {
  CreateEntityInput,
  ENTITY_FIELDS,
  type EntityField,
  entityRestId,
  parseFields,
  UpdateEntityInput,
} from "./entities.inputs.js";
import { type Entity, type EntityPage, EntityService } from "./entities.service.js";

const EntityBody = z
  .object({
    id: z.string(),
    type: z.string(),
    name: z.string(),
    attributes: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .partial()
  .meta({ id: "Entity", description: "Every field is present unless `fields` selects a subset." });

const EntityEnvelope = z.object({ data: EntityBody });
const EntityList = z.object({
  data: z.array(EntityBody),
  meta: z.object({
    total: z.number().int(),
    page: z.number().int().nullable().describe("null when paginating with cursor"),
    per_page: z.number().int(),
    total_pages: z.number().int(),
    next_cursor: z.string().nullable().describe("pass as ?cursor= to continue after this page"),
  }),
  links: z.object({ self: z.string(), next: z.string().nullable(), last: z.string().nullable() }),
});

const KNOWN_QUERY = new Set([
  "page",
  "per_page",
  "cursor",
  "type",
  "created_after",
  "created_before",
  "sort",
  "fields",
]);
const ListQuery = z
  .object({
    page: z.coerce.number().int().min(1).optional(),
    per_page: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().optional(),
    type: z.string().optional(),
    created_after: z.string().optional(),
    created_before: z.string().optional(),
    sort: z
      .string()
      .optional()
      .describe("comma list of id, type, name, created_at, updated_at, attributes.<key>; - for descending"),
    fields: z
      .string()
      .optional()
      .describe(`comma list of ${ENTITY_FIELDS.join(", ")}`),
  })
  .catchall(z.string().describe("attributes.<key>=<value> filters on an attribute"));
const FieldsQuery = z.object({ fields: z.string().optional() });
const IdParams = z.object({ id: z.string().describe("ent_...") });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;

function serialize(entity: Entity, fields: EntityField[] | null): z.infer<typeof EntityBody> {
  const full = {
    id: entityRestId(entity.id),
    type: entity.type,
    name: entity.name,
    attributes: entity.attributes,
    created_at: entity.createdAt.toISOString(),
    updated_at: entity.updatedAt.toISOString(),
  };
  if (!fields) return full;
  return Object.fromEntries(fields.map((field) => [field, full[field]]));
}

function fieldsOf(text: string | undefined): EntityField[] | null {
  const fields = parseFields(text);
  if (fields && fields.length === 0) {
    const message = `Must be a comma list of ${ENTITY_FIELDS.join(", ")}`;
    throw new ValidationError(`fields: ${message}`, [{ field: "fields", message }]);
  }
  return fields;
}

function link(request: FastifyRequest, change: Record<string, string | null>): string {
  const params = new URL(request.url, "http://localhost").searchParams;
  for (const [key, value] of Object.entries(change)) {
    if (value === null) params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString();
  return `/v1/entities${query ? `?${query}` : ""}`;
}

function links(request: FastifyRequest, page: EntityPage, totalPages: number) {
  if (page.page === null) {
    return {
      self: link(request, {}),
      next: page.nextCursor ? link(request, { cursor: page.nextCursor }) : null,
      last: null,
    };
  }
  return {
    self: link(request, { page: String(page.page) }),
    next: page.page < totalPages ? link(request, { page: String(page.page + 1) }) : null,
    last: link(request, { page: String(Math.max(totalPages, 1)) }),
  };
}

export function registerEntityRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = (request: FastifyRequest) => new EntityService(prisma, viewerOf(request));

  r.get(
    "/v1/entities",
    {
      schema: {
        tags: ["Entities"],
        summary: "List entities",
        querystring: ListQuery,
        response: { 200: EntityList, ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const attributes: Record<string, string> = {};
      for (const [key, value] of Object.entries(query)) {
        if (KNOWN_QUERY.has(key)) continue;
        if (!key.startsWith("attributes.") || typeof value !== "string") {
          throw new ValidationError(`Unknown query parameter "${key}"`, [
            {
              field: key,
              message: "Unknown query parameter; filter attributes with attributes.<key>=<value>",
            },
          ]);
        }
        attributes[key.slice("attributes.".length)] = value;
      }
      const fields = fieldsOf(query.fields);
      const page = await service(request).list({
        type: query.type,
        createdAfter: query.created_after,
        createdBefore: query.created_before,
        attributes,
        sort: query.sort,
        limit: query.per_page,
        page: query.page,
        cursor: query.cursor,
      });
      const totalPages = Math.ceil(page.total / page.limit);
      return {
        data: page.rows.map((row) => serialize(row, fields)),
        meta: {
          total: page.total,
          page: page.page,
          per_page: page.limit,
          total_pages: totalPages,
          next_cursor: page.nextCursor,
        },
        links: links(request, page, totalPages),
      };
    },
  );

  r.post(
    "/v1/entities",
    {
      // The body is checked by the service so that its problems are 422 with attributes.<key> fields.
      attachValidation: true,
      schema: {
        tags: ["Entities"],
        summary: "Create an entity",
        body: CreateEntityInput,
        // 409: another request holding the same Idempotency-Key is still running.
        response: { 201: EntityEnvelope, ...errors, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const entity = await service(request).create(request.body);
      reply.code(201).header("location", `/v1/entities/${entityRestId(entity.id)}`);
      return { data: serialize(entity, null) };
    },
  );

  r.get(
    "/v1/entities/:id",
    {
      schema: {
        tags: ["Entities"],
        summary: "Get an entity",
        params: IdParams,
        querystring: FieldsQuery,
        response: { 200: EntityEnvelope, ...errors },
      },
    },
    async (request) => {
      const fields = fieldsOf(request.query.fields);
      return { data: serialize(await service(request).get(request.params.id), fields) };
    },
  );

  r.patch(
    "/v1/entities/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["Entities"],
        summary: "Update an entity (attributes are merged; an attribute set to null is removed)",
        params: IdParams,
        body: UpdateEntityInput,
        response: { 200: EntityEnvelope, ...errors, 422: ErrorBody },
      },
    },
    async (request) => ({
      data: serialize(await service(request).update(request.params.id, request.body), null),
    }),
  );

  r.delete(
    "/v1/entities/:id",
    {
      schema: {
        tags: ["Entities"],
        summary: "Delete an entity",
        params: IdParams,
        response: { 204: z.null().describe("No Content"), ...errors },
      },
    },
    async (request, reply) => {
      await service(request).delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
