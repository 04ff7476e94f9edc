// The Records API (seed 001) under /v1/modules, plus GET /v1/modules and GET /v1/modules/{module}
// (our extension). Routes parse, call RecordService / ModuleService, and shape the seed's JSON.
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import {
  displayFieldsOf,
  type ModuleDef,
  type ReferenceDefinition,
  referencesOf,
} from "./modules.service.js";
import {
  BulkUpdateInput,
  CreateRecordInput,
  FIELD_TYPES,
  moduleRestId,
  PRIVACY_LEVELS,
  RecordIdsInput,
  recordRestId,
  UpdateRecordInput,
  userRestId,
} from "./records.inputs.js";
import { type RecordRow, RecordService, startRecordPurgeJob } from "./records.service.js";

const ReferenceBody = z
  .object({
    slug: z.string(),
    targetModuleSlug: z.string().optional(),
    targetType: z.enum(["module", "user"]),
    relationshipType: z.enum(["many_to_one", "many_to_many"]),
  })
  .meta({ id: "ReferenceDefinition" });

const FieldBody = z.object({
  slug: z.string(),
  label: z.string(),
  type: z.enum(FIELD_TYPES),
  required: z.boolean(),
  options: z.array(z.string()).optional(),
  targetModuleSlug: z.string().optional(),
  relationshipType: z.enum(["many_to_one", "many_to_many"]).optional(),
});

const ModuleBody = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    fields: z.array(FieldBody),
    displayFields: z.array(z.string()),
    subtitleFields: z.array(z.string()),
    references: z.array(ReferenceBody),
    createdDateTime: z.string(),
    updatedDateTime: z.string(),
  })
  .meta({ id: "Module" });

const RecordBody = z
  .object({
    id: z.string(),
    moduleId: z.string(),
    moduleSlug: z.string(),
    displayName: z.string(),
    fields: z.record(z.string(), z.unknown()),
    labelIds: z.array(z.string()),
    typeIds: z.array(z.string()),
    privacyLevel: z.enum(PRIVACY_LEVELS),
    descriptionHtml: z.string().nullable(),
    createdDateTime: z.string(),
    updatedDateTime: z.string(),
    createdByUserId: z.string().nullable(),
    createdByDisplayName: z.string().nullable(),
    updatedByUserId: z.string().nullable(),
    updatedByDisplayName: z.string().nullable(),
    version: z.number().int(),
    deletedDateTime: z.string().optional(),
  })
  .meta({ id: "Record" });

const RecordEnvelope = z.object({ record: RecordBody });
const RecordPageBody = z.object({
  records: z.array(RecordBody),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
const Success = z.object({ success: z.literal(true) });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const csv = z
  .string()
  .max(5000)
  .transform((s) =>
    s
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  )
  .optional();

const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100, "must be at most 100").default(25),
};

const ListQuery = z
  .object({
    search: z.string().max(200).optional(),
    sortField: z.string().max(100).optional(),
    sortDirection: z.enum(["asc", "desc"]).optional(),
    labelIds: csv,
    typeIds: csv,
    advancedFilter: z.string().max(50_000).optional(),
    fields: csv,
    ...page,
  })
  .catchall(z.union([z.string(), z.array(z.string())]))
  .describe("Also filter[<field slug>]=a,b: one value of a list must match; several fields must all match.");

const FILTER_KEY = /^filter\[(.+)\]$/;

const moduleParams = z.object({ module: z.string().max(100) });
const recordParams = moduleParams.extend({ id: z.string().max(100) });
const referenceParams = moduleParams.extend({ referenceSlug: z.string().max(100) });

export function serializeModule(module: ModuleDef) {
  return {
    id: moduleRestId(module.id),
    slug: module.slug,
    name: module.name,
    fields: module.fields,
    displayFields: displayFieldsOf(module),
    subtitleFields: module.subtitleFields,
    references: module.fields.length > 0 ? referencesOf(module).map(serializeReference) : [],
    createdDateTime: module.createdAt.toISOString(),
    updatedDateTime: module.updatedAt.toISOString(),
  };
}

export function serializeReference(reference: ReferenceDefinition) {
  return {
    slug: reference.slug,
    ...(reference.targetModuleSlug ? { targetModuleSlug: reference.targetModuleSlug } : {}),
    targetType: reference.targetType,
    relationshipType: reference.relationshipType,
  };
}

