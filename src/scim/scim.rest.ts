// The SCIM 2.0 service provider of seed 003 under /api/v1/scim/v2 (RFC 7644): Users, Groups and
// the discovery endpoints. Every route needs an API key with the `scim` scope; errors take the
// SCIM error shape (src/rest/surfaces.ts). Bodies are application/scim+json or application/json.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { MalformedBodyError, NotFoundError, PreconditionFailedError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { viewerOf } from "../rest/auth.js";
import { toAppError } from "../rest/error-handling.js";
import { type Projection, project, projection, type ScimDocument } from "./scim.attributes.js";
import { scimBadRequest } from "./scim.errors.js";
import { ScimGroupService } from "./scim.groups.service.js";
import { type PatchOperation, parsePatchBody } from "./scim.patch.js";
import { etagOf, type ListQuery, notModified, parseListQuery } from "./scim.query.js";
import {
  GROUP_RESOURCE,
  listResponse,
  type ResourceSchema,
  resourceTypeDocumentById,
  resourceTypeDocuments,
  SCIM_CONTENT_TYPE,
  SCIM_PREFIX,
  schemaDocumentById,
  schemaDocuments,
  serviceProviderConfig,
  URN,
  USER_RESOURCE,
} from "./scim.schemas.js";
import { type Page, ScimUserService, type Written } from "./scim.users.service.js";

type ResourceService = {
  list(query: ListQuery, p: Projection): Promise<Page>;
  get(id: string, p: Projection): Promise<Written>;
  create(body: unknown): Promise<Written>;
  replace(id: string, body: unknown, ifMatch: string | undefined): Promise<Written>;
  patch(id: string, operations: PatchOperation[], ifMatch: string | undefined): Promise<Written>;
  delete(id: string, ifMatch: string | undefined): Promise<void>;
};

/** The absolute SCIM base URL of this request, for `meta.location` and `$ref`. */
/**
 * The base of absolute URLs (meta.location, $ref, Location): PUBLIC_URL when configured, so a
 * client's Host header cannot put another host into stored links; else the request's own host.
 */
