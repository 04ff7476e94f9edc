// GET /api/v2/users (seed 004): the organisation's users, cursor-paged in creation order, over
// UserService.pageByCursor.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import { CursorPageQuery, cursorPage } from "../rest/cursor-pagination.js";
import { ErrorBody } from "../rest/openapi.js";
import { UserService } from "./users.service.js";

const UserV2 = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    role: z.string(),
    externalId: z.string().nullable(),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "UserV2" });

export function registerV2UserRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/v2/users",
    {
      schema: {
        tags: ["Public API v2"],
        summary: "The organisation's users, cursor-paged in creation order (users:read)",
        security: [{ publicApiV2: [] }, { bearerAuth: [] }],
        querystring: CursorPageQuery,
        response: { 200: cursorPage(UserV2), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      const page = await new UserService(prisma, viewerOf(request)).pageByCursor(request.query);
      return {
        data: page.data.map((user) => ({
          id: user.id,
          email: user.email,
          displayName: user.displayName,
          role: user.role,
          externalId: user.externalId,
          active: user.active,
          createdAt: user.createdAt.toISOString(),
          updatedAt: user.updatedAt.toISOString(),
        })),
        metadata: page.metadata,
      };
    },
  );
}