export function serializeRecord(
  row: RecordRow,
  module: ModuleDef,
  names: Map<string, string>,
  selection: string[] | null = null,
): z.infer<typeof RecordBody> {
  const stored = row.fields as Record<string, unknown>;
  const slugs = selection ?? module.fields.map((f) => f.slug);
  const fields: Record<string, unknown> = {};
  for (const slug of slugs) if (stored[slug] !== undefined) fields[slug] = stored[slug];
  return {
    id: recordRestId(row.id),
    moduleId: moduleRestId(module.id),
    moduleSlug: module.slug,
    displayName: row.displayName,
    fields,
    labelIds: row.labelIds,
    typeIds: row.typeIds,
    privacyLevel: row.privacyLevel as (typeof PRIVACY_LEVELS)[number],
    descriptionHtml: row.descriptionHtml,
    createdDateTime: row.createdAt.toISOString(),
    updatedDateTime: row.updatedAt.toISOString(),
    createdByUserId: row.createdById ? userRestId(row.createdById) : null,
    createdByDisplayName: row.createdById ? (names.get(row.createdById) ?? null) : null,
    updatedByUserId: row.updatedById ? userRestId(row.updatedById) : null,
    updatedByDisplayName: row.updatedById ? (names.get(row.updatedById) ?? null) : null,
    version: row.version,
    ...(row.deletedAt ? { deletedDateTime: row.deletedAt.toISOString() } : {}),
  };
}

