// GET /api/v2/databaseusages (seed 004's example endpoint): the organisation's stored rows and
// bytes per resource type, as a v2 list (one page holds every type at the default limit).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.js";
import { viewerOf } from "../rest/auth.js";
import {
  CursorPageQuery,
  cursorPage,
  type FetchRows,
  type KeyCodec,
  paginate,
} from "../rest/cursor-pagination.js";
import { ErrorBody } from "../rest/openapi.js";
import { DatabaseUsageService, RESOURCE_TYPES, type ResourceUsage } from "./usage.service.js";

const DatabaseUsage = z
  .object({
    resourceType: z.string().describe(`One of ${RESOURCE_TYPES.join(", ")}.`),
    rows: z.number().int().describe("The organisation's rows of this type."),
    bytes: z
      .number()
      .int()
      .describe("Their stored size: the sum of each row's pg_column_size (no indexes or page overhead)."),
  })
  .meta({ id: "DatabaseUsage" });

const resourceTypes: KeyCodec<string> = {
  encode: (type) => type,
  decode: (raw) => (typeof raw === "string" && RESOURCE_TYPES.includes(raw) ? raw : null),
};

export function registerUsageRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/v2/databaseusages",
    {
      schema: {
        tags: ["Public API v2"],
        summary: "The organisation's stored data per resource type: rows and bytes (usage:read)",
        security: [{ publicApiV2: [] }, { bearerAuth: [] }],
        querystring: CursorPageQuery,
        response: { 200: cursorPage(DatabaseUsage), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      const usage = await new DatabaseUsageService(prisma, viewerOf(request)).report();
      // The whole report is one statement; paging it is slicing a list sorted by type.
      const fetch: FetchRows<ResourceUsage, string> = async (direction, from, take) => {
        const ordered = direction === "forward" ? usage : [...usage].reverse();
        const beyond = (type: string) => {
          if (!from) return true;
          if (type === from.key) return from.inclusive;
          return direction === "forward" ? type > from.key : type < from.key;
        };
        return ordered.filter((row) => beyond(row.resourceType)).slice(0, take);
      };
      return paginate(request.query, resourceTypes, (row) => row.resourceType, fetch);
    },
  );
}
