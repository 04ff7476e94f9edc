// GET /v1/users and PATCH /v1/users/{user_id} (seed 002), over UserService.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { ErrorBody } from "../rest/openapi.js";
import { RoleSchema } from "./identity.inputs.js";
import { UserService } from "./users.service.js";

const UserBody = z
  .object({
    id: z.string(),
    email: z.string(),
    display_name: z.string(),
    role: RoleSchema,
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
        }),
        response: { 200: UserPage, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const { page, page_size } = request.query;
      const result = await new UserService(prisma, viewerOf(request)).list(page, page_size);
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
        summary: "Update a user's role",
        params: z.object({ user_id: z.string() }),
        body: z.object({ role: RoleSchema }).strict(),
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
      const user = await new UserService(prisma, viewerOf(request)).updateRole(user_id, request.body.role);
      return serialize(user);
    },
  );
}