export function registerRecordRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const stopPurgeJob = startRecordPurgeJob(prisma, {
    onError: (error) => app.log.error({ err: error }, "record purge job failed"),
  });
  app.addHook("onClose", async () => stopPurgeJob());

  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = (request: { viewer: Parameters<typeof viewerOf>[0]["viewer"] }) =>
    new RecordService(prisma, viewerOf(request));

  async function one(svc: RecordService, slug: string, row: RecordRow, reply: FastifyReply) {
    const module = await svc.modules.get(slug);
    reply.header("etag", `"${row.version}"`);
    return { record: serializeRecord(row, module, await svc.userNames([row])) };
  }

  r.get(
    "/v1/modules",
    {
      schema: {
        tags: ["Records"],
        summary: "List modules (extension)",
        response: { 200: z.object({ modules: z.array(ModuleBody) }), ...errors },
      },
    },
    async (request) => ({ modules: (await service(request).modules.list()).map(serializeModule) }),
  );

  r.get(
    "/v1/modules/:module",
    {
      schema: {
        tags: ["Records"],
        summary: "Get a module with its field schema (extension)",
        params: moduleParams,
        response: { 200: z.object({ module: ModuleBody }), ...errors },
      },
    },
    async (request) => ({
      module: serializeModule(await service(request).modules.get(request.params.module)),
    }),
  );

  r.get(
    "/v1/modules/:module/records",
    {
      schema: {
        tags: ["Records"],
        summary: "List records with filtering and pagination",
        params: moduleParams,
        querystring: ListQuery,
        response: { 200: RecordPageBody, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const filters: Record<string, string> = {};
      for (const [key, value] of Object.entries(q)) {
        const match = FILTER_KEY.exec(key);
        if (match) filters[match[1]!] = [value].flat().join(",");
      }
      const svc = service(request);
      const result = await svc.list(request.params.module, {
        search: q.search,
        sortField: q.sortField,
        sortDirection: q.sortDirection,
        labelIds: q.labelIds,
        typeIds: q.typeIds,
        filters,
        advancedFilter: q.advancedFilter,
        fields: q.fields,
        page: q.page,
        pageSize: q.pageSize,
      });
      const names = await svc.userNames(result.rows);
      return {
        records: result.rows.map((row) => serializeRecord(row, result.module, names, result.fieldSelection)),
        total: result.total,
        page: result.page,
        pageSize: result.pageSize,
      };
    },
  );

  r.get(
    "/v1/modules/:module/records/trash",
    {
      schema: {
        tags: ["Records"],
        summary: "List deleted records (restorable for 30 days)",
        params: moduleParams,
        querystring: z.object(page),
        response: { 200: RecordPageBody, ...errors },
      },
    },
    async (request) => {
      const svc = service(request);
      const result = await svc.trash(request.params.module, request.query.page, request.query.pageSize);
      const names = await svc.userNames(result.rows);
      return {
        records: result.rows.map((row) => serializeRecord(row, result.module, names)),
        total: result.total,
        page: result.page,
        pageSize: result.pageSize,
      };
    },
  );

  r.get(
    "/v1/modules/:module/records/:id",
    {
      schema: {
        tags: ["Records"],
        summary: "Get a single record",
        params: recordParams,
        response: { 200: RecordEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const svc = service(request);
      const row = await svc.get(request.params.module, request.params.id);
      return one(svc, request.params.module, row, reply);
    },
  );

  r.post(
    "/v1/modules/:module/records",
    {
      schema: {
        tags: ["Records"],
        summary: "Create a record",
        params: moduleParams,
        body: CreateRecordInput,
        response: { 201: RecordEnvelope, ...errors, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const svc = service(request);
      const row = await svc.create(request.params.module, request.body);
      reply.code(201);
      return one(svc, request.params.module, row, reply);
    },
  );

  r.patch(
    "/v1/modules/:module/records/:id",
    {
      schema: {
        tags: ["Records"],
        summary: "Update a record (partial); a stale version or If-Match is a 409",
        params: recordParams,
        headers: z.object({ "if-match": z.string().max(100).optional() }),
        body: UpdateRecordInput,
        response: { 200: RecordEnvelope, ...errors, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const svc = service(request);
      const row = await svc.update(
        request.params.module,
        request.params.id,
        request.body,
        request.headers["if-match"],
      );
      return one(svc, request.params.module, row, reply);
    },
  );

  r.delete(
    "/v1/modules/:module/records/:id",
    {
      schema: {
        tags: ["Records"],
        summary: "Delete a record (moves it to the trash)",
        params: recordParams,
        response: { 200: Success, ...errors },
      },
    },
    async (request) => {
      await service(request).delete(request.params.module, request.params.id);
      return { success: true as const };
    },
  );

  r.post(
    "/v1/modules/:module/records/bulk",
    {
      schema: {
        tags: ["Records"],
        summary: "Add or remove labels and types on up to 100 records, in one transaction",
        params: moduleParams,
        body: BulkUpdateInput,
        response: { 200: z.object({ records: z.array(RecordBody) }), ...errors },
      },
    },
    async (request) => {
      const svc = service(request);
      const rows = await svc.bulkUpdate(request.params.module, request.body);
      const module = await svc.modules.get(request.params.module);
      const names = await svc.userNames(rows);
      return { records: rows.map((row) => serializeRecord(row, module, names)) };
    },
  );

  r.post(
    "/v1/modules/:module/records/bulk-delete",
    {
      schema: {
        tags: ["Records"],
        summary: "Delete up to 100 records",
        params: moduleParams,
        body: RecordIdsInput,
        response: { 200: z.object({ deleted: z.number().int(), skipped: z.number().int() }), ...errors },
      },
    },
    async (request) => service(request).bulkDelete(request.params.module, request.body),
  );

  r.post(
    "/v1/modules/:module/records/bulk-restore",
    {
      schema: {
        tags: ["Records"],
        summary: "Restore up to 100 records from the trash",
        params: moduleParams,
        body: RecordIdsInput,
        response: { 200: z.object({ restored: z.number().int(), skipped: z.number().int() }), ...errors },
      },
    },
    async (request) => service(request).bulkRestore(request.params.module, request.body),
  );

  r.post(
    "/v1/modules/:module/records/empty-trash",
    {
      schema: {
        tags: ["Records"],
        summary: "Permanently delete every record in the module's trash",
        params: moduleParams,
        response: { 200: z.object({ success: z.literal(true), purged: z.number().int() }), ...errors },
      },
    },
    async (request) => ({
      success: true as const,
      purged: await service(request).emptyTrash(request.params.module),
    }),
  );

  r.post(
    "/v1/modules/:module/records/:id/restore",
    {
      schema: {
        tags: ["Records"],
        summary: "Restore a record from the trash",
        params: recordParams,
        response: { 200: RecordEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const svc = service(request);
      const row = await svc.restore(request.params.module, request.params.id);
      return one(svc, request.params.module, row, reply);
    },
  );

  r.delete(
    "/v1/modules/:module/records/:id/purge",
    {
      schema: {
        tags: ["Records"],
        summary: "Permanently delete a record that is in the trash",
        params: recordParams,
        response: { 200: Success, ...errors },
      },
    },
    async (request) => {
      await service(request).purge(request.params.module, request.params.id);
      return { success: true as const };
    },
  );

  r.get(
    "/v1/modules/:module/references",
    {
      schema: {
        tags: ["Records"],
        summary: "List the module's reference fields",
        params: moduleParams,
        response: { 200: z.object({ references: z.array(ReferenceBody) }), ...errors },
      },
    },
    async (request) => ({
      references: (await service(request).references(request.params.module)).map(serializeReference),
    }),
  );

  r.get(
    "/v1/modules/:module/references/:referenceSlug/records/:recordId",
    {
      schema: {
        tags: ["Records"],
        summary: "Ids of the records (or users) a record links to through a reference",
        params: referenceParams.extend({ recordId: z.string().max(100) }),
        response: {
          200: z.object({
            recordIds: z.array(z.string()),
            records: z.array(
              z.object({ id: z.string(), displayName: z.string(), moduleSlug: z.string().optional() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { module, referenceSlug, recordId } = request.params;
      const result = await service(request).linked(module, referenceSlug, recordId);
      return {
        recordIds: result.recordIds,
        records: result.records.map((item) => ({
          id: item.id,
          displayName: item.displayName,
          ...(item.moduleSlug ? { moduleSlug: item.moduleSlug } : {}),
        })),
      };
    },
  );

  r.get(
    "/v1/modules/:module/references/:referenceSlug/picker",
    {
      schema: {
        tags: ["Records"],
        summary: "Search records (or users) to link through a reference",
        params: referenceParams,
        querystring: z.object({
          search: z.string().max(200).optional(),
          limit: z.string().max(10).optional(),
        }),
        response: {
          200: z.object({
            records: z.array(
              z.object({ id: z.string(), label: z.string(), subtitle: z.string().nullable() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { module, referenceSlug } = request.params;
      const { search, limit } = request.query;
      return {
        records: await service(request).picker(module, referenceSlug, {
          ...(search !== undefined ? { search } : {}),
          ...(limit !== undefined ? { limit } : {}),
        }),
      };
    },
  );
}