function baseUrlOf(publicUrl: string | undefined) {
  return (request: FastifyRequest): string =>
    `${publicUrl ?? `${request.protocol}://${request.host}`}${SCIM_PREFIX}`;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

function sendResource(reply: FastifyReply, status: number, written: Written, p: Projection): FastifyReply {
  reply.header("etag", etagOf(written.version));
  return send(reply, status, project(written.document, p));
}

/**
 * Route-level error hook; rethrown errors reach the application's handler, which renders them.
 * A body that is not JSON is RFC 7644's invalidSyntax; a 412 also carries the current ETag, so a
 * client can refetch or retry knowingly.
 */
function scimErrors(error: FastifyError | Error, _request: FastifyRequest, reply: FastifyReply): never {
  if (error instanceof PreconditionFailedError && typeof error.details?.currentEtag === "string") {
    reply.header("etag", error.details.currentEtag);
  }
  const known = toAppError(error, 0);
  if (known instanceof MalformedBodyError) throw scimBadRequest("invalidSyntax", detailOf(known));
  throw error;
}

function detailOf(error: MalformedBodyError): string {
  const issue = error.issues[0]?.message;
  return issue ? `${error.message}: ${issue}` : error.message;
}

/**
 * Generic SCIM clients send their Content-Type on every request, a DELETE without a body
 * included; Fastify would parse that empty body as JSON and answer 400. A request with no body
 * has no content to type: the header is dropped before parsing. (GET bodies are never parsed.)
 */
async function ignoreContentTypeWithoutBody(request: FastifyRequest): Promise<void> {
  const { headers } = request;
  const length = headers["content-length"];
  if (headers["transfer-encoding"] === undefined && (length === undefined || length.trim() === "0")) {
    delete headers["content-type"];
  }
}

const ListParams = z.looseObject({
  filter: z.string().optional().describe('e.g. userName eq "ann@example.com" (RFC 7644 §3.4.2.2)'),
  startIndex: z.string().optional().describe("1-based index of the first result (default 1)"),
  count: z
    .string()
    .optional()
    .describe("Results per page (default 100, at most 200; 0 gives totalResults only)"),
  sortBy: z.string().optional(),
  sortOrder: z.string().optional().describe("ascending (default) or descending"),
  attributes: z.string().optional().describe("Comma-separated attributes to return"),
  excludedAttributes: z.string().optional().describe("Comma-separated attributes to leave out"),
});
const ProjectionParams = ListParams.pick({ attributes: true, excludedAttributes: true });
const IdParams = z.object({ id: z.string() });
const IfMatchHeaders = z.looseObject({ "if-match": z.string().optional().describe('The ETag, e.g. W/"3"') });
const AnyBody = z.unknown();
/** The body of a successful DELETE, exactly as seed 003 shows it (the status as a string). */
const DELETED = { status: "200" } as const;

/** A SearchRequest's `attributes: ["a", "b"]` reads as the query string's `attributes=a,b`. */
function commaSeparated(value: unknown): unknown {
  return Array.isArray(value) ? value.join(",") : value;
}

export function registerScimRoutes(
  app: FastifyInstance,
  prisma: PrismaClient,
  publicUrl: string | undefined,
): void {
  const baseUrl = baseUrlOf(publicUrl);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const viewer = (request: FastifyRequest): Viewer => {
    const v = viewerOf(request);
    v.require("scim");
    return v;
  };

  r.get(
    `${SCIM_PREFIX}/ServiceProviderConfig`,
    { schema: { tags: ["SCIM"], summary: "The service provider's SCIM capabilities" } },
    async (request, reply) => {
      viewer(request);
      return send(reply, 200, serviceProviderConfig(baseUrl(request)));
    },
  );

  r.get(
    `${SCIM_PREFIX}/ResourceTypes`,
    { schema: { tags: ["SCIM"], summary: "The resource types: User and Group" } },
    async (request, reply) => {
      viewer(request);
      const types = resourceTypeDocuments(baseUrl(request));
      return send(reply, 200, listResponse(types, types.length, 1));
    },
  );

  r.get(
    `${SCIM_PREFIX}/ResourceTypes/:id`,
    { schema: { tags: ["SCIM"], summary: "One resource type", params: IdParams } },
    async (request, reply) => {
      viewer(request);
      const type = resourceTypeDocumentById(request.params.id, baseUrl(request));
      if (!type) throw new NotFoundError(`Resource type ${request.params.id} not found`);
      return send(reply, 200, type);
    },
  );

  r.get(
    `${SCIM_PREFIX}/Schemas`,
    { schema: { tags: ["SCIM"], summary: "The schemas: User, EnterpriseUser and Group" } },
    async (request, reply) => {
      viewer(request);
      const schemas = schemaDocuments(baseUrl(request));
      return send(reply, 200, listResponse(schemas, schemas.length, 1));
    },
  );

  r.get(
    `${SCIM_PREFIX}/Schemas/:id`,
    { schema: { tags: ["SCIM"], summary: "One schema, by its URN", params: IdParams } },
    async (request, reply) => {
      viewer(request);
      const schema = schemaDocumentById(request.params.id, baseUrl(request));
      if (!schema) throw new NotFoundError(`Schema ${request.params.id} not found`);
      return send(reply, 200, schema);
    },
  );

  const kinds: Array<{ resource: ResourceSchema; service: (request: FastifyRequest) => ResourceService }> = [
    {
      resource: USER_RESOURCE,
      service: (request) => new ScimUserService(prisma, viewer(request), baseUrl(request)),
    },
    {
      resource: GROUP_RESOURCE,
      service: (request) => new ScimGroupService(prisma, viewer(request), baseUrl(request)),
    },
  ];

  for (const { resource, service } of kinds) {
    const url = `${SCIM_PREFIX}${resource.endpoint}`;
    const name = resource.name;
    const projectionOf = (query: { attributes?: string; excludedAttributes?: string }) =>
      projection(resource, query.attributes, query.excludedAttributes);
    const listed = async (reply: FastifyReply, svc: ResourceService, raw: Record<string, unknown>) => {
      const query = parseListQuery(raw);
      const p = projectionOf(query);
      const page = await svc.list(query, p);
      return send(reply, 200, listResponse(page.resources, page.total, query.startIndex));
    };

    r.get(
      url,
      {
        schema: {
          tags: ["SCIM"],
          summary: `List or filter ${name}s (ListResponse)`,
          querystring: ListParams,
        },
      },
      async (request, reply) => listed(reply, service(request), request.query),
    );

    r.post(
      `${url}/.search`,
      {
        errorHandler: scimErrors,
        schema: {
          tags: ["SCIM"],
          summary: `Search ${name}s with a SearchRequest body (RFC 7644 §3.4.3)`,
          body: AnyBody,
        },
      },
      async (request, reply) => {
        const svc = service(request);
        const body = request.body;
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
          throw scimBadRequest("invalidSyntax", `The body must be a SearchRequest (${URN.searchRequest})`);
        }
        const raw = Object.fromEntries(
          Object.entries(body).map(([key, value]) => [key, commaSeparated(value)]),
        );
        return listed(reply, svc, raw);
      },
    );

    r.post(
      url,
      {
        errorHandler: scimErrors,
        schema: { tags: ["SCIM"], summary: `Create a ${name}`, querystring: ProjectionParams, body: AnyBody },
      },
      async (request, reply) => {
        const written = await service(request).create(request.body);
        reply.header("location", (written.document.meta as ScimDocument).location as string);
        return sendResource(reply, 201, written, projectionOf(request.query));
      },
    );

    r.get(
      `${url}/:id`,
      {
        schema: {
          tags: ["SCIM"],
          summary: `Get a ${name} (with its ETag; If-None-Match answers 304)`,
          params: IdParams,
          querystring: ProjectionParams,
        },
      },
      async (request, reply) => {
        const p = projectionOf(request.query);
        const written = await service(request).get(request.params.id, p);
        const ifNoneMatch = [request.headers["if-none-match"]].flat()[0];
        if (notModified(ifNoneMatch, written.version)) {
          return reply.code(304).header("etag", etagOf(written.version)).send();
        }
        return sendResource(reply, 200, written, p);
      },
    );

    r.put(
      `${url}/:id`,
      {
        errorHandler: scimErrors,
        schema: {
          tags: ["SCIM"],
          summary: `Replace a ${name} (If-Match optional)`,
          params: IdParams,
          querystring: ProjectionParams,
          headers: IfMatchHeaders,
          body: AnyBody,
        },
      },
      async (request, reply) => {
        const written = await service(request).replace(
          request.params.id,
          request.body,
          request.headers["if-match"],
        );
        return sendResource(reply, 200, written, projectionOf(request.query));
      },
    );

    r.patch(
      `${url}/:id`,
      {
        errorHandler: scimErrors,
        schema: {
          tags: ["SCIM"],
          summary: `Change a ${name} with a PatchOp (If-Match optional)`,
          params: IdParams,
          querystring: ProjectionParams,
          headers: IfMatchHeaders,
          body: AnyBody,
        },
      },
      async (request, reply) => {
        const svc = service(request);
        const operations = parsePatchBody(request.body);
        const written = await svc.patch(request.params.id, operations, request.headers["if-match"]);
        return sendResource(reply, 200, written, projectionOf(request.query));
      },
    );

    r.delete(
      `${url}/:id`,
      {
        errorHandler: scimErrors,
        onRequest: ignoreContentTypeWithoutBody,
        schema: {
          tags: ["SCIM"],
          summary: `Delete a ${name}: 200 {"status": "200"} as seed 003 documents (If-Match optional)`,
          params: IdParams,
          headers: IfMatchHeaders,
        },
      },
      async (request, reply) => {
        await service(request).delete(request.params.id, request.headers["if-match"]);
        // Seed 003's documented answer; RFC 7644 §3.6 says 204, and Okta and Entra ID accept any 2xx.
        return send(reply, 200, DELETED);
      },
    );
  }
}
