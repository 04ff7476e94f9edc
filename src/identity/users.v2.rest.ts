// GET /api/v2/users (seed 004): the organisation's users, cursor-paged in creation order.
// A keyset sibling of UserService.slice (offset paging, /v1/users and GraphQL): ordering by
// (created_at, id) keeps pages stable while users are added. Users deleted over SCIM are left
// out, as SCIM leaves them out (docs/scim.md, "Users").
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import {
  CursorPageQuery,
  type CursorPageResult,
  cursorPage,
  type FetchRows,
  type KeyCodec,
  paginate,
} from "../rest/cursor-pagination.js";
import { ErrorBody } from "../rest/openapi.js";
import { NOT_DELETED_OVER_SCIM } from "../scim/scim.visibility.js";
import { isUuid } from "./authenticate.js";
import type { Viewer } from "./viewer.js";

type UserKey = { createdAt: Date; id: string };

const userKeys: KeyCodec<UserKey> = {
  encode: (key) => [key.createdAt.toISOString(), key.id],
  decode: (raw) => {
    if (!Array.isArray(raw) || raw.length !== 2) return null;
    const [at, id] = raw as unknown[];
    if (typeof at !== "string" || typeof id !== "string" || !isUuid(id)) return null;
    const createdAt = new Date(at);
    return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id };
  },
};

/**
 * The users of the viewer's organisation, one cursor page (requires users:read), without those
 * deleted over SCIM.
 */
export async function listUsersByCursor(
  prisma: PrismaClient,
  viewer: Viewer,
  query: CursorPageQuery,
): Promise<CursorPageResult<User>> {
  viewer.require("users:read");
  const organizationId = viewer.organization.id;
  const fetch: FetchRows<User, UserKey> = (direction, from, take) => {
    const forward = direction === "forward";
    const beyond = <V>(value: V) => (forward ? { gt: value } : { lt: value });
    const atOrBeyond = <V>(value: V) => (forward ? { gte: value } : { lte: value });
    return prisma.user.findMany({
      where: {
        organizationId,
        ...NOT_DELETED_OVER_SCIM,
        ...(from
          ? {
              OR: [
                { createdAt: beyond(from.key.createdAt) },
                {
                  createdAt: from.key.createdAt,
                  id: from.inclusive ? atOrBeyond(from.key.id) : beyond(from.key.id),
                },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: forward ? "asc" : "desc" }, { id: forward ? "asc" : "desc" }],
      take,
    });
  };
  return paginate(query, userKeys, (user) => ({ createdAt: user.createdAt, id: user.id }), fetch);
}

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
      const page = await listUsersByCursor(prisma, viewerOf(request), request.query);
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
