// The Catalog Browse and Catalog Management APIs of seed 003 under /api/v1/catalog, over
// CatalogService. Paths arrive in the URL, percent-encoded; Fastify decodes the wildcard once.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { PreconditionFailedError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { decodeCursor, encodeCursor, MAX_CONTENT_BYTES } from "./catalog.inputs.js";
import { encodePath } from "./catalog.paths.js";
import { type CatalogEntry, CatalogService, etagOf, MAX_PAGE_SIZE } from "./catalog.service.js";

const PREFIX = "/api/v1/catalog";
/**
 * 15 MB of content can take far more bytes as JSON (escapes); bodies beyond this limit are
 * answered with the documented 400 for oversized content rather than a 413.
 */
const ASSET_BODY_LIMIT = 6 * MAX_CONTENT_BYTES + 1024 * 1024;

const ItemType = z.enum([
  "REGULAR_FOLDER",
  "USER_HOME",
  "SCHEDULED_EVENTS",
  "PROJECT",
  "SQL_SCRIPT",
  "COGINITI_SCRIPT",
  "UPLOAD_TEMPLATE",
  "DATA_INSERT_TEMPLATE",
  "PROJECT_MANIFEST",
]);

const ListedItem = z
  .object({
    name: z.string(),
    path: z.string(),
    type: ItemType,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "CatalogListedItem" });

const ItemList = z.object({
  data: z.array(ListedItem),
  next_page_token: z
    .string()
    .optional()
    .describe("Present when the folder has more children: pass it as page_token for the next page."),
});

const AssetData = z.object({ content: z.string().optional() });

const ItemDetail = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    path: z.string(),
    type: ItemType,
    data: AssetData,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "CatalogItem" });

const FolderBody = ListedItem;
const AssetBody = z
  .object({
    name: z.string(),
    path: z.string(),
    type: ItemType,
    data: AssetData,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "CatalogAsset" });

const PathParams = z.object({ "*": z.string().describe("URL-encoded path, namespace first") });
const IfMatchHeaders = z.looseObject({ "if-match": z.string().optional().describe('The ETag, e.g. "42"') });
const nullableString = z.string().nullish();

