// Projects and members (seed 002) under /v1/projects, over ProjectService. Lists use the
// paginated format chosen for /v1/users: {items, total, page, page_size, pages}.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ExternalIdSchema } from "../identity/identity.inputs.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { PROJECT_STATUSES, ProjectRoleSchema } from "./projects.inputs.js";
import { type MemberWithUser, type Project, ProjectService } from "./projects.service.js";

const ProjectBody = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    external_id: z.string().nullable(),
    status: z.enum(PROJECT_STATUSES),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Project" });

const MemberBody = z
  .object({
    user_id: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: ProjectRoleSchema,
    added_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "ProjectMember" });

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    pages: z.number().int(),
  });

const Paging = {
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(50),
};
const ProjectParams = z.object({ id: z.string() });
const MemberParams = z.object({ id: z.string(), user_id: z.string() });
const errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody } as const;

function serializeProject(project: Project): z.infer<typeof ProjectBody> {
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    external_id: project.externalId,
    status: project.status as z.infer<typeof ProjectBody>["status"],
    archived_at: project.archivedAt?.toISOString() ?? null,
    created_at: project.createdAt.toISOString(),
    updated_at: project.updatedAt.toISOString(),
  };
}

function serializeMember(member: MemberWithUser): z.infer<typeof MemberBody> {
  return {
    user_id: member.userId,
    email: member.user.email,
    display_name: member.user.displayName,
    role: member.role as z.infer<typeof MemberBody>["role"],
    added_at: member.createdAt.toISOString(),
    updated_at: member.updatedAt.toISOString(),
  };
}

export function registerProjectRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = (request: FastifyRequest) => new ProjectService(prisma, viewerOf(request));

  r.get(
    "/v1/projects",
    {
      schema: {
        tags: ["Projects"],
        summary: "List all projects (archived ones only with include_archived=true or status=archived)",
        querystring: z.object({
          ...Paging,
          external_id: ExternalIdSchema.optional(),
          status: z.enum(PROJECT_STATUSES).optional(),
          include_archived: z.enum(["true", "false"]).optional(),
        }),
        response: { 200: pageOf(ProjectBody), ...errors },
      },
    },
    async (request) => {
      const { page, page_size, external_id, status, include_archived } = request.query;
      const result = await service(request).list({
        externalId: external_id,
        status,
        includeArchived: include_archived === "true",
        skip: (page - 1) * page_size,
        take: page_size,
      });
      return {
        items: result.items.map(serializeProject),
        total: result.total,
        page,
        page_size,
        pages: Math.ceil(result.total / page_size),
      };
    },
  );

  r.post(
    "/v1/projects",
    {
      schema: {
        tags: ["Projects"],
        summary: "Create a new project (the caller becomes its owner)",
        body: z
          .object({
            name: z.string(),
            description: z.string().nullable().optional(),
            external_id: ExternalIdSchema.nullable().optional(),
          })
          .strict(),
        response: { 201: ProjectBody, ...errors, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { name, description, external_id } = request.body;
      const project = await service(request).create({ name, description, externalId: external_id });
      reply.code(201).header("location", `/v1/projects/${project.id}`);
      return serializeProject(project);
    },
  );

  r.get(
    "/v1/projects/:id",
    {
      schema: {
        tags: ["Projects"],
        summary: "Get a specific project (archived ones too)",
        params: ProjectParams,
        response: { 200: ProjectBody, ...errors },
      },
    },
    async (request) => serializeProject(await service(request).get(request.params.id)),
  );

  r.patch(
    "/v1/projects/:id",
    {
      schema: {
        tags: ["Projects"],
        summary: "Update a project (status active restores an archived one)",
        params: ProjectParams,
        body: z
          .object({
            name: z.string().optional(),
            description: z.string().nullable().optional(),
            external_id: ExternalIdSchema.nullable().optional(),
            status: z.enum(PROJECT_STATUSES).optional(),
          })
          .strict(),
        response: { 200: ProjectBody, ...errors, 409: ErrorBody },
      },
    },
    async (request) => {
      const { name, description, external_id, status } = request.body;
      const project = await service(request).update(request.params.id, {
        name,
        description,
        externalId: external_id,
        status,
      });
      return serializeProject(project);
    },
  );

  r.delete(
    "/v1/projects/:id",
    {
      schema: {
        tags: ["Projects"],
        summary: "Archive a project",
        params: ProjectParams,
        response: { 204: z.null().describe("Archived"), ...errors },
      },
    },
    async (request, reply) => {
      await service(request).archive(request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    "/v1/projects/:id/members",
    {
      schema: {
        tags: ["Project Members"],
        summary: "List project members",
        params: ProjectParams,
        querystring: z.object(Paging),
        response: { 200: pageOf(MemberBody), ...errors },
      },
    },
    async (request) => {
      const { page, page_size } = request.query;
      const result = await service(request).members(request.params.id, (page - 1) * page_size, page_size);
      return {
        items: result.items.map(serializeMember),
        total: result.total,
        page,
        page_size,
        pages: Math.ceil(result.total / page_size),
      };
    },
  );

  r.put(
    "/v1/projects/:id/members/:user_id",
    {
      schema: {
        tags: ["Project Members"],
        summary: "Add or update a member (201 when added, 200 when the role changed)",
        params: MemberParams,
        body: z.object({ role: ProjectRoleSchema }).strict(),
        response: { 200: MemberBody, 201: MemberBody, ...errors, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id, user_id } = request.params;
      const { member, created } = await service(request).setMember(id, user_id, request.body.role);
      reply.code(created ? 201 : 200);
      return serializeMember(member);
    },
  );

  r.delete(
    "/v1/projects/:id/members/:user_id",
    {
      schema: {
        tags: ["Project Members"],
        summary: "Remove a member",
        params: MemberParams,
        response: { 204: z.null().describe("Removed"), ...errors, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await service(request).removeMember(request.params.id, request.params.user_id);
      return reply.code(204).send(null);
    },
  );
}
