// GET /v1/users and PATCH /v1/users/{user_id} (seed 002), over UserService.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { ExternalIdSchema, RoleSchema } from "./identity.inputs.js";
import { type User, UserService } from "./users.service.js";

const UserBody = z
  .object({
    id: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: RoleSchema,
    external_id: z.string().nullable(),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "User" });

const UserPage = z.object({
  items: z.array(UserBody),
  total: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
  pages: z.number().int(),
});

function serialize(user: User): z.infer<typeof UserBody> {
  return {
    id: user.id,
    email: user.email,
    display_name: user.displayName,
    role: user.role as z.infer<typeof RoleSchema>,
    external_id: user.externalId,
    active: user.active,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function registerUserRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/v1/users",
    {
      schema: {
        tags: ["Users"],
        summary: "List organization members",
        querystring: z.object({
          page: z.coerce.number().int().min(1).default(1),
          page_size: z.coerce.number().int().min(1).max(100).default(50),
          external_id: ExternalIdSchema.optional(),
        }),
        response: { 200: UserPage, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const { page, page_size, external_id } = request.query;
      const result = await new UserService(prisma, viewerOf(request)).list(page, page_size, {
        externalId: external_id,
      });
      return {
        items: result.items.map(serialize),
        total: result.total,
        page,
        page_size,
        pages: Math.ceil(result.total / page_size),
      };
    },
  );

  r.patch(
    "/v1/users/:user_id",
    {
      schema: {
        tags: ["Users"],
        summary: "Update a user's role and/or external id (null clears it)",
        params: z.object({ user_id: z.string() }),
        body: z
          .object({ role: RoleSchema.optional(), external_id: ExternalIdSchema.nullable().optional() })
          .strict()
          .refine((b) => b.role !== undefined || b.external_id !== undefined, {
            message: "Give role or external_id",
          }),
        response: {
          200: UserBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request) => {
      const { user_id } = request.params;
      const { role, external_id } = request.body;
      const user = await new UserService(prisma, viewerOf(request)).update(user_id, {
        role,
        externalId: external_id,
      });
      return serialize(user);
    },
  );
}