const CreateFolderBody = z.object({
  parent_path: nullableString.describe("Must start with @Personal, @Shared or @Project Hub"),
  name: nullableString.describe("At most 255 characters, no /"),
  folder_type: nullableString.describe("REGULAR (default) or PROJECT"),
});
const CreateAssetBody = z.object({
  parent_path: nullableString,
  name: nullableString,
  content: nullableString.describe("At most 15 MB"),
  description: nullableString,
});
const UpdateFolderBody = z.object({ name: nullableString });
const UpdateAssetBody = z.object({
  name: nullableString,
  content: nullableString,
  description: nullableString,
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const changeErrors = { ...errors, 409: ErrorBody, 412: ErrorBody, 428: ErrorBody };

function listed(entry: CatalogEntry): z.infer<typeof ListedItem> {
  return {
    name: entry.name,
    path: entry.path,
    type: entry.type as z.infer<typeof ItemType>,
    created_at: entry.createdAt.toISOString(),
    updated_at: entry.updatedAt.toISOString(),
  };
}

function asset(entry: CatalogEntry): z.infer<typeof AssetBody> {
  const { name, path, type, created_at, updated_at } = listed(entry);
  return { name, path, type, data: { content: entry.content ?? "" }, created_at, updated_at };
}

function detail(entry: CatalogEntry): z.infer<typeof ItemDetail> {
  const { name, path, type, created_at, updated_at } = listed(entry);
  return {
    name,
    description: entry.description,
    path,
    type,
    data: entry.kind === "ASSET" ? { content: entry.content ?? "" } : {},
    created_at,
    updated_at,
  };
}

function withEtag(reply: FastifyReply, entry: CatalogEntry): FastifyReply {
  return entry.revision === null ? reply : reply.header("etag", etagOf(entry.revision));
}

/**
 * Route-level error hook; rethrown errors reach the application's handler, which renders them.
 * Bodies too large for an asset route are oversized content, documented as a 400; a 412 also
 * carries the current ETag as a header, so a client can retry without parsing the detail.
 */
function catalogErrors(error: FastifyError | Error, _request: FastifyRequest, reply: FastifyReply): never {
  if ((error as FastifyError).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    throw new ValidationError("Content exceeds the 15 MB size limit", [], { field: "content" });
  }
  if (error instanceof PreconditionFailedError && typeof error.details?.currentEtag === "string") {
    reply.header("etag", error.details.currentEtag);
  }
  throw error;
}

export function registerCatalogRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = (request: FastifyRequest) => new CatalogService(prisma, viewerOf(request));
  // Scope and If-Match come before the body: a change without a condition is a 428 whatever it says.
  const requireIfMatch = async (request: FastifyRequest) => {
    service(request).precondition(request.headers["if-match"]);
  };

  r.get(
    `${PREFIX}/list/*`,
    {
      schema: {
        tags: ["Catalog"],
        summary: "List the direct children of a folder",
        params: PathParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(MAX_PAGE_SIZE),
          page_token: z.string().optional(),
        }),
        response: { 200: ItemList, ...errors },
      },
    },
    async (request) => {
      const { limit, page_token } = request.query;
      const page = await service(request).list(request.params["*"], {
        first: limit,
        after: decodeCursor(page_token),
      });
      const last = page.items.at(-1);
      return {
        data: page.items.map(listed),
        ...(page.hasNextPage && last ? { next_page_token: encodeCursor(last) } : {}),
      };
    },
  );

  r.get(
    `${PREFIX}/by-path/*`,
    {
      schema: {
        tags: ["Catalog"],
        summary: "Get a catalog item by path (with its ETag)",
        params: PathParams,
        response: { 200: ItemDetail, ...errors },
      },
    },
    async (request, reply) => {
      const entry = await service(request).getByPath(request.params["*"]);
      withEtag(reply, entry);
      return detail(entry);
    },
  );

  r.post(
    `${PREFIX}/folders`,
    {
      schema: {
        tags: ["Catalog"],
        summary: "Create a folder",
        body: CreateFolderBody,
        response: { 201: FolderBody, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const entry = await service(request).createFolder({
        parentPath: body.parent_path,
        name: body.name,
        folderType: body.folder_type,
      });
      withEtag(reply.code(201), entry).header("location", `${PREFIX}/by-path/${encodePath(entry.path)}`);
      return listed(entry);
    },
  );

  r.post(
    `${PREFIX}/assets`,
    {
      bodyLimit: ASSET_BODY_LIMIT,
      errorHandler: catalogErrors,
      schema: {
        tags: ["Catalog"],
        summary: "Create a SQL script or CoginitiScript",
        body: CreateAssetBody,
        response: { 201: AssetBody, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const entry = await service(request).createAsset({
        parentPath: body.parent_path,
        name: body.name,
        content: body.content,
        description: body.description,
      });
      withEtag(reply.code(201), entry).header("location", `${PREFIX}/by-path/${encodePath(entry.path)}`);
      return asset(entry);
    },
  );

  r.put(
    `${PREFIX}/folders/*`,
    {
      preValidation: requireIfMatch,
      errorHandler: catalogErrors,
      schema: {
        tags: ["Catalog"],
        summary: "Rename a folder (descendants' paths follow)",
        params: PathParams,
        headers: IfMatchHeaders,
        body: UpdateFolderBody,
        response: { 200: FolderBody, ...changeErrors },
      },
    },
    async (request, reply) => {
      const entry = await service(request).updateFolder(request.params["*"], request.headers["if-match"], {
        name: request.body.name,
      });
      withEtag(reply, entry);
      return listed(entry);
    },
  );

  r.put(
    `${PREFIX}/assets/*`,
    {
      bodyLimit: ASSET_BODY_LIMIT,
      errorHandler: catalogErrors,
      preValidation: requireIfMatch,
      schema: {
        tags: ["Catalog"],
        summary: "Rename an asset and/or replace its content",
        params: PathParams,
        headers: IfMatchHeaders,
        body: UpdateAssetBody,
        response: { 200: AssetBody, ...changeErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const entry = await service(request).updateAsset(request.params["*"], request.headers["if-match"], {
        name: body.name,
        content: body.content,
        description: body.description,
      });
      withEtag(reply, entry);
      return asset(entry);
    },
  );

  for (const [segment, kind] of [
    ["folders", "FOLDER"],
    ["assets", "ASSET"],
  ] as const) {
    r.delete(
      `${PREFIX}/${segment}/*`,
      {
        preValidation: requireIfMatch,
        errorHandler: catalogErrors,
        schema: {
          tags: ["Catalog"],
          summary: kind === "FOLDER" ? "Delete an empty folder" : "Delete an asset",
          params: PathParams,
          headers: IfMatchHeaders,
          response: { 204: z.null().describe("Deleted"), ...changeErrors },
        },
      },
      async (request, reply) => {
        await service(request).deleteItem(request.params["*"], request.headers["if-match"], kind);
        return reply.code(204).send(null);
      },
    );
  }
}
